#include "util/paths.h"

#include <cstdlib>
#include <system_error>

namespace klp {
namespace fs = std::filesystem;

namespace {

// An installed tree: <prefix>/bin/klp-harness beside <prefix>/share/klp-harness.
// Found from the executable itself, so an install under any prefix (or a .deb
// unpacked anywhere) works without configuration.
fs::path installedDataDir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    fs::path data = exe.parent_path().parent_path() / "share" / "klp-harness";
    if (fs::is_directory(data / "guest", ec) && fs::is_directory(data / "images", ec))
        return data;
    return {};
}

}  // namespace

fs::path projectDir() {
    const char* env = getenv("KLP_HARNESS_HOME");
    if (env && *env)
        return env;
    // Computed once: the executable does not move while we run.
    static const fs::path installed = installedDataDir();
    return installed.empty() ? fs::path(KLP_SOURCE_DIR) : installed;
}

fs::path defaultCacheDir() {
    const char* xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        return fs::path(xdg) / "klp-harness";
    const char* home = getenv("HOME");
    return fs::path(home && *home ? home : "/tmp") / ".cache" / "klp-harness";
}

std::filesystem::path selfExecutable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::filesystem::path("klp-harness") : p;
}

}  // namespace klp
