// What every command that boots guests takes about them, in one struct: the
// commands' own argument structs extend it, and one function declares its
// flags, so `run`, `selftests`, `repro`, `boot` and `exec` spell them alike.
#pragma once
#include <string>
#include <vector>

namespace klp::cli {

struct GuestOptions {
    std::string cacheDir;              // "": ~/.cache/klp-harness
    std::string uri;                   // libvirt URI; "": the embedded driver
    std::string cmdline;               // extra kernel command line
    std::string userland = "base";     // guest userland: base or full (testbed::userlandKinds)
    int cpus = 1;
    int memory = 512;                  // MiB
    std::string accel = "auto";        // --accel auto|kvm|tcg (vm/accel.h)
    std::vector<std::string> modules;  // --module: .ko files or source dirs, beside ours in /lib/klp/
    std::vector<std::string> patches;  // --patch: source patches, made modules by the kernel's klp-build
};

}  // namespace klp::cli
