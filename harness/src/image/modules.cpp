#include "image/modules.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <re2/re2.h>

#include <sstream>

#include "image/klp_elf.h"
#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

std::string summariseBuildErrors(const std::string& log) {
    // gcc: "/path/src/klp_foo.c:12:5: error: ..." and the lines of context after it.
    static const re2::RE2 err(R"((?:[^\s:]*/)?([A-Za-z0-9_\-]+)\.([ch]):(\d+):\d+: (?:fatal )?error: (.*))");
    std::istringstream in(log);
    std::string out;
    int shown = 0;
    for (std::string line; std::getline(in, line) && shown < 5;) {
        std::string module, ext, lineNo, what;
        if (re2::RE2::PartialMatch(line, err, &module, &ext, &lineNo, &what)) {
            out += "\n  module " + module + ": " + module + "." + ext + ":" + lineNo + ": error: " + what;
            shown++;
        }
    }
    if (out.empty()) {  // no compiler error: a link/modpost problem; show the tail
        std::vector<std::string> lines;
        std::istringstream again(log);
        for (std::string l; std::getline(again, l);)
            lines.push_back(l);
        for (size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); i++)
            out += "\n  " + lines[i];
    }
    return out;
}

std::vector<std::string> ourModuleNames() {
    fs::path kbuild = projectDir() / "guest" / "modules" / "Kbuild";
    std::istringstream in(readFile(kbuild));
    std::vector<std::string> names;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("obj-m", 0) != 0)
            continue;
        std::istringstream words(line.substr(line.find('=') + 1));
        for (std::string w; words >> w;)
            if (w.size() > 2 && w.compare(w.size() - 2, 2, ".o") == 0)
                names.push_back(w.substr(0, w.size() - 2));
    }
    if (names.empty())
        throw HarnessError(kbuild.string() + " names no modules (obj-m)");
    return names;
}

namespace {

// kbuild's outputs and editor droppings: not sources, not part of a cache key.
bool isBuildOutput(const fs::path& p) {
    std::string n = p.filename().string();
    static const char* outs[] = {".o", ".ko", ".mod", ".cmd", ".order", ".symvers", ".mod.c", ".a", ".swp", "~"};
    if (n.empty() || n[0] == '.')
        return true;
    for (const char* e : outs)
        if (n.size() >= std::strlen(e) && n.compare(n.size() - std::strlen(e), std::strlen(e), e) == 0)
            return true;
    return false;
}

// Every source file under `src` (recursively, without kbuild outputs), sorted.
std::vector<fs::path> sourcesOf(const fs::path& src) {
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(src); it != fs::recursive_directory_iterator(); ++it) {
        if (isBuildOutput(it->path())) {
            if (it->is_directory())
                it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file())
            files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

std::vector<std::string> kbuildCommand(const KernelImage& kernel, const Toolchain& tc, const fs::path& dir,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> argv;
    if (!kernel.toolPath.empty()) {
        const char* path = std::getenv("PATH");
        argv = {"env", "PATH=" + kernel.toolPath.string() + ":" + (path ? path : "/usr/bin:/bin")};
    }
    argv.insert(argv.end(), {"make", "-C", kernel.headersDir.string(), "M=" + dir.string(),
                             // BTF for modules needs pahole and vmlinux; we need neither.
                             "CONFIG_DEBUG_INFO_BTF_MODULES="});
    if (!tc.crossCompile.empty()) {
        argv.push_back("ARCH=" + tc.kbuildArch);
        argv.push_back("CROSS_COMPILE=" + tc.crossCompile);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

std::string kbuildCompilerId(const KernelImage& kernel, const Toolchain& tc) {
    if (!kernel.toolPath.empty())  // unpacked with the kernel: its version names it
        return "suite toolchain of " + kernel.version;
    const std::string cc = tc.crossCompile + "gcc";
    requireCompiler(cc);
    return runChecked({cc, "--version"}).substr(0, 80);
}

ModuleSet buildModuleTree(const fs::path& src, const std::string& what, const KernelImage& kernel,
                          const Toolchain& tc, Cache& cache) {
    if (kernel.headersDir.empty() || !fs::exists(kernel.headersDir / "Makefile"))
        throw UsageError("kernel " + kernel.name + " has no headers or build tree to build modules against");
    std::vector<fs::path> files = sourcesOf(src);
    if (files.empty())
        throw UsageError(src.string() + ": no module sources");
    requireTool("make", "make");
    KeyHasher key;
    key.add("kernel", kernel.version).add("headers", kernel.headersDir.string()).add("arch", tc.kbuildArch);
    key.add("cc", kbuildCompilerId(kernel, tc));
    key.add("klp-elf", std::to_string(kKlpElfFormat));  // the .ko files are rewritten by it
    for (const auto& f : files)
        key.addFile(fs::relative(f, src).string(), f);
    std::string label = (kernel.name.find('/') == std::string::npos ? kernel.name : "tree") +
                        (what == "ours" ? "" : "-" + what);
    fs::path entry = cache.get("modules", label, key.hex(), [&](const fs::path& dir) {
        progress("building " + std::to_string(files.size()) + " module sources (" + what + ") for " + kernel.name);
        for (const auto& f : files) {
            fs::path to = dir / "build" / fs::relative(f, src);
            fs::create_directories(to.parent_path());
            fs::copy_file(f, to);
        }
        fs::path log = cache.dir() / "logs" / ("modules-" + label + "-" + kernel.arch + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        auto r = runMerged(kbuildCommand(kernel, tc, dir / "build", {"-j2", "modules"}));
        writeFile(log, r.output);
        if (r.exitCode != 0)
            throw HarnessError("module build (" + what + ") failed for " + kernel.name + " (log: " + log.string() +
                               "):" + summariseBuildErrors(r.output));
        fs::create_directories(dir / "ko");
        for (const auto& e : fs::recursive_directory_iterator(dir / "build"))
            if (e.path().extension() == ".ko") {
                if (fs::exists(dir / "ko" / e.path().filename()))  // two subdirs, one module name
                    throw UsageError(src.string() + ": two modules named " + e.path().filename().string());
                fs::copy_file(e.path(), dir / "ko" / e.path().filename());
            }
        // Modules that declare livepatch symbols (guest/modules/klp_elf.h) get their
        // .klp.rela sections now; the others are left as kbuild made them.
        std::string converted;
        for (const auto& e : fs::directory_iterator(dir / "ko"))
            if (auto klp = convertKlpModule(e.path()))
                converted += "klp_elf: " + describe(e.path().filename().string(), *klp) + "\n";
        if (!converted.empty())
            writeFile(log, r.output + converted);
        fs::remove_all(dir / "build");
    });
    ModuleSet set{entry / "ko", {}};
    for (const auto& e : fs::directory_iterator(set.dir))
        set.modules.push_back(e.path());
    std::sort(set.modules.begin(), set.modules.end());
    if (set.modules.empty())
        throw UsageError(src.string() + ": the build made no .ko (does its Kbuild or Makefile set obj-m?)");
    return set;
}

ModuleSet buildModules(const KernelImage& kernel, const Toolchain& tc, Cache& cache) {
    return buildModuleTree(projectDir() / "guest" / "modules", "ours", kernel, tc, cache);
}

}  // namespace klp::image
