// The embedded libvirt backend (URI ""): libvirt's QEMU driver runs inside our
// own process (qemu:///embed?root=DIR), so there is no daemon, and DIR holds all
// its state: a run never touches the host's libvirt. QEMU shares our
// filesystem: the domain gets our own paths.
#pragma once
#include <filesystem>
#include <memory>

#include "vm/registry.h"

namespace klp::vm::embedded {

// The root is libvirt::stateDirIn(opts.runDir). libvirt allows one embedded root per
// process, for the process's life: the first open fixes it and later ones share
// that backend. QEMU capability probes are kept in `opts.cacheDir`/libvirt-probes
// between runs (probing the QEMU binaries costs seconds at every open); libvirt
// itself re-probes an entry whose QEMU or libvirt changed.
std::shared_ptr<Backend> open(const BackendOptions& opts);

// Kills the QEMU processes the root of run dir `runDir` left behind (its
// run/qemu/*.pid files), e.g. after the harness was SIGKILLed. Safe on a root
// that is in use by nobody. Returns how many it killed.
int sweep(const std::filesystem::path& runDir);

}  // namespace klp::vm::embedded
