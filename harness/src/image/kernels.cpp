#include "image/kernels.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "image/apt.h"
#include "image/recipe.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

struct DebianKernel {
    NamedKernel named;
    std::string imagePattern;  // regex over binary package names
};

// Debian 12's cloud flavour: small, and CONFIG_LIVEPATCH=y with ORC and a reliable stacktrace.
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

// Our own builds from Debian's linux-source-X.Y (images/own-kernel.sh), for any
// arch with a profile (vm/arch.cpp) and a config fragment (images/config/<arch>.config):
// Debian's ppc64el kernel has no livepatch (CONFIG_LIVEPATCH is off).
struct OwnKernel {
    std::string name;
    std::string sourcePackage;
};
const std::vector<OwnKernel> ownKernels = {
    {"own-6.1", "linux-source-6.1"},
    {"own-6.12", "linux-source-6.12"},
};
const char* ownArches = "ppc64le, x86_64";

std::string knownList() {
    std::string s;
    for (const auto& k : namedKernels())
        s += (s.empty() ? "" : ", ") + k.name + " (" + k.arch + ")";
    return s;
}

std::string trimmed(std::string s) {
    while (!s.empty() && isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
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
    const Recipe recipe("debian-kernel.sh");
    KeyHasher key;
    key.add("version", version);
    recipe.addTo(key);
    for (const auto& p : pkgs)
        key.add("package", p);
    fs::path entry = cache.get("kernels", dk.named.name + "_" + version, key.hex(), [&](const fs::path& dir) {
        requireTool("dpkg-deb", "dpkg");
        requireTool("depmod", "kmod");
        requireTool("cpio", "cpio");
        progress("fetching " + dk.named.name + ": " + image + " " + version + " (+ headers)");
        std::vector<std::string> args = {dir.string()};
        args.insert(args.end(), pkgs.begin(), pkgs.end());
        fs::path log = cache.dir() / "logs" / (dk.named.name + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(recipe.command(args), log);
    });
    KernelImage k;
    k.name = dk.named.name;
    k.arch = dk.named.arch;
    k.release = trimmed(readFile(entry / "release"));
    k.kernel = entry / "root" / "boot" / ("vmlinuz-" + k.release);
    k.modulesCpio = entry / "kmods.cpio.gz";
    k.headersDir = entry / "root" / "usr" / "src" / ("linux-headers-" + k.release);
    k.version = image + " " + version;
    return k;
}

// A build killed hard leaves its 1.6 GB scratch tree (<entry>.scratch.XXXXXX)
// beside its entry. A build is alive while it holds <entry>.lock: remove the
// scratch trees of every entry whose lock is free, and those of `ours` (we hold its lock).
void removeDeadScratch(const fs::path& ours) {
    const fs::path kindDir = ours.parent_path();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(kindDir, ec)) {
        std::string name = e.path().filename().string();
        auto at = name.rfind(".scratch.");
        if (at == std::string::npos)
            continue;
        fs::path lock = kindDir / (name.substr(0, at) + ".lock");
        int fd = name.substr(0, at) == ours.filename().string() ? -1 : open(lock.c_str(), O_RDWR | O_CLOEXEC);
        bool alive = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
        if (fd >= 0)
            close(fd);
        if (!alive)
            fs::remove_all(e.path(), ec);
    }
}

// What images/own-kernel.sh reads about the arch, from its profile (vm/arch.cpp).
RecipeEnv kernelBuildEnv(const vm::ArchProfile& a) {
    return {{"KLP_ARCH", a.name},           {"KLP_KARCH", a.kbuildArch},
            {"KLP_DEFCONFIG", a.defconfig}, {"KLP_BOOT_IMAGE", a.bootImage},
            {"KLP_CROSS_COMPILE", a.crossCompile}};
}

// Headers the kernel build compiles host tools against (objtool, sign-file).
void requireBuildHeaders() {
    for (const auto& [header, pkg] : std::vector<std::pair<std::string, std::string>>{
             {"/usr/include/libelf.h", "libelf-dev"}, {"/usr/include/openssl/opensslv.h", "libssl-dev"}})
        if (!fs::exists(header))
            throw UsageError(header + " not found: install the Debian package " + pkg + " (apt-get install " + pkg + ")");
}

// The arch's toolchain and kernel layout come from its profile, as the recipe's do.
KernelImage buildOwn(const OwnKernel& ok, const std::string& arch, Cache& cache) {
    const vm::ArchProfile& profile = vm::archProfile(arch);
    auto info = aptShow({ok.sourcePackage}, cache);
    if (!info.count(ok.sourcePackage))
        throw HarnessError("apt-cache knows no " + ok.sourcePackage + "; run apt-get update");
    const std::string version = info[ok.sourcePackage]["Version"];
    const std::string cc = profile.crossCompile + "gcc";
    requireCompiler(cc);
    const Recipe recipe("own-kernel.sh", kernelBuildEnv(profile));
    const fs::path images = recipe.path().parent_path();
    // The .config is a function of the source, the fragments and the compiler
    // (Kconfig probes it), so these make the key without configuring anything.
    KeyHasher key;
    key.add("source", ok.sourcePackage + " " + version).add("arch", arch);
    recipe.addTo(key);
    for (const auto* frag : {"livepatch", "slim"})
        key.addFile(frag, images / "config" / (std::string(frag) + ".config"));
    key.addFile("arch-config", images / "config" / (arch + ".config"));
    key.add("cc", runChecked({cc, "--version"}).substr(0, 120));
    // Kconfig records the assembler and linker versions (AS_VERSION, LD_VERSION).
    key.add("ld", runChecked({profile.crossCompile + "ld", "--version"}).substr(0, 120));
    const std::string label = ok.name + "-" + arch + "_" + version;
    fs::path entry = cache.get("kernels", label, key.hex(), [&](const fs::path& dir) {
        for (const auto& [tool, pkg] : std::vector<std::pair<std::string, std::string>>{
                 {"make", "make"}, {"flex", "flex"}, {"bison", "bison"}, {"bc", "bc"},
                 {"dpkg-deb", "dpkg"}, {"xz", "xz-utils"}, {"cpio", "cpio"}})
            requireTool(tool, pkg);
        requireBuildHeaders();
        progress("building kernel " + ok.name + " for " + arch + " from " + ok.sourcePackage + " " + version +
                 " (15-20 min on 2 cores; cached afterwards)");
        removeDeadScratch(dir);
        fs::path log = cache.dir() / "logs" / (ok.name + "-" + arch + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        try {
            // Bounded like every host command: 15-40 min is normal on 2 cores.
            runChecked(recipe.command({dir.string(), ok.sourcePackage}), log,
                       [](std::string_view line) { progress(line); }, std::chrono::hours(3));
        } catch (const HarnessError& e) {
            // The entry goes with the failure: keep its build output beside the recipe's log.
            fs::path kept = log;
            kept.replace_extension(".build.log");
            std::error_code copyError;
            fs::copy_file(dir / "build.log", kept, fs::copy_options::overwrite_existing, copyError);
            throw HarnessError(std::string(e.what()) + (copyError ? "" : "\n  full build output: " + kept.string()));
        }
    });
    KernelImage k;
    k.name = ok.name;
    k.arch = arch;
    k.release = trimmed(readFile(entry / "release"));
    k.kernel = entry / "boot" / fs::path(profile.bootImage).filename();  // as own-kernel.sh keeps it
    k.modulesCpio = entry / "kmods.cpio.gz";
    k.headersDir = entry / "build";
    k.version = ok.sourcePackage + " " + version;
    return k;
}

void requireImageFor(const fs::path& image, const std::string& arch) {
    std::string found = kernelImageArch(image);
    if (found.empty())
        throw UsageError("--kernel " + image.string() + ": not a kernel image (neither ELF nor bzImage)");
    if (found != arch)
        throw UsageError("--kernel " + image.string() + ": a " + found + " kernel, not " + arch);
}

// A user's kernel: a bootable image file, or a build tree holding one (then
// modules build against that tree).
KernelImage fromPath(const fs::path& path, const std::string& arch, const Toolchain& tc) {
    if (!fs::exists(path))
        throw UsageError("--kernel " + path.string() + ": no such file or directory");
    KernelImage k;
    k.name = path.string();
    k.arch = arch;
    if (fs::is_directory(path)) {
        if (!fs::exists(path / tc.bootImage))
            throw UsageError("--kernel " + path.string() + ": a build tree without " + tc.bootImage);
        k.kernel = path / tc.bootImage;
        if (!fs::exists(path / "Makefile") || !fs::exists(path / ".config"))
            throw UsageError("--kernel " + path.string() + ": not a kernel build tree (no Makefile or .config)");
        k.headersDir = path;
        if (fs::exists(path / "include/config/kernel.release"))
            k.release = trimmed(readFile(path / "include/config/kernel.release"));
    } else {
        k.kernel = path;
    }
    requireImageFor(k.kernel, arch);
    k.version = sha256File(k.kernel).substr(0, 12);
    return k;
}

}  // namespace

std::vector<NamedKernel> namedKernels() {
    std::vector<NamedKernel> out;
    for (const auto& k : debianKernels)
        out.push_back(k.named);
    for (const auto& k : ownKernels)
        out.push_back({k.name, ownArches, "built from Debian's " + k.sourcePackage + " (images/own-kernel.sh)"});
    return out;
}

std::string kernelImageArch(const fs::path& image) {
    std::ifstream in(image, std::ios::binary);
    unsigned char h[0x210] = {};
    in.read(reinterpret_cast<char*>(h), sizeof h);
    const auto got = in.gcount();
    if (got >= 20 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F') {
        const bool little = h[5] == 1;
        const unsigned machine = little ? h[18] | h[19] << 8 : h[19] | h[18] << 8;
        if (machine == 62)  // EM_X86_64
            return "x86_64";
        if (machine == 21)  // EM_PPC64
            return little ? "ppc64le" : "ppc64";
        return "elf-machine-" + std::to_string(machine);
    }
    // The x86 boot protocol's "HdrS" magic at 0x202.
    if (got >= 0x206 && std::memcmp(h + 0x202, "HdrS", 4) == 0)
        return "x86_64";
    return "";
}

std::string newestMatching(const std::vector<std::string>& candidates, const std::string& pattern) {
    std::regex re(pattern);
    std::string best;
    for (const auto& c : candidates)
        if (std::regex_match(c, re) && (best.empty() || strverscmp(c.c_str(), best.c_str()) > 0))
            best = c;
    return best;
}

KernelImage resolveKernel(const std::string& nameOrPath, const std::string& arch, const Toolchain& tc,
                          Cache& cache) {
    for (const auto& ok : ownKernels)
        if (ok.name == nameOrPath)
            return buildOwn(ok, arch, cache);
    for (const auto& dk : debianKernels) {
        if (dk.named.name != nameOrPath)
            continue;
        if (dk.named.arch != arch)
            throw UsageError("kernel " + nameOrPath + " is for " + dk.named.arch + ", not " + arch);
        return fetchDebian(dk, cache);
    }
    if (nameOrPath.find('/') != std::string::npos || fs::exists(nameOrPath))
        return fromPath(nameOrPath, arch, tc);
    throw UsageError("unknown kernel '" + nameOrPath + "' (known: " + knownList() +
                     "; or give a path to a kernel image or build tree)");
}

}  // namespace klp::image
