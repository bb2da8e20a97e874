#include "cases/console_watch.h"

#include <chrono>
#include <fstream>

namespace klp::cases {
using namespace std::chrono_literals;

namespace {
constexpr auto kPoll = 250ms;
// A crash report goes on for a while after its first line (registers, stack,
// the panic line): let it reach the console before the guest goes.
constexpr auto kReportGrace = 2s;
}  // namespace

ConsoleWatch::ConsoleWatch(vm::Instance& instance, std::uintmax_t offset)
    : instance_(instance), offset_(offset), thread_([this] { watch(); }) {}

ConsoleWatch::~ConsoleWatch() { stop(); }

void ConsoleWatch::stop() {
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
}

std::optional<check::Crash> ConsoleWatch::crash() const {
    std::lock_guard lock(mutex_);
    return crash_;
}

bool ConsoleWatch::checkVanished(std::chrono::milliseconds grace) {
    if (crash())
        return false;  // we destroyed it, for its crash
    for (auto waited = 0ms; !vanished_ && waited < grace; waited += 100ms) {
        if (!instance_.running())
            vanished_ = true;
        else
            std::this_thread::sleep_for(100ms);
    }
    return vanished_;
}

void ConsoleWatch::watch() {
    std::ifstream in;
    std::string pending;  // an incomplete last line
    while (!stop_) {
        if (!in.is_open()) {
            in.open(instance_.spec().consoleLog, std::ios::binary);
            if (in.is_open())
                in.seekg(static_cast<std::streamoff>(offset_));
        }
        std::string chunk;
        if (in.is_open()) {
            in.clear();  // past EOF last time: the file grows
            char buf[65536];
            while (in.read(buf, sizeof buf) || in.gcount() > 0)
                chunk.append(buf, static_cast<size_t>(in.gcount()));
        }
        pending += chunk;
        size_t end = pending.rfind('\n');
        if (end != std::string::npos) {
            for (const auto& c : check::findCrashes(std::string_view(pending).substr(0, end + 1)))
                if (c.fatal) {
                    {
                        std::lock_guard lock(mutex_);
                        crash_ = c;
                    }
                    for (auto t = 0ms; t < kReportGrace && !stop_; t += kPoll)
                        std::this_thread::sleep_for(kPoll);
                    instance_.destroy();
                    return;
                }
            pending.erase(0, end + 1);
        }
        if (pending.size() > (1u << 20))  // a flood without newlines: keep its tail
            pending.erase(0, pending.size() - (64u << 10));
        if (!instance_.running()) {
            // Stopped by us (destroy) only after stop(): anything else vanished it.
            vanished_ = !stop_;
            return;
        }
        std::this_thread::sleep_for(kPoll);
    }
}

}  // namespace klp::cases
