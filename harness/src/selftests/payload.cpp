#include "selftests/payload.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "image/apt.h"
#include "image/suite.h"
#include "image/cpio.h"
#include "image/modules.h"
#include "image/recipe.h"
#include "selftests/judge.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::selftests {
namespace fs = std::filesystem;

namespace {
const char* kSelftests = "tools/testing/selftests/livepatch";

// "6.1.0-41-cloud-amd64" / "6.12.117-klp" -> "6.1" / "6.12".
std::string majorMinor(const std::string& release) {
    auto first = release.find('.');
    if (first == std::string::npos)
        return "";
    auto second = release.find_first_not_of("0123456789", first + 1);
    return release.substr(0, second);
}

std::vector<fs::path> filesUnder(const fs::path& dir) {
    std::vector<fs::path> files;
    if (!fs::is_directory(dir))
        return files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

// A cpio writer that adds each parent directory once.
struct Tree {
    image::CpioWriter cpio;
    std::set<std::string> dirs;
    void dir(const fs::path& p) {
        if (p.empty() || dirs.count(p.string()))
            return;
        dir(p.parent_path());
        dirs.insert(p.string());
        cpio.addDirectory(p.string());
    }
    void file(const fs::path& guestPath, const fs::path& host) {
        dir(guestPath.parent_path());
        struct stat st {};
        bool exec = ::stat(host.c_str(), &st) == 0 && (st.st_mode & S_IXUSR);
        cpio.addFile(guestPath.string(), readFile(host), exec ? 0755 : 0644);
    }
};
}  // namespace

Source selftestSource(const image::KernelImage& kernel, const std::string& tree, image::Cache& cache) {
    if (!tree.empty()) {
        if (!fs::exists(fs::path(tree) / kSelftests / "functions.sh"))
            throw UsageError("--source " + tree + ": no " + kSelftests + "/functions.sh in it");
        return {fs::absolute(tree), tree};
    }
    std::string pkg, version;
    std::vector<std::string> unkeyed;  // where apt finds another suite (image/suite.h), where patches lie
    if (!kernel.sourceSpec.empty()) {  // built here from a source package: the very same one
        pkg = kernel.sourceSpec.substr(0, kernel.sourceSpec.find('='));
        version = kernel.sourceSpec.substr(kernel.sourceSpec.find('=') + 1);
        if (!kernel.suite.empty())
            unkeyed.push_back(image::Suite(kernel.suite, cache).aptConfigEnv());
    } else {
        std::string xy = majorMinor(kernel.release);
        if (xy.empty())
            throw UsageError("kernel " + kernel.name + ": its release is unknown, so is its linux-source package; "
                             "give --source TREE");
        pkg = "linux-source-" + xy;
        // A binary kernel of another suite (debian-7.2: sid) has its source there too.
        std::optional<image::Suite> suite;
        if (!kernel.suite.empty()) {
            suite.emplace(kernel.suite, cache);
            unkeyed.push_back(suite->aptConfigEnv());
        }
        std::istringstream show(suite ? suite->aptCache({"show", "--no-all-versions", pkg})
                                      : image::aptCache({"show", "--no-all-versions", pkg}, cache));
        for (std::string l; std::getline(show, l);)
            if (l.rfind("Version: ", 0) == 0)
                version = l.substr(9);
    }
    if (version.empty())
        throw UsageError("apt knows no " + pkg + " for kernel " + kernel.name + " (" + kernel.release +
                         "): give --source TREE");
    image::Recipe recipe("selftests-source.sh");
    KeyHasher key;
    key.add("package", pkg).add("version", version);
    // The kernel's patch series, the selftests' part of it: as the kernel was built.
    std::string patchList, origin = pkg + " " + version;
    for (size_t i = 0; i < kernel.patches.size(); ++i) {
        key.addFile("patch-" + std::to_string(i), kernel.patches[i]);
        patchList += kernel.patches[i].string() + "\n";
        origin += (i ? ", " : " + ") + kernel.patches[i].filename().string();
    }
    if (!patchList.empty()) {
        recipe.uses("apply-patches.sh");
        unkeyed.push_back("KLP_PATCHES=" + patchList);
    }
    recipe.addTo(key);
    const std::string label = pkg + "_" + version + (patchList.empty() ? "" : "+" + kernel.name);
    fs::path entry = cache.get("selftests-src", label, key.hex(), [&](const fs::path& dir) {
        requireTool("apt-get", "apt");
        progress("fetching the livepatch selftests from " + pkg + " " + version);
        fs::path log = cache.dir() / "logs" / ("selftests-source-" + pkg + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(recipe.command({dir.string(), pkg + "=" + version}, unkeyed), log);
    });
    return {entry, origin};
}

Payload buildPayload(const image::KernelImage& kernel, const image::Toolchain& tc, const Source& src,
                     image::Cache& cache) {
    if (kernel.headersDir.empty() || !fs::exists(kernel.headersDir / "Makefile"))
        throw UsageError("kernel " + kernel.name + " has no headers or build tree to build the test modules against");
    if (kernel.release.empty())
        throw UsageError("kernel " + kernel.name + ": its release is unknown (where would modprobe look?)");
    const fs::path scripts = src.tree / kSelftests;
    // Newer kernels keep the test modules beside the scripts and insmod them
    // from there; older ones build lib/livepatch in-tree and modprobe them.
    const bool beside = fs::is_directory(scripts / "test_modules");
    const fs::path modSrc = beside ? scripts / "test_modules" : src.tree / "lib" / "livepatch";
    if (!fs::exists(modSrc / "Makefile"))
        throw UsageError(src.origin + ": neither " + std::string(kSelftests) + "/test_modules nor lib/livepatch");
    Payload p;
    p.layout = beside ? "test_modules" : "modprobe";
    p.scripts = testProgs(readFile(scripts / "Makefile"));
    if (p.scripts.empty())
        throw UsageError((scripts / "Makefile").string() + ": no TEST_PROGS");

    requireTool("make", "make");
    requireTool("depmod", "kmod");
    KeyHasher key;
    key.add("layout", "1").add("kernel", kernel.version).add("release", kernel.release);
    key.add("headers", kernel.headersDir.string()).add("arch", tc.kbuildArch);
    key.add("cc", image::kbuildCompilerId(kernel, tc));
    for (const auto& d : {scripts, modSrc})
        for (const auto& f : filesUnder(d))
            key.addFile(fs::relative(f, src.tree).string(), f);
    std::string label = kernel.name.find('/') == std::string::npos ? kernel.name : "tree";
    fs::path entry = cache.get("selftests", label + "-" + kernel.arch, key.hex(), [&](const fs::path& dir) {
        progress("building the livepatch selftest modules (" + src.origin + ") for " + kernel.name);
        fs::path build = dir / "build";
        fs::create_directories(build);
        for (const auto& f : filesUnder(modSrc))
            fs::copy_file(f, build / fs::relative(f, modSrc));
        fs::path log = cache.dir() / "logs" / ("selftests-" + label + "-" + kernel.arch + ".log");
        fs::create_directories(log.parent_path());
        std::vector<std::string> extra = {"-j2", "modules"};
        if (!beside)
            extra.push_back("CONFIG_TEST_LIVEPATCH=m");  // what lib/livepatch/Makefile builds them under
        auto r = runMerged(image::kbuildCommand(kernel, tc, build, extra));
        std::string text = r.output;
        if (r.exitCode != 0) {
            writeFile(log, text);
            throw HarnessError("building the selftest modules failed for " + kernel.name + " (log: " + log.string() +
                               "):" + image::summariseBuildErrors(r.output));
        }
        std::vector<fs::path> kos;
        for (const auto& e : fs::directory_iterator(build))
            if (e.path().extension() == ".ko")
                kos.push_back(e.path());
        std::sort(kos.begin(), kos.end());
        if (kos.empty())
            throw HarnessError("building the selftest modules for " + kernel.name + " made no .ko (log: " +
                               log.string() + ")");

        Tree t;
        const fs::path guest = fs::path(kGuestDir).relative_path();
        for (const auto& f : filesUnder(scripts))
            if (fs::relative(f, scripts).begin()->string() != "test_modules")  // sources: the .ko go there
                t.file(guest / fs::relative(f, scripts), f);
        if (beside) {
            for (const auto& ko : kos)
                t.file(guest / "test_modules" / ko.filename(), ko);
        } else {
            // Where modprobe finds them, with modules.dep from depmod (kmod reads
            // any arch's modules).
            fs::path root = dir / "modroot";
            fs::path kdir = root / "lib/modules" / kernel.release / "kernel/lib/livepatch";
            fs::create_directories(kdir);
            for (const auto& ko : kos)
                fs::copy_file(ko, kdir / ko.filename());
            auto d = runMerged({"depmod", "-b", root.string(), kernel.release});
            text += d.output;
            if (d.exitCode != 0) {
                writeFile(log, text);
                throw HarnessError("depmod for the selftest modules failed (log: " + log.string() + ")");
            }
            for (const auto& f : filesUnder(root))
                t.file(fs::relative(f, root), f);
            fs::remove_all(root);
        }
        // test-syscall's helper hammers getpid(); static, so it needs nothing of the guest.
        if (fs::exists(scripts / "test_klp-call_getpid.c")) {
            fs::path bin = build / "test_klp-call_getpid";
            const std::string cc = tc.crossCompile + "gcc";  // the host's: a static guest program
            requireCompiler(cc);
            auto c = runMerged({cc, "-static", "-O2", "-Wall", "-o", bin.string(),
                                (scripts / "test_klp-call_getpid.c").string()});
            text += c.output;
            if (c.exitCode != 0) {
                writeFile(log, text);
                throw HarnessError("compiling test_klp-call_getpid failed (log: " + log.string() + ")");
            }
            t.file(guest / "test_klp-call_getpid", bin);
        }
        writeFile(log, text);
        writeFile(dir / "payload.cpio", t.cpio.finish());
        fs::remove_all(build);
    });
    p.archive = entry / "payload.cpio";
    return p;
}

}  // namespace klp::selftests
