#include "util/progress.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace klp {

static bool quietMode = false;
static const auto processStart = std::chrono::steady_clock::now();

void setQuiet(bool quiet) { quietMode = quiet; }
bool isQuiet() { return quietMode; }

void progress(std::string_view msg) {
    if (quietMode)
        return;
    static std::mutex m;
    std::lock_guard lock(m);
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - processStart).count();
    std::fprintf(stderr, "klp-harness: [%5.1fs] %.*s\n", t, static_cast<int>(msg.size()), msg.data());
}

}  // namespace klp
