#include "util/paths.h"

#include <cstdlib>

namespace klp {

std::filesystem::path projectDir() {
    const char* env = getenv("KLP_HARNESS_HOME");
    return env && *env ? std::filesystem::path(env) : std::filesystem::path(KLP_SOURCE_DIR);
}

std::filesystem::path defaultCacheDir() {
    const char* xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        return std::filesystem::path(xdg) / "klp-harness";
    const char* home = getenv("HOME");
    return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "klp-harness";
}

}  // namespace klp
