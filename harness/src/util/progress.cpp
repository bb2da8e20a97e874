#include "util/progress.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

namespace klp {

namespace {
std::atomic<bool> quietMode{false};
thread_local bool threadQuiet = false;
const auto processStart = std::chrono::steady_clock::now();
std::mutex outMutex;     // whole lines, never interleaved
std::string status;      // the status line now shown ("" none)

bool terminal() {
    static const bool tty = isatty(STDERR_FILENO) == 1;
    return tty && !quietMode;
}
void eraseStatus() {
    if (!status.empty())
        std::fputs("\r\033[K", stderr);
}
void drawStatus() {
    if (!status.empty()) {
        std::fputs(status.c_str(), stderr);
        std::fflush(stderr);
    }
}
}  // namespace

void setQuiet(bool quiet) { quietMode = quiet; }
bool isQuiet() { return quietMode || threadQuiet; }
void setThreadQuiet(bool quiet) { threadQuiet = quiet; }

void printLine(std::FILE* f, std::string_view text) {
    std::lock_guard lock(outMutex);
    eraseStatus();
    std::fflush(stderr);
    std::fwrite(text.data(), 1, text.size(), f);
    if (text.empty() || text.back() != '\n')
        std::fputc('\n', f);
    std::fflush(f);
    drawStatus();
}

void progress(std::string_view msg) {
    if (isQuiet())
        return;
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - processStart).count();
    char head[48];
    std::snprintf(head, sizeof head, "klp-harness: [%5.1fs] ", t);
    printLine(stderr, std::string(head) + std::string(msg));
}

bool statusLineShown() { return terminal(); }

void statusLine(std::string_view text) {
    if (!terminal())
        return;
    std::lock_guard lock(outMutex);
    eraseStatus();
    status = text;
    if (status.empty())
        std::fflush(stderr);
    drawStatus();
}

}  // namespace klp
