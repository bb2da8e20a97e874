#include "image/kernel_catalog.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <regex>

#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/yaml_error.h"
#include "vm/arch.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxKernelFileBytes = 1024 * 1024;
const char* kKeys = "name, about, arches, debian-binary, debian-source, path, git, rev, suite, klp-build, patches, config";

std::mutex catalogMutex;
std::vector<KernelEntry> catalog;
std::deque<KernelEntry> trees;  // "tree:PATH" entries: a deque keeps pointers to them valid
bool builtinLoaded = false;

std::string scalar(const fs::path& file, const YAML::Node& v, const std::string& key) {
    if (!v.IsScalar() || v.Scalar().empty())
        yamlError(file, v, "'" + key + "' must be a plain value");
    return v.Scalar();
}

// `text` with each ${VAR} replaced by the environment's value; the names of
// unset ones go to `unset` (the entry is usable only once they are set).
std::string expandVars(const std::string& text, std::vector<std::string>& unset) {
    static const std::regex var(R"(\$\{([A-Za-z_][A-Za-z0-9_]*)\})");
    std::string out;
    auto last = text.cbegin();
    for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        const std::string name = (*it)[1];
        if (const char* v = std::getenv(name.c_str()); v && *v)
            out += v;
        else if (std::find(unset.begin(), unset.end(), name) == unset.end())
            unset.push_back(name);
        last = (*it)[0].second;
    }
    out.append(last, text.cend());
    return out;
}

KernelEntry entryOf(const fs::path& file, const YAML::Node& n) {
    if (!n.IsMap())
        yamlError(file, n, "a kernel entry is a mapping (name:, and one of debian-binary:, debian-source:, path:, git:)");
    KernelEntry e;
    e.file = file;
    e.line = n.Mark().line + 1;
    int sources = 0;
    for (const auto& kv : n) {
        const std::string k = yamlKey(file, kv.first);
        const YAML::Node& v = kv.second;
        if (v.IsNull())
            yamlError(file, kv.first, "'" + k + "' has no value");
        if (k == "name") {
            e.name = scalar(file, v, k);
            if (!std::regex_match(e.name, std::regex(R"([A-Za-z0-9][A-Za-z0-9._+-]*)")))
                yamlError(file, v, "kernel name '" + e.name + "': letters, digits and . _ + - only (no / or @)");
        } else if (k == "about") {
            e.about = scalar(file, v, k);
        } else if (k == "arches") {
            std::vector<YAML::Node> items;
            if (v.IsScalar())
                items.push_back(v);
            else if (v.IsSequence())
                for (const auto& i : v)
                    items.push_back(i);
            else
                yamlError(file, v, "'arches' must be an arch or a list of them");
            for (const auto& i : items) {
                std::string a = scalar(file, i, k);
                try {
                    vm::archProfile(a);
                } catch (const UsageError& err) {
                    yamlError(file, i, err.what());
                }
                e.arches.push_back(a);
            }
        } else if (k == "debian-binary") {
            e.debianBinary = scalar(file, v, k);
            try {
                std::regex check(e.debianBinary);
            } catch (const std::regex_error& err) {
                yamlError(file, v, "'debian-binary' is not a valid regex: " + std::string(err.what()));
            }
            ++sources;
        } else if (k == "debian-source") {
            e.debianSource = scalar(file, v, k);
            ++sources;
        } else if (k == "path") {
            e.path = scalar(file, v, k);
            if (e.path.is_relative())
                e.path = file.parent_path() / e.path;
            ++sources;
        } else if (k == "git") {
            e.git = scalar(file, v, k);
            if (e.git.is_relative())
                e.git = file.parent_path() / e.git;
            ++sources;
        } else if (k == "rev") {
            e.rev = scalar(file, v, k);
        } else if (k == "config") {
            std::vector<YAML::Node> items;
            if (v.IsSequence())
                for (const auto& i : v)
                    items.push_back(i);
            else
                items.push_back(v);
            for (const auto& i : items) {
                fs::path c = scalar(file, i, k);
                if (c.is_relative())
                    c = file.parent_path() / c;
                if (!fs::is_regular_file(c))
                    yamlError(file, i, "config fragment " + c.string() + ": no such file");
                e.configs.push_back(c);
            }
        } else if (k == "suite") {
            e.suite = scalar(file, v, k);
            if (!std::regex_match(e.suite, std::regex(R"([a-z][a-z0-9-]*)")))
                yamlError(file, v, "'suite' must be a Debian suite name (bookworm-backports, trixie, sid, ...)");
        } else if (k == "klp-build") {
            const std::string b = scalar(file, v, k);
            if (b != "true" && b != "false")
                yamlError(file, v, "'klp-build' must be true or false");
            e.klpBuild = b == "true";
        } else if (k == "patches") {
            if (!v.IsSequence() || v.size() == 0)
                yamlError(file, v, "'patches' must be a list of patch files");
            for (const auto& i : v) {
                fs::path p = expandVars(scalar(file, i, k), e.unsetVars);
                e.patches.push_back(p.is_relative() ? file.parent_path() / p : p);
            }
        } else {
            yamlError(file, kv.first, "unknown key '" + k + "' (known: " + kKeys + ")");
        }
    }
    if (e.name.empty())
        yamlError(file, n, "a kernel entry needs a name:");
    if (sources != 1)
        yamlError(file, n, "kernel '" + e.name + "' needs exactly one of debian-binary:, debian-source:, path:, git:");
    if (n["rev"] && e.git.empty())
        yamlError(file, n["rev"], "kernel '" + e.name + "': rev: is a revision of a git: repository");
    if (!e.configs.empty() && !e.built())
        yamlError(file, n["config"], "kernel '" + e.name + "': config: applies to kernels we build (debian-source:, git:)");
    if (!e.git.empty() && !e.suite.empty())
        yamlError(file, n, "kernel '" + e.name + "': suite: applies to Debian packages, not to git:");
    if (!e.debianBinary.empty() && e.arches.size() != 1)
        yamlError(file, n, "kernel '" + e.name + "': a Debian binary kernel is for one arch: give arches: [ARCH]");
    if (!e.path.empty() && !e.suite.empty())
        yamlError(file, n, "kernel '" + e.name + "': suite: applies to Debian packages, not to path:");
    if (!e.patches.empty() && e.debianSource.empty())
        yamlError(file, n, "kernel '" + e.name + "': patches: apply to a source that is built (debian-source:)");
    return e;
}

void addChecked(std::vector<KernelEntry>& to, std::vector<KernelEntry> more) {
    for (auto& e : more) {
        auto same = std::find_if(to.begin(), to.end(), [&](const KernelEntry& o) { return o.name == e.name; });
        if (same != to.end())
            throw UsageError(e.where() + ": kernel '" + e.name + "' is already defined at " + same->where());
        to.push_back(std::move(e));
    }
}

void loadBuiltin() {
    if (builtinLoaded)
        return;
    auto builtin = loadKernelFile(projectDir() / "images" / "kernels.yaml");
    builtin.insert(builtin.end(), catalog.begin(), catalog.end());
    catalog.clear();
    addChecked(catalog, std::move(builtin));
    builtinLoaded = true;
}

}  // namespace

bool KernelEntry::hasArch(const std::string& arch) const {
    return arches.empty() || std::find(arches.begin(), arches.end(), arch) != arches.end();
}

std::string KernelEntry::archList() const {
    std::vector<std::string> a = arches.empty() ? vm::knownArches() : arches;
    std::sort(a.begin(), a.end());
    std::string s;
    for (const auto& x : a)
        s += (s.empty() ? "" : ", ") + x;
    return s;
}

void KernelEntry::requirePatches() const {
    if (!unsetVars.empty()) {
        std::string names;
        for (const auto& v : unsetVars)
            names += (names.empty() ? "" : ", ") + v;
        throw UsageError(where() + ": kernel '" + name + "' needs " + names +
                         " set: its patches: are found through " + (unsetVars.size() > 1 ? "them" : "it"));
    }
    for (const auto& p : patches)
        if (!fs::is_regular_file(p))
            throw UsageError(where() + ": kernel '" + name + "': patch " + p.string() + ": no such file");
}

std::vector<KernelEntry> loadKernelFile(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw UsageError(file.string() + ": no such kernel file");
    if (fs::file_size(file, ec) > kMaxKernelFileBytes)
        throw UsageError(file.string() + ": too large for a kernel file");
    YAML::Node doc;
    try {
        doc = YAML::Load(readFile(file));
    } catch (const YAML::Exception& e) {
        throw UsageError(file.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (!doc.IsMap() || !doc["kernels"])
        yamlError(file, doc, "a kernel file is a mapping with a 'kernels:' list");
    for (const auto& kv : doc)
        if (yamlKey(file, kv.first) != "kernels")
            yamlError(file, kv.first, "unknown key '" + kv.first.Scalar() + "' (a kernel file has only 'kernels:')");
    const YAML::Node list = doc["kernels"];
    if (!list.IsSequence())
        yamlError(file, list, "'kernels' must be a list of entries");
    std::vector<KernelEntry> out;
    for (const auto& n : list)
        addChecked(out, {entryOf(file, n)});
    return out;
}

void addKernelFiles(const std::vector<fs::path>& files) {
    std::lock_guard lock(catalogMutex);
    for (const auto& f : files) {
        auto more = loadKernelFile(f);
        if (builtinLoaded)
            addChecked(catalog, std::move(more));
        else
            catalog.insert(catalog.end(), more.begin(), more.end());  // checked when the built-in file comes first
    }
}

const std::vector<KernelEntry>& kernelCatalog() {
    std::lock_guard lock(catalogMutex);
    loadBuiltin();
    return catalog;
}

const KernelEntry* findKernel(const std::string& name) {
    for (const auto& e : kernelCatalog())
        if (e.name == name)
            return &e;
    // NAME@REV is split by the caller (a path with an '@' cannot be given so).
    if (name.rfind("tree:", 0) != 0 || name.size() == 5 || name.find('@') != std::string::npos)
        return nullptr;
    std::lock_guard lock(catalogMutex);
    for (const auto& e : trees)
        if (e.name == name)
            return &e;
    KernelEntry e;
    e.name = name;
    e.about = "the git repository " + name.substr(5);
    e.git = fs::absolute(name.substr(5));
    trees.push_back(std::move(e));
    return &trees.back();
}

std::pair<std::string, std::string> splitPin(const std::string& spec) {
    auto at = spec.find('@');
    if (at == std::string::npos)
        return {spec, ""};
    return {spec.substr(0, at), spec.substr(at + 1)};
}

}  // namespace klp::image
