// Small pieces every file of the libvirt backend shares (not part of vm.h's API).
#pragma once
#include <string>

namespace klp::vm::libvirt {

// libvirt's message for the last failed call on this thread.
std::string lastError();

// True when the last failed call on this thread failed with `code` (virErrorNumber).
bool lastErrorIs(int code);

// A /bin/sh script that runs `qemu` with every "-accel tcg" turned into
// "-accel tcg,thread=single". QEMU 7.2's multi-threaded TCG runs stale code after
// text_poke on x86 (spurious "Oops: int3" at just-patched call sites; README,
// "Platform notes"), which livepatching does constantly. libvirt has no XML for
// thread=single, QEMU honours the first -accel (libvirt's own), and
// "-global tcg-accel.thread=single" is refused: so this wrapper is the emulator.
std::string tcgSingleThreadScript(const std::string& qemu);

}  // namespace klp::vm::libvirt
