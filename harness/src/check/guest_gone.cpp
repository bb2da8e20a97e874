#include "check/guest_gone.h"

#include <utility>
#include <vector>

namespace klp::check {

std::string guestGoneTitle(std::string_view console) {
    // kernel/reboot.c prints these with pr_emerg on every arch, pr_fmt "reboot: ".
    static const std::pair<const char*, const char*> kLast[] = {
        {"reboot: Restarting system", "guest rebooted"},
        {"reboot: Power down", "guest powered off"},
        {"reboot: System halted", "guest halted"},
    };
    size_t best = std::string_view::npos;
    std::string title;
    for (const auto& [line, what] : kLast) {
        size_t at = console.rfind(line);
        if (at != std::string_view::npos && (best == std::string_view::npos || at > best)) {
            best = at;
            title = std::string(what) + " (" + line + ")";
        }
    }
    return title;
}

std::string lastLines(std::string_view console, size_t n) {
    std::vector<std::string_view> lines;
    size_t end = console.size();
    while (end > 0 && lines.size() < n) {
        size_t start = console.rfind('\n', end - 1);
        size_t from = start == std::string_view::npos ? 0 : start + 1;
        std::string_view line = console.substr(from, end - from);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.remove_suffix(1);
        if (!line.empty())
            lines.push_back(line);
        if (start == std::string_view::npos)
            break;
        end = start;
    }
    std::string out;
    for (auto it = lines.rbegin(); it != lines.rend(); ++it)
        out += std::string(*it) + "\n";
    return out;
}

std::string connectionLostTitle(std::string_view error) {
    for (std::string_view prefix : {"SSH: ", "SFTP: "}) {
        if (error.substr(0, prefix.size()) != prefix)
            continue;
        std::string_view why = error.substr(prefix.size());
        // "cannot run '<command>': <libssh's words>": the command can be long; the why is what counts.
        if (why.substr(0, 12) == "cannot run '") {
            size_t colon = why.rfind("': ");
            if (colon != std::string_view::npos)
                why = why.substr(colon + 3);
        } else if (why.substr(0, 30) == "connection to the guest lost: ") {
            why = why.substr(30);
        }
        return "SSH connection to the guest lost: " + std::string(why);
    }
    return "";
}

}  // namespace klp::check
