// Why a guest went away while a case ran, from what its console said last: the
// title a report gives instead of "vanished" (as syzkaller titles its reports).
// Pure: console text in, words out.
#pragma once
#include <string>
#include <string_view>

namespace klp::check {

// "guest rebooted (reboot: Restarting system)", "guest powered off (reboot: Power
// down)", "guest halted (reboot: System halted)"; "" when the console does not
// say (its QEMU was killed from outside, or died). `console`: this case's part.
std::string guestGoneTitle(std::string_view console);

// The last `n` non-empty lines of `console`, for a report's detail.
std::string lastLines(std::string_view console, size_t n);

// A connection error as a title: "SSH connection to the guest lost: <libssh's
// words>" for the transport's own errors ("SSH: cannot run 'x': <why>"); ""
// for anything else.
std::string connectionLostTitle(std::string_view error);

}  // namespace klp::check
