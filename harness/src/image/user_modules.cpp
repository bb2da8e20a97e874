#include "image/user_modules.h"

#include "image/klp_patch.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "util/error.h"
#include "util/files.h"

namespace klp::image {
namespace fs = std::filesystem;

std::vector<std::string> objmNames(const fs::path& kbuildFile) {
    std::istringstream in(readFile(kbuildFile));
    std::vector<std::string> names;
    int lineNo = 0;
    for (std::string line; std::getline(in, line);) {
        lineNo++;
        auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line.compare(start, 5, "obj-m") != 0)
            continue;
        auto eq = line.find('=', start);
        if (eq == std::string::npos)
            continue;
        std::istringstream words(line.substr(eq + 1));
        for (std::string w; words >> w;) {
            if (w[0] == '#')
                break;
            bool literal = w.size() > 2 && w.compare(w.size() - 2, 2, ".o") == 0 &&
                           w.find_first_of("$()/") == std::string::npos;
            if (!literal)
                throw UsageError(kbuildFile.string() + ":" + std::to_string(lineNo) + ": obj-m entry '" + w +
                                 "' is not a plain NAME.o (the harness reads module names from it)");
            std::string name = w.substr(0, w.size() - 2);
            std::replace(name.begin(), name.end(), '-', '_');  // kbuild's KBUILD_MODNAME
            names.push_back(name);
        }
    }
    return names;
}

std::vector<UserModule> inspectUserModules(const std::vector<std::string>& paths,
                                           const std::vector<std::string>& ourNames,
                                           const std::vector<std::string>& patches) {
    std::vector<UserModule> out;
    std::map<std::string, std::string> seen;  // name -> path bringing it
    for (const auto& n : ourNames)
        seen[n] = "our guest/modules";
    for (const auto& p : paths) {
        UserModule m{p, false, false, {}};
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            m.source = true;
            fs::path kbuild = fs::path(p) / "Kbuild";
            if (!fs::is_regular_file(kbuild))
                kbuild = fs::path(p) / "Makefile";
            if (!fs::is_regular_file(kbuild))
                throw UsageError("--module " + p + ": a source dir needs a Kbuild or Makefile with obj-m");
            m.names = objmNames(kbuild);
            if (m.names.empty())
                throw UsageError(kbuild.string() + ": no obj-m: which modules does it build?");
        } else if (fs::exists(p, ec)) {
            m.names = {readModuleInfo(p).name};
        } else {
            throw UsageError("--module " + p + ": no such .ko file or source dir");
        }
        for (const auto& n : m.names) {
            if (seen.count(n))
                throw UsageError("--module " + p + ": module '" + n + "' is already given by " + seen[n] +
                                 " (/lib/klp/ holds one module of a name)");
            seen[n] = p;
        }
        out.push_back(std::move(m));
    }
    for (const auto& p : patches) {
        checkPatchFile(p);
        UserModule m{p, false, true, {patchModuleName(p)}};
        if (seen.count(m.names.front()))
            throw UsageError("--patch " + p + ": module '" + m.names.front() + "' is already given by " +
                             seen[m.names.front()] + " (/lib/klp/ holds one module of a name)");
        seen[m.names.front()] = p;
        out.push_back(std::move(m));
    }
    return out;
}

void checkModuleFits(const ModuleInfo& m, const std::string& arch, const std::string& kernelName,
                     const std::string& kernelVermagic) {
    if (m.arch != arch)
        throw UsageError(m.file.string() + ": built for " + (m.arch.empty() ? "another machine" : m.arch) +
                         ", the kernel under test (" + kernelName + ") is " + arch);
    auto release = [](const std::string& v) { return v.substr(0, v.find(' ')); };
    if (m.vermagic.empty())
        throw UsageError(m.file.string() + ": has no vermagic; the kernel refuses such a module");
    if (release(m.vermagic) != release(kernelVermagic))
        throw UsageError(m.file.string() + ": built for kernel " + release(m.vermagic) + ", but " + kernelName +
                         " is " + release(kernelVermagic) + " (vermagic '" + m.vermagic + "')");
    if (m.vermagic != kernelVermagic)
        throw UsageError(m.file.string() + ": vermagic '" + m.vermagic + "' differs from " + kernelName + "'s '" +
                         kernelVermagic + "' (built with another configuration)");
}

}  // namespace klp::image
