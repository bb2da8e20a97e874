#include "image/emulator.h"

#include <regex>
#include <sstream>

#include "image/recipe.h"
#include "image/suite.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

Emulator suiteQemu(const std::string& emulator, const std::string& package, const std::string& suite,
                   Cache& cache) {
    Suite s(suite, cache);
    // The binary's package needs its own version of the shared parts (firmware,
    // vof.bin, modules), and every module it may load: QEMU also searches the
    // host's module dir, and one module of the host's older QEMU aborts it
    // ("Only modules from the same build can be loaded", then an assertion, as
    // soon as libvirt's capability probe lists the QOM types).
    std::vector<std::string> pkgs;
    KeyHasher key;
    key.add("suite", suite).add("emulator", emulator);
    for (const auto& p : {package, std::string("qemu-system-common"), std::string("qemu-system-data"),
                          std::string("qemu-system-modules-opengl"), std::string("qemu-system-modules-spice")}) {
        std::string v = s.candidate(p);
        if (v.empty())
            throw HarnessError("Debian " + suite + " offers no " + p + " (for " + emulator + ")");
        pkgs.push_back(p + "=" + v);
        key.add("package", pkgs.back());
    }
    const Recipe recipe("suite-qemu.sh");
    recipe.addTo(key);
    const std::string version = pkgs.front().substr(package.size() + 1);
    // The entry's path goes into domain XML and QEMU's -L: no epoch colon in it.
    const std::string label = emulator + "_" + std::regex_replace(version, std::regex("^[0-9]+:"), "");
    fs::path entry = cache.get("emulators", label, key.hex(), [&](const fs::path& dir) {
        requireTool("dpkg-deb", "dpkg");
        progress("fetching " + emulator + " " + version + " from Debian " + suite + " (unpacked into the cache)");
        fs::path log = cache.dir() / "logs" / (emulator + "-" + suite + ".log");
        fs::create_directories(log.parent_path());
        std::vector<std::string> args = {dir.string(), emulator};
        args.insert(args.end(), pkgs.begin(), pkgs.end());
        runChecked(recipe.command(args, {s.aptConfigEnv()}), log, {}, std::chrono::minutes(15));
    });
    Emulator e;
    e.path = entry / "bin" / emulator;
    std::string line = readFile(entry / "version");
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    e.version = line;
    return e;
}

std::string qemuVersionNumber(const std::string& versionLine) {
    // QEMU's own --version line, or what libvirt reports of a remote host's ("qemu 7.2.0").
    static const std::regex re(R"((?:version|qemu)\s+(\d+(\.\d+)*))", std::regex::icase);
    std::smatch m;
    return std::regex_search(versionLine, m, re) ? m[1].str() : "";
}

bool versionAtLeast(const std::string& have, const std::string& need) {
    std::istringstream a(have), b(need);
    for (;;) {
        std::string x, y;
        const bool gotX = static_cast<bool>(std::getline(a, x, '.')), gotY = static_cast<bool>(std::getline(b, y, '.'));
        if (!gotY)
            return true;  // every part `need` names is matched
        if (!gotX)
            return false;
        long nx = std::atol(x.c_str()), ny = std::atol(y.c_str());
        if (nx != ny)
            return nx > ny;
    }
}

}  // namespace klp::image
