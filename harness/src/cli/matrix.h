// Matrix files: a whole run (arches x kernels x cases, with guest settings per
// row) written down once, e.g. for the nightly job, instead of a long command line.
//
//   # nightly.yaml
//   defaults: {cpus: 1, memory: 512, repeat: 1, cmdline: ""}   # optional
//   matrix:
//     - arches: [x86_64]                  # optional, default [x86_64]
//       kernels: [debian-6.1, debian-6.12] # as --kernel takes them (NAME, ARCH:NAME, a path)
//       cases: [cases]                    # case files or folders, relative to this
//                                         # file's folder; globs allowed (cases/*.yaml)
//       filter: ["state/*"]               # optional case-name globs, as --filter
//       cmdline: "loglevel=7"             # optional extra kernel command line
//       accel: tcg                        # optional: auto, kvm or tcg (default: --accel)
//       memory: 768                       # optional: cpus 1..64, memory 128..65536 MiB,
//                                         # repeat 1..10000 (each row overrides defaults)
//     - arches: [ppc64le]
//       kernels: [own-6.1, own-6.12]
//       cases: [cases]
//
// A list key also takes a single value (`kernels: debian-6.1`). Every problem is a
// UsageError "FILE:LINE: message" before anything runs: an unknown key, a value
// of the wrong type or out of range, an unknown arch, a row without kernels or
// cases, a path or glob that matches nothing.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace klp::cli {

struct MatrixEntry {
    std::vector<std::string> arches, kernels;
    std::vector<std::string> paths;    // case files and folders, resolved (globs expanded)
    std::vector<std::string> filters;  // case-name globs; empty: every case
    int cpus = 1;
    int memory = 512;                  // MiB
    std::string cmdline;
    std::string accel;                 // auto, kvm or tcg; empty: --accel
    int repeat = 1;
    int line = 0;                      // of the row in the matrix file
};

std::vector<MatrixEntry> loadMatrix(const std::filesystem::path& file);

}  // namespace klp::cli
