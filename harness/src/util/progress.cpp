#include "util/progress.h"

#include <cstdio>
#include <mutex>
#include <string>

namespace klp {

static bool quietMode = false;

void setQuiet(bool quiet) { quietMode = quiet; }

void progress(std::string_view msg) {
    if (quietMode)
        return;
    static std::mutex m;
    std::lock_guard lock(m);
    std::fprintf(stderr, "klp-harness: %.*s\n", static_cast<int>(msg.size()), msg.data());
}

}  // namespace klp
