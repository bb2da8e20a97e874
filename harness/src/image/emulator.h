// A QEMU newer than the host's, for what the host's cannot do: a pseries guest
// reverted in place needs QEMU 8.2 or later ("target/ppc: Migrate DECR SPR");
// Debian 12 ships 7.2. It comes from a Debian suite (image/suite.h) into the
// cache, unpacked, never installed: the host's QEMU stays as it is for x86_64.
#pragma once
#include <filesystem>
#include <string>

#include "image/cache.h"

namespace klp::image {

// Where the newer QEMU comes from.
constexpr const char* kNewerQemuSuite = "bookworm-backports";

struct Emulator {
    std::filesystem::path path;  // runs like the host's qemu-system-*
    std::string version;         // its --version line
};

// `emulator` (qemu-system-ppc64) from Debian package `package` of `suite`.
Emulator suiteQemu(const std::string& emulator, const std::string& package, const std::string& suite,
                   Cache& cache);

// "10.0.2" from "QEMU emulator version 10.0.2 (Debian ...)"; "" when absent.
std::string qemuVersionNumber(const std::string& versionLine);
// Dotted versions compared numerically: "10.0.2" >= "8.2".
bool versionAtLeast(const std::string& have, const std::string& need);

}  // namespace klp::image
