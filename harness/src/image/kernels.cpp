#include "image/kernels.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "image/apt.h"
#include "image/git_tree.h"
#include "image/kernel_catalog.h"
#include "image/recipe.h"
#include "image/suite.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

// Where apt looks: the host's lists, or a suite's own (image/suite.h).
class AptSource {
public:
    AptSource(const std::string& suite, Cache& cache) : cache_(cache) {
        if (!suite.empty())
            suite_.emplace(suite, cache);
    }
    std::string query(const std::vector<std::string>& args) {
        return suite_ ? suite_->aptCache(args) : aptCache(args, cache_);
    }
    // What a recipe's environment needs to download from it (not part of keys).
    std::vector<std::string> env() { return suite_ ? std::vector<std::string>{suite_->aptConfigEnv()} : std::vector<std::string>{}; }
    std::string describe() const { return suite_ ? "Debian " + suite_->name() : "the host's apt lists"; }
    std::string hint() const { return suite_ ? "" : "; run apt-get update"; }

    // Fields of `apt-cache show` records (PKG or PKG=VERSION), keyed by package name.
    std::map<std::string, std::map<std::string, std::string>> show(const std::vector<std::string>& pkgs) {
        std::vector<std::string> args = {"show", "--no-all-versions"};
        args.insert(args.end(), pkgs.begin(), pkgs.end());
        std::map<std::string, std::map<std::string, std::string>> out;
        std::istringstream in(query(args));
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

    // Every version of `pkgs` the lists offer: {version, package}.
    std::vector<std::pair<std::string, std::string>> versions(const std::vector<std::string>& pkgs) {
        std::vector<std::string> args = {"madison"};
        args.insert(args.end(), pkgs.begin(), pkgs.end());
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [pkg, version] : madisonRows(query(args)))
            if (std::find(out.begin(), out.end(), std::make_pair(version, pkg)) == out.end())
                out.emplace_back(version, pkg);
        return out;
    }

    // Binary package names matching `pattern`.
    std::vector<std::string> namesMatching(const std::string& pattern) {
        std::vector<std::string> out;
        std::regex re(pattern);
        std::istringstream in(query({"pkgnames", "linux-image-"}));
        for (std::string n; std::getline(in, n);)
            if (std::regex_match(n, re))
                out.push_back(n);
        return out;
    }

private:
    Cache& cache_;
    std::optional<Suite> suite_;
};

bool newerVersion(const std::string& a, const std::string& b) { return strverscmp(a.c_str(), b.c_str()) > 0; }

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
    for (const auto& k : kernelCatalog())
        s += (s.empty() ? "" : ", ") + k.name + " (" + k.archList() + ")";
    return s;
}

std::string trimmed(std::string s) {
    while (!s.empty() && isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    return s;
}

// The image package of a debian-binary kernel: the newest, or the one at `pin`.
std::string debianImagePackage(const KernelEntry& dk, const std::string& pin, AptSource& apt) {
    auto names = apt.namesMatching(dk.debianBinary);
    if (names.empty())
        throw HarnessError("no Debian package in " + apt.describe() + " matches " + dk.name + " (" + dk.debianBinary +
                           ", " + dk.where() + ")" + apt.hint());
    if (pin.empty())
        return newestMatching(names, dk.debianBinary);
    for (const auto& [version, pkg] : apt.versions(names))
        if (version == pin)
            return pkg + "=" + version;
    throw UsageError("kernel " + dk.name + "@" + pin + ": " + apt.describe() + " offers no such version (see `klp-harness kernels --versions " + dk.name + "`)");
}

// linux-image-X[-unsigned] -> linux-headers-X.
std::string headersPackageOf(const std::string& image) {
    std::string headers = std::regex_replace(image, std::regex("^linux-image-"), "linux-headers-");
    return std::regex_replace(headers, std::regex("-unsigned$"), "");
}

KernelImage fetchDebian(const KernelEntry& dk, const std::string& pin, Cache& cache) {
    AptSource apt(dk.suite, cache);
    const std::string imageSpec = debianImagePackage(dk, pin, apt);
    const std::string image = imageSpec.substr(0, imageSpec.find('='));
    const std::string headers = headersPackageOf(image);
    auto info = apt.show({imageSpec, pin.empty() ? headers : headers + "=" + pin});
    if (!info.count(image) || !info.count(headers))
        throw HarnessError("apt-cache knows no " + (info.count(image) ? headers : image) + apt.hint());
    const std::string version = info[image]["Version"];
    std::vector<std::string> pkgs = {image + "=" + version, headers + "=" + info[headers]["Version"]};
    for (const auto& dep : dependsNames(info[headers]["Depends"]))
        if (dep.rfind("linux-headers-", 0) == 0 || dep.rfind("linux-kbuild-", 0) == 0)
            pkgs.push_back(dep);
    // Since 7.x the image package is a shell: vmlinuz, the modules and their
    // modules.order/builtin are its dependencies.
    for (const auto& dep : dependsNames(info[image]["Depends"]))
        if (dep.rfind("linux-binary-", 0) == 0 || dep.rfind("linux-modules-", 0) == 0 ||
            dep.rfind("linux-base-", 0) == 0)
            pkgs.push_back(dep + "=" + version);  // built with the image: the same version
    const Recipe recipe = Recipe("debian-kernel.sh").uses("suite-toolchain.sh");
    KeyHasher key;
    key.add("version", version);
    recipe.addTo(key);
    // Package names, not name=version: keys stay what they were before pins.
    for (const auto& p : pkgs)
        key.add("package", p.substr(0, p.find('=')));
    if (!dk.suite.empty())
        key.add("suite", dk.suite);
    fs::path entry = cache.get("kernels", dk.name + "_" + version, key.hex(), [&](const fs::path& dir) {
        requireTool("dpkg-deb", "dpkg");
        requireTool("depmod", "kmod");
        requireTool("cpio", "cpio");
        progress("fetching " + dk.name + ": " + image + " " + version + " (+ headers) from " + apt.describe());
        std::vector<std::string> args = {dir.string()};
        args.insert(args.end(), pkgs.begin(), pkgs.end());
        fs::path log = cache.dir() / "logs" / (dk.name + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(recipe.command(args, apt.env()), log, [](std::string_view line) { progress(line); });
    });
    KernelImage k;
    k.name = dk.name;
    k.arch = dk.arches.front();
    k.release = trimmed(readFile(entry / "release"));
    k.kernel = entry / "root" / "boot" / ("vmlinuz-" + k.release);
    k.modulesCpio = entry / "kmods.cpio.gz";
    k.headersDir = entry / "root" / "usr" / "src" / ("linux-headers-" + k.release);
    k.version = image + " " + version;
    k.suite = dk.suite;
    if (fs::is_directory(entry / "toolchain" / "usr" / "bin"))
        k.toolPath = entry / "toolchain" / "usr" / "bin";
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

// The first line of `log` that starts with `prefix`, without it.
std::optional<std::string> lineStartingWith(const fs::path& log, const std::string& prefix) {
    std::error_code ec;
    if (!fs::is_regular_file(log, ec))
        return std::nullopt;
    std::istringstream in(readFile(log));
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0)
            return line.substr(prefix.size());
    return std::nullopt;
}

// Where a kernel we build comes from: Debian's linux-source-X.Y at a version, or
// a commit of a git repository (built in a checkout kept in the cache).
struct OwnSource {
    std::string version;   // the package version, or the commit's first 12 hex digits
    std::string keyText;   // what identifies the source in the cache key
    std::string describe;  // "linux-source-7.2 7.2.13-1", "tree:~/linux abcdef012345"
    std::string commit;    // git only
};

OwnSource ownSourceOf(const KernelEntry& ok, const std::string& pin, AptSource& apt) {
    OwnSource s;
    if (!ok.git.empty()) {
        const std::string who = ok.line ? ok.where() + ": kernel '" + ok.name + "'" : ok.where();  // tree:PATH: no file
        s.commit = resolveCommit(ok.git, pin.empty() ? ok.rev : pin, who);
        s.version = s.commit.substr(0, 12);
        s.keyText = "git " + s.commit;  // the content: where the repository lies is not what is built
        s.describe = ok.git.string() + " " + s.version;
        return s;
    }
    s.version = pin;
    if (pin.empty()) {
        auto info = apt.show({ok.debianSource});
        if (!info.count(ok.debianSource))
            throw HarnessError(apt.describe() + " offers no " + ok.debianSource + " (" + ok.where() + ")" + apt.hint());
        s.version = info[ok.debianSource]["Version"];
    } else {
        auto offered = apt.versions({ok.debianSource});
        if (std::none_of(offered.begin(), offered.end(), [&](const auto& v) { return v.first == pin; }))
            throw UsageError("kernel " + ok.name + "@" + pin + ": " + apt.describe() + " offers no such version of " +
                             ok.debianSource + " (see `klp-harness kernels --versions " + ok.name + "`)");
    }
    s.keyText = ok.debianSource + " " + s.version;
    s.describe = s.keyText;
    return s;
}

// The checkout a git kernel builds in: one per repository and arch, kept.
fs::path workspaceOf(const KernelEntry& ok, const std::string& arch, Cache& cache) {
    std::string base = fs::absolute(ok.git).lexically_normal().filename().string();
    if (base.empty())
        base = "tree";
    return cache.dir() / "trees" /
           (base + "-" + sha256Hex(fs::absolute(ok.git).lexically_normal().string()).substr(0, 10) + "-" + arch);
}

// The arch's toolchain and kernel layout come from its profile, as the recipe's do.
KernelImage buildOwn(const KernelEntry& ok, const std::string& pin, const std::string& arch, Cache& cache) {
    const vm::ArchProfile& profile = vm::archProfile(arch);
    AptSource apt(ok.suite, cache);
    const OwnSource src = ownSourceOf(ok, pin, apt);
    const std::string& version = src.version;
    ok.requirePatches();
    std::vector<std::string> unkeyed = apt.env();  // where apt finds the suite and the patches lie
    const std::string cc = profile.crossCompile + "gcc";
    requireCompiler(cc);
    const Recipe recipe = Recipe("own-kernel.sh", kernelBuildEnv(profile)).uses("apply-patches.sh");
    const fs::path images = recipe.path().parent_path();
    // The .config is a function of the source, the fragments and the compiler
    // (Kconfig probes it), so these make the key without configuring anything.
    KeyHasher key;
    key.add("source", src.keyText).add("arch", arch);
    if (!ok.suite.empty())
        key.add("suite", ok.suite);
    recipe.addTo(key);
    for (const auto* frag : {"livepatch", "slim"})
        key.addFile(frag, images / "config" / (std::string(frag) + ".config"));
    key.addFile("arch-config", images / "config" / (arch + ".config"));
    key.add("cc", runChecked({cc, "--version"}).substr(0, 120));
    // Kconfig records the assembler and linker versions (AS_VERSION, LD_VERSION).
    key.add("ld", runChecked({profile.crossCompile + "ld", "--version"}).substr(0, 120));
    // The series and the entry's fragments by content; where they lie is not what is built.
    std::string patchList, configList;
    for (size_t i = 0; i < ok.patches.size(); ++i) {
        key.addFile("patch-" + std::to_string(i), ok.patches[i]);
        patchList += ok.patches[i].string() + "\n";
    }
    if (!patchList.empty()) {
        requireTool("patch", "patch");
        unkeyed.push_back("KLP_PATCHES=" + patchList);
    }
    for (size_t i = 0; i < ok.configs.size(); ++i) {
        key.addFile("config-" + std::to_string(i), ok.configs[i]);
        configList += fs::absolute(ok.configs[i]).string() + "\n";
    }
    if (!configList.empty())
        unkeyed.push_back("KLP_CONFIGS=" + configList);
    // A tree:PATH name holds a path: its label is the repository's dir name.
    const std::string base = (ok.git.empty() || ok.line ? ok.name : "tree-" + ok.git.filename().string()) + "-" + arch;
    const std::string label = base + "_" + version;
    fs::path entry = cache.get("kernels", label, key.hex(), [&](const fs::path& dir) {
        for (const auto& [tool, pkg] : std::vector<std::pair<std::string, std::string>>{
                 {"make", "make"}, {"flex", "flex"}, {"bison", "bison"}, {"bc", "bc"},
                 {"dpkg-deb", "dpkg"}, {"xz", "xz-utils"}, {"cpio", "cpio"}})
            requireTool(tool, pkg);
        requireBuildHeaders();
        const bool fromGit = !ok.git.empty();
        progress("building kernel " + ok.name + " for " + arch + " from " + src.describe +
                 (ok.patches.empty() ? "" : " + " + std::to_string(ok.patches.size()) + " patches") +
                 (ok.configs.empty() ? "" : " + " + std::to_string(ok.configs.size()) + " config fragment(s)") +
                 (fromGit ? " (a first build takes 15-20 min on 2 cores, the next commit's is incremental)"
                          : " (15-20 min on 2 cores; cached afterwards)"));
        removeDeadScratch(dir);
        fs::path log = cache.dir() / "logs" / (base + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        // A git kernel builds in its checkout, one build at a time per checkout.
        std::optional<FileLock> treeLock;
        std::string sourceArg = ok.debianSource + "=" + version;
        if (fromGit) {
            const fs::path ws = workspaceOf(ok, arch, cache);
            fs::create_directories(ws.parent_path());
            treeLock.emplace(ws.string() + ".lock");
            progress("checking out " + src.commit.substr(0, 12) + " in " + ws.string());
            checkoutIn(ws, ok.git, src.commit);
            sourceArg = "tree=" + ws.string();
        }
        try {
            // Bounded like every host command: 15-40 min is normal on 2 cores.
            runChecked(recipe.command({dir.string(), sourceArg}, unkeyed), log,
                       [](std::string_view line) { progress(line); }, std::chrono::hours(3));
        } catch (const HarnessError& e) {
            // The entry goes with the failure: keep its build output beside the recipe's log.
            fs::path kept = log;
            kept.replace_extension(".build.log");
            std::error_code copyError;
            fs::copy_file(dir / "build.log", kept, fs::copy_options::overwrite_existing, copyError);
            // A patch of the entry's series that does not apply is the user's to fix: one line.
            if (auto refusal = lineStartingWith(log, "apply-patches.sh: "))
                throw UsageError(ok.where() + ": kernel '" + ok.name + "': patch " + *refusal +
                                 (copyError ? "" : " (patch output: " + kept.string() + ")"));
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
    k.version = src.describe;
    for (size_t i = 0; i < ok.patches.size(); ++i)  // the reports say what it is built from
        k.version += (i ? ", " : " + ") + ok.patches[i].filename().string();
    for (const auto& c : ok.configs)
        k.version += " + " + c.filename().string();
    if (!ok.debianSource.empty())
        k.sourceSpec = ok.debianSource + "=" + version;  // what klp-build's tree is made from
    k.suite = ok.suite;
    k.patches = ok.patches;
    k.config = entry / "config";
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
    for (const auto& k : kernelCatalog())
    {
        std::string needs;
        for (const auto& v : k.unsetVars)
            needs += (needs.empty() ? "" : ", ") + v;
        if (!needs.empty())
            needs += " set in the environment (where its patches: are)";
        out.push_back({k.name, k.archList(), k.about, needs});
    }
    return out;
}

std::vector<std::string> kernelVersions(const std::string& name, Cache& cache) {
    const KernelEntry* k = findKernel(name);
    if (!k)
        throw UsageError("unknown kernel '" + name + "' (known: " + knownList() + ")");
    if (!k->path.empty())
        throw UsageError("kernel " + name + " is a path (" + k->path.string() + "): it has no versions to choose from");
    if (!k->git.empty()) {  // the newest commits of its revision: NAME@COMMIT pins one
        std::vector<std::string> out;
        resolveCommit(k->git, k->rev, k->line ? k->where() + ": kernel '" + name + "'" : k->where());
        for (const auto& line : recentCommits(k->git, k->rev, 30))
            out.push_back(line.substr(0, 12) + "  " + line.substr(line.find("  ") + 2) + " (git " + k->git.string() + ")");
        return out;
    }
    AptSource apt(k->suite, cache);
    auto found = k->debianSource.empty() ? apt.versions(apt.namesMatching(k->debianBinary))
                                         : apt.versions({k->debianSource});
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return newerVersion(a.first, b.first); });
    // A binary kernel is usable only with its headers (our modules build against
    // them); the archive drops old headers before old images.
    std::set<std::pair<std::string, std::string>> withHeaders;
    if (!k->debianBinary.empty()) {
        std::vector<std::string> headers;
        for (const auto& [version, pkg] : found)
            headers.push_back(headersPackageOf(pkg));
        std::sort(headers.begin(), headers.end());
        headers.erase(std::unique(headers.begin(), headers.end()), headers.end());
        for (const auto& [version, pkg] : apt.versions(headers))
            withHeaders.emplace(version, pkg);
    }
    std::vector<std::string> out;
    for (const auto& [version, pkg] : found) {
        bool usable = k->debianBinary.empty() || withHeaders.count({version, headersPackageOf(pkg)});
        out.push_back(version + "  " + pkg + " (" + apt.describe() + ")" + (usable ? "" : std::string(kNoHeaders)));
    }
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

KernelImage resolveKernel(const std::string& spec, const std::string& arch, const Toolchain& tc, Cache& cache) {
    // A path may hold an '@'; a name never does.
    auto [name, pin] = findKernel(spec) ? std::make_pair(spec, std::string()) : splitPin(spec);
    if (const KernelEntry* k = findKernel(name)) {
        if (!k->hasArch(arch))
            throw UsageError("kernel " + name + " is for " + k->archList() + ", not " + arch + " (" + k->where() + ")");
        if (!k->path.empty()) {
            if (!pin.empty())
                throw UsageError("kernel " + name + " is a path: it has no versions (@" + pin + ")");
            KernelImage img = fromPath(k->path, arch, tc);
            img.name = name;
            return img;
        }
        KernelImage img = k->built() ? buildOwn(*k, pin, arch, cache) : fetchDebian(*k, pin, cache);
        if (!pin.empty())
            img.name = spec;  // reports tell a pinned kernel from the newest
        return img;
    }
    if (spec.find('/') != std::string::npos || fs::exists(spec))
        return fromPath(spec, arch, tc);
    throw UsageError("unknown kernel '" + spec + "' (known: " + knownList() +
                     "; or give a path to a kernel image or build tree)");
}

}  // namespace klp::image
