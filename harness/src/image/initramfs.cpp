#include "image/initramfs.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "image/apt.h"
#include "image/recipe.h"
#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {
// The versions of the Debian packages `recipe --packages` names, into `key`: a
// security update of dropbear or libc is a new image.
void addPackageVersions(KeyHasher& key, const Recipe& recipe, const std::string& debArch, Cache& cache) {
    std::istringstream pkgs(runChecked(recipe.command({"--packages"})));
    std::vector<std::string> args = {"show", "--no-all-versions"};
    for (std::string p; pkgs >> p;)
        args.push_back(p + ":" + debArch);
    auto show = aptCache(args, cache);
    std::istringstream lines(show);
    size_t found = 0;
    for (std::string l; std::getline(lines, l);) {
        if (l.rfind("Package: ", 0) == 0 || l.rfind("Version: ", 0) == 0)
            key.add("pkg", l);
        found += l.rfind("Package: ", 0) == 0;
    }
    if (found + 2 < args.size())  // args: "show", "--no-all-versions", then the packages
        throw UsageError("apt knows no " + debArch + " packages for the guest userland: run "
                         "`dpkg --add-architecture " + debArch + " && apt-get update` "
                         "(or scripts/install-deps.sh)");
}
}  // namespace

fs::path baseUserland(const std::string& debArch, const std::string& cc, Cache& cache) {
    const Recipe recipe("userland.sh", {{"KLP_DEB_ARCH", debArch}, {"KLP_CC", cc}});
    fs::path guest = projectDir() / "guest";
    KeyHasher key;
    key.add("arch", debArch).addFile("init", guest / "init");
    recipe.addTo(key);
    std::vector<fs::path> tools;
    for (const auto& e : fs::directory_iterator(guest / "tools"))
        if (e.path().extension() == ".c")
            tools.push_back(e.path());
    std::sort(tools.begin(), tools.end());
    for (const auto& t : tools)
        key.addFile(t.filename().string(), t);
    requireCompiler(cc);
    key.add("cc", runChecked({cc, "--version"}).substr(0, 80));
    addPackageVersions(key, recipe, debArch, cache);
    fs::path entry = cache.get("userland", debArch, key.hex(), [&](const fs::path& dir) {
        requireTool("apt-get", "apt");
        requireTool("readelf", "binutils");
        requireTool("dropbearkey", "dropbear-bin");
        progress("building the " + debArch + " guest userland (busybox, dropbear, klp tools)");
        fs::path log = cache.dir() / "logs" / ("userland-" + debArch + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(recipe.command({(dir / "userland.cpio.gz").string(), guest.string()}), log);
    });
    return entry / "userland.cpio.gz";
}

fs::path fullUserlandLayer(const std::string& debArch, Cache& cache) {
    const Recipe recipe("userland-full.sh", {{"KLP_DEB_ARCH", debArch}});
    KeyHasher key;
    key.add("arch", debArch);
    recipe.addTo(key);
    addPackageVersions(key, recipe, debArch, cache);
    fs::path entry = cache.get("userland", "full-" + debArch, key.hex(), [&](const fs::path& dir) {
        requireTool("apt-get", "apt");
        requireTool("readelf", "binutils");
        progress("building the " + debArch + " full userland layer (bash, kmod, procps, coreutils, ...)");
        fs::path log = cache.dir() / "logs" / ("userland-full-" + debArch + ".log");
        fs::create_directories(log.parent_path());
        fs::remove(log);
        runChecked(recipe.command({(dir / "full.cpio.gz").string()}), log);
    });
    return entry / "full.cpio.gz";
}

void assembleInitrd(const fs::path& out, const fs::path& base, const KernelImage& kernel,
                    const std::string& overlayCpio) {
    assembleInitrd(out, std::vector<fs::path>{base}, kernel, overlayCpio);
}

void assembleInitrd(const fs::path& out, const std::vector<fs::path>& layers, const KernelImage& kernel,
                    const std::string& overlayCpio) {
    std::ofstream o(out, std::ios::binary | std::ios::trunc);
    auto append = [&](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        if (!in)
            throw HarnessError("cannot read " + p.string());
        o << in.rdbuf();
        // The kernel wants each archive to start 4-byte aligned.
        while (o.tellp() % 4)
            o.put('\0');
    };
    for (const auto& layer : layers)
        append(layer);
    if (!kernel.modulesCpio.empty())
        append(kernel.modulesCpio);
    o.write(overlayCpio.data(), static_cast<std::streamsize>(overlayCpio.size()));
    if (!o)
        throw HarnessError("cannot write " + out.string());
}

}  // namespace klp::image
