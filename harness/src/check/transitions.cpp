#include "check/transitions.h"

#include <cstdio>
#include <sstream>

namespace klp::check {

long Transition::heldMs(const Blocker& b) const {
    long until = b.switchMs >= 0 ? b.switchMs : endMs;
    return until >= 0 ? until - startMs : -1;
}

std::string Transition::describe() const {
    char buf[128];
    std::string s = patch + " " + direction;
    if (endMs >= 0) {
        std::snprintf(buf, sizeof buf, " %.2f s", (endMs - startMs) / 1000.0);
        s += buf;
    } else {
        s += " (did not end)";
    }
    if (reversals)
        s += ", reversed to " + finalDirection;
    for (const auto& b : blockers) {
        long held = heldMs(b);
        std::snprintf(buf, sizeof buf, " for %.2f s", held / 1000.0);
        // Without a switch event the task switched as the transition completed
        // (klp-watch stops sampling then), or not at all if it never did.
        s += "; blocked by " + b.comm + " (pid " + std::to_string(b.pid) + ") in " + b.function +
             (held >= 0 ? buf : " until the end") + (b.switchMs < 0 && endMs < 0 ? " (never switched)" : "");
    }
    return s;
}

std::vector<Transition> parseWatchLog(std::string_view text) {
    std::vector<Transition> out;
    std::istringstream in{std::string(text)};
    Transition* cur = nullptr;
    for (std::string line; std::getline(in, line);) {
        std::istringstream w(line);
        long ms;
        std::string what;
        // klp-watch prints milliseconds since boot: a line with a negative or
        // centuries-long time is garbage, and would overflow heldMs() and describe().
        constexpr long maxMs = 1'000'000'000'000'000;
        if (!(w >> ms >> what) || ms < 0 || ms > maxMs)
            continue;
        if (what == "start") {
            Transition t;
            t.startMs = ms;
            w >> t.patch >> t.direction;
            t.finalDirection = t.direction;
            out.push_back(t);
            cur = &out.back();
        } else if (!cur) {
            continue;
        } else if (what == "end") {
            cur->endMs = ms;
            cur = nullptr;
        } else if (what == "reverse") {
            std::string patch;
            w >> patch >> cur->finalDirection;
            cur->reversals++;
        } else if (what == "wait") {
            Blocker b;
            b.seenMs = ms;
            w >> b.pid >> b.comm >> b.function;
            cur->blockers.push_back(b);
        } else if (what == "switch") {
            int pid = 0;
            w >> pid;
            for (auto it = cur->blockers.rbegin(); it != cur->blockers.rend(); ++it)
                if (it->pid == pid && it->switchMs < 0) {
                    it->switchMs = ms;
                    break;
                }
        }
    }
    return out;
}

}  // namespace klp::check
