// The libvirt backend. By default it embeds libvirt's QEMU driver in our own
// process (qemu:///embed?root=DIR): no daemon, and DIR holds all its state, so a
// run never touches the host's libvirt. Any other URI is a libvirt daemon that
// may share no file with us, local (qemu:///system) or remote (qemu+ssh://...):
// images are uploaded to its storage pool, console and channels are streamed
// back to the spec's local paths (remote.h).
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

// Opens a backend on `uri`; an empty uri means embedded under `stateDir`.
// libvirt allows one embedded root per process, for the process's life: the
// first embedded open fixes it and later ones share that connection.
// `capsCache`: where the embedded driver's QEMU capability probes are kept
// between runs (probing the five QEMU binaries costs seconds at every open);
// libvirt itself re-probes an entry whose QEMU or libvirt changed. Empty: none.
std::shared_ptr<Backend> open(const std::string& uri, const std::filesystem::path& stateDir,
                              const std::filesystem::path& capsCache = {});

// Kills QEMU processes an embedded root left behind (its run/qemu/*.pid files),
// e.g. after the harness was SIGKILLed. Safe on a root that is in use by nobody.
// Returns how many it killed.
int sweepEmbedRoot(const std::filesystem::path& stateDir);

}  // namespace klp::vm::libvirt
