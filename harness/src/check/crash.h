// Classifies console output: the kernel crash reports a case must not ignore.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

struct Crash {
    // panic, stack-protector, oops, BUG, general protection fault, invalid opcode,
    // double fault, list corruption, KASAN, KFENCE, UBSAN, sleep in atomic, WARNING,
    // lockdep, RCU stall, hung task, soft lockup
    std::string kind;
    // The report's first line, normalised: the same on every run of the same kernel
    // and module (no timestamps, addresses, CPU/PID numbers, +0x12/0x40 offsets or
    // absolute build paths), and "in <function>" where the report names the faulting
    // function on a following RIP/NIP line (or, for list corruption, the first
    // reliable caller), e.g. "BUG: kernel NULL pointer dereference in fault_oops".
    std::string title;
    int line = 0;  // 0-based line in the console text where the report starts
    // The guest cannot be trusted to go on: panic, oops, BUG, faults, stack-protector,
    // list corruption, RCU stall, soft lockup, hung task. False for WARNING, lockdep,
    // KASAN, KFENCE, UBSAN and sleep-in-atomic reports, after which the kernel carries on by default
    // (with panic_on_warn a panic line follows, reported as a fatal crash of its own).
    bool fatal = false;
};

// Every crash report in `console`, in order, one per incident: the lines one report
// prints after its first (the "Oops: ... [#1]" / "invalid opcode: 0000 [#1]" header
// after "kernel BUG at" or a NULL dereference, the BUG or WARNING of list corruption,
// "KASAN: null-ptr-deref in range" after a general protection fault) belong to it
// and add no crash. A panic that follows an oops is reported too (both lines matter
// to a reader). Bounded: only the first 512 bytes of each line are looked at, and
// matching is linear-time (RE2), so huge or binary console output is harmless.
std::vector<Crash> findCrashes(std::string_view console);

// Every kind findCrashes reports (what a case's `expect-crash:` may name).
const std::vector<std::string>& crashKinds();

}  // namespace klp::check
