#include "image/kernels.h"

#include <cstring>
#include <map>
#include <regex>
#include <sstream>

#include "image/apt.h"
#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

struct DebianKernel {
    NamedKernel named;
    std::string imagePattern;  // regex over binary package names
};

// Debian 12's cloud flavour: small, and CONFIG_LIVEPATCH=y with ORC (FACTS.md).
const std::vector<DebianKernel> debianKernels = {
    {{"debian-6.1", "x86_64", "Debian 12 linux-image-6.1.0-*-cloud-amd64"},
     R"(linux-image-6\.1\.0-\d+-cloud-amd64)"},
    {{"debian-6.12", "x86_64", "Debian 12 linux-image-6.12.*+deb12-cloud-amd64-unsigned"},
     R"(linux-image-6\.12\.\d+\+deb12-cloud-amd64-unsigned)"},
};

// Fields of `apt-cache show` records, keyed by package name.
std::map<std::string, std::map<std::string, std::string>> aptShow(const std::vector<std::string>& pkgs,
                                                                  Cache& cache) {
    std::vector<std::string> args = {"show", "--no-all-versions"};
    args.insert(args.end(), pkgs.begin(), pkgs.end());
    std::map<std::string, std::map<std::string, std::string>> out;
    std::istringstream in(aptCache(args, cache));
    std::string pkg;
    for (std::string line; std::getline(in, line);) {
        auto colon = line.find(": ");
        if (line.empty() || line[0] == ' ' || colon == std::string::npos)
            continue;
        std::string field = line.substr(0, colon), value = line.substr(colon + 2);
        if (field == "Package")
            pkg = value;
        else if (!pkg.empty())
            out[pkg].emplace(field, value);
    }
    return out;
}

std::vector<std::string> dependsNames(const std::string& depends) {
    std::vector<std::string> names;
    std::istringstream in(depends);
    for (std::string alt; std::getline(in, alt, ',');) {
        std::istringstream words(alt);
        std::string name;
        words >> name;
        names.push_back(name);
    }
    return names;
}

std::string knownList() {
    std::string s;
    for (const auto& k : debianKernels)
        s += (s.empty() ? "" : ", ") + k.named.name + " (" + k.named.arch + ")";
    return s;
}

KernelImage fetchDebian(const DebianKernel& dk, Cache& cache) {
    auto names = aptCache({"pkgnames", "linux-image-"}, cache);
    std::vector<std::string> candidates;
    std::istringstream in(names);
    for (std::string n; std::getline(in, n);)
        candidates.push_back(n);
    std::string image = newestMatching(candidates, dk.imagePattern);
    if (image.empty())
        throw HarnessError("no Debian package matches " + dk.named.name + " (" + dk.imagePattern +
                           "); run apt-get update");
    std::string headers = std::regex_replace(image, std::regex("^linux-image-"), "linux-headers-");
    headers = std::regex_replace(headers, std::regex("-unsigned$"), "");
    auto info = aptShow({image, headers}, cache);
    if (!info.count(image) || !info.count(headers))
        throw HarnessError("apt-cache knows no " + (info.count(image) ? headers : image) +
                           "; run apt-get update");
    std::vector<std::string> pkgs = {image, headers};
    for (const auto& dep : dependsNames(info[headers]["Depends"]))
        if (dep.rfind("linux-headers-", 0) == 0 || dep.rfind("linux-kbuild-", 0) == 0)
            pkgs.push_back(dep);
    const std::string version = info[image]["Version"];
    fs::path recipe = projectDir() / "images" / "debian-kernel.sh";
    KeyHasher key;
    key.add("version", version).addFile("recipe", recipe);
    for (const auto& p : pkgs)
        key.add("package", p);
    fs::path entry = cache.get("kernels", dk.named.name + "_" + version, key.hex(), [&](const fs::path& dir) {
        requireTool("dpkg-deb", "dpkg");
        requireTool("depmod", "kmod");
        requireTool("cpio", "cpio");
        progress("fetching " + dk.named.name + ": " + image + " " + version + " (+ headers)");
        std::vector<std::string> argv = {recipe.string(), dir.string()};
        argv.insert(argv.end(), pkgs.begin(), pkgs.end());
        fs::path log = cache.dir() / "logs" / (dk.named.name + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(argv, log);
    });
    KernelImage k;
    k.name = dk.named.name;
    k.arch = dk.named.arch;
    k.release = readFile(entry / "release");
    while (!k.release.empty() && isspace(static_cast<unsigned char>(k.release.back())))
        k.release.pop_back();
    k.kernel = entry / "root" / "boot" / ("vmlinuz-" + k.release);
    k.modulesCpio = entry / "kmods.cpio.gz";
    k.headersDir = entry / "root" / "usr" / "src" / ("linux-headers-" + k.release);
    k.version = image + " " + version;
    return k;
}

// A user's kernel: a bootable image file, or a build tree holding one.
KernelImage fromPath(const fs::path& path, const std::string& arch) {
    if (!fs::exists(path))
        throw UsageError("--kernel " + path.string() + ": no such file or directory");
    KernelImage k;
    k.name = path.string();
    k.arch = arch;
    if (fs::is_directory(path)) {
        for (const char* rel : {"arch/x86/boot/bzImage", "vmlinux"})
            if (fs::exists(path / rel)) {
                k.kernel = path / rel;
                break;
            }
        if (k.kernel.empty())
            throw UsageError("--kernel " + path.string() +
                             ": a build tree without arch/x86/boot/bzImage or vmlinux");
        k.headersDir = path;
        if (fs::exists(path / "include/config/kernel.release"))
            k.release = readFile(path / "include/config/kernel.release");
        while (!k.release.empty() && isspace(static_cast<unsigned char>(k.release.back())))
            k.release.pop_back();
    } else {
        k.kernel = path;
    }
    k.version = sha256File(k.kernel).substr(0, 12);
    return k;
}

}  // namespace

std::vector<NamedKernel> namedKernels() {
    std::vector<NamedKernel> out;
    for (const auto& k : debianKernels)
        out.push_back(k.named);
    return out;
}

std::string newestMatching(const std::vector<std::string>& candidates, const std::string& pattern) {
    std::regex re(pattern);
    std::string best;
    for (const auto& c : candidates)
        if (std::regex_match(c, re) && (best.empty() || strverscmp(c.c_str(), best.c_str()) > 0))
            best = c;
    return best;
}

KernelImage resolveKernel(const std::string& nameOrPath, const std::string& arch, Cache& cache) {
    for (const auto& dk : debianKernels) {
        if (dk.named.name != nameOrPath)
            continue;
        if (dk.named.arch != arch)
            throw UsageError("kernel " + nameOrPath + " is for " + dk.named.arch + ", not " + arch);
        return fetchDebian(dk, cache);
    }
    if (nameOrPath.find('/') != std::string::npos || fs::exists(nameOrPath))
        return fromPath(nameOrPath, arch);
    throw UsageError("unknown kernel '" + nameOrPath + "' (known: " + knownList() +
                     "; or give a path to a kernel image or build tree)");
}

}  // namespace klp::image
