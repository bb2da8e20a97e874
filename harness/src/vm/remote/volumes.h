// Storage on a libvirt host that shares no file with us: kernel, initrd (and
// the savevm qcow2, and the TCG wrapper) live in a storage pool there, uploaded
// through libvirt and cached by content key.
#pragma once
#include <libvirt/libvirt.h>

#include <filesystem>
#include <string>

#include "vm/vm.h"

namespace klp::vm::remote {

// The storage pool (type dir) every image goes into; defined, built, started and
// marked autostart on first use.
inline constexpr const char* kRemotePool = "klp-harness";
inline constexpr const char* kRemotePoolDir = "/var/lib/libvirt/images/klp-harness";

// Makes `local` available on the host as volume "<contentKey>-<filename>" and
// returns its path there. Cached: a volume whose upload completed (its marker
// volume "<name>.ok" exists) and whose size matches is reused without sending a
// byte. Safe against a crash mid-upload (no marker: redone) and against other
// processes uploading the same key at once (the first to create the volume
// uploads, the others wait for its marker). `contentKey` must change whenever
// the content does (e.g. the image cache key, or sha256File). Blocking; any
// thread. Throws HarnessError.
std::string uploadImage(virConnectPtr conn, const std::filesystem::path& local, const std::string& contentKey);

// Creates an empty qcow2 volume `name` of `mib` MiB in the pool (replacing one of
// that name) and returns its path on the host: the node QEMU's savevm writes to.
std::string createScratchQcow2(virConnectPtr conn, const std::string& name, int mib);

// The vmstate volume of domain `domainName`: "vmstate-<domainName>.qcow2".
// sweepRemoteVmstate recognises a leftover by that name.
inline constexpr const char* kVmstatePrefix = "vmstate-";
inline constexpr const char* kVmstateSuffix = ".qcow2";
std::string vmstateVolumeName(const std::string& domainName);

// Deletes the volume at `pathOnHost`; a volume that is already gone is fine.
void deleteVolume(virConnectPtr conn, const std::string& pathOnHost);

// The <emulator> for `spec` on that host: empty (libvirt's default QEMU for the
// arch) except where libvirt::needsSingleThreadTcg(spec): then the embedded
// backend's wrapper, aimed at the host's QEMU (from its domain capabilities),
// uploaded as an executable volume. Throws HarnessError.
std::string remoteEmulator(virConnectPtr conn, const MachineSpec& spec);

// Deletes the vmstate volumes whose domain no longer exists: left by a harness
// that was killed (AUTODESTROY took its QEMU, nobody deleted the volume).
// Returns how many. Never throws.
int sweepRemoteVmstate(virConnectPtr conn);

}  // namespace klp::vm::remote
