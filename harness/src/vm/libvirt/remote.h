// libvirt hosts that need not share our filesystem: every non-empty URI the
// backend is given (qemu+ssh://, qemu+tcp://, qemu:///system, qemu+unix:// to a
// daemon in another mount namespace). What the embedded driver gets as file
// paths goes another way here:
//  - kernel, initrd (and the savevm qcow2) live in a storage pool on the host,
//    uploaded through libvirt and cached there by content key;
//  - the console and the virtio channels are libvirt streams, bridged to a local
//    console.log and local unix sockets, so the rest of the harness is unchanged.
#pragma once
#include <libvirt/libvirt.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vm/vm.h"

namespace klp::vm::libvirt {

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
// arch) except for x86_64 with more than one vCPU, which needs single-threaded
// TCG (see libvirt_backend.cpp, singleThreadWrapper): then the same wrapper,
// aimed at the host's QEMU (from its domain capabilities), uploaded as an
// executable volume. Throws HarnessError.
std::string remoteEmulator(virConnectPtr conn, const MachineSpec& spec);

// Where the files of a domain are on the host.
struct RemotePaths {
    std::string kernel;
    std::string initrd;
    std::string vmstate;   // the savevm qcow2; needed iff the XML has one
    std::string emulator;  // empty: omit <emulator>, libvirt picks the host's
};

// Rewrites the XML domainXml() made for this host into one for the remote host:
// kernel, initrd, vmstate node and emulator to `paths`; the console becomes a
// pty (a StreamBridge reads it) and the channels' sockets lose their paths
// (libvirt 9.0 generates them under /var/lib/libvirt/qemu/channel/target/).
// Throws HarnessError on XML it does not know.
std::string remoteDomainXml(const std::string& localXml, const RemotePaths& paths);

// Boots `spec` on the host of `conn` as remote mode does it (remote_instance.cpp):
// kernel and initrd uploaded (keyed by their sha256, hashed once per file
// version), a vmstate qcow2 volume when revertible, the domain started paused
// and with VIR_DOMAIN_START_AUTODESTROY (the host kills QEMU when our connection
// goes, e.g. the harness is killed), console and channels bridged to the spec's
// local paths, then resumed. The instance's destroy() also stops the bridge and
// deletes the vmstate volume. Throws HarnessError (nothing left on the host).
std::unique_ptr<Instance> startRemote(virConnectPtr conn, const MachineSpec& spec);

// Deletes the vmstate volumes whose domain no longer exists: left by a harness
// that was killed (AUTODESTROY took its QEMU, nobody deleted the volume).
// Returns how many. Never throws.
int sweepRemoteVmstate(virConnectPtr conn);

// Bridges a remote domain's console and channels to local files and sockets.
//
// Start the domain with VIR_DOMAIN_START_PAUSED, construct the bridge, then
// virDomainResume: QEMU drops pty output while nobody has the pty open.
//
// Threading: everything after construction runs on libvirt's default event loop
// (non-blocking streams, as `virsh console` does), which must have been
// registered (virEventRegisterDefaultImpl) BEFORE the domain's connection was
// opened, and be run by some thread (libvirt_backend.cpp's startEventLoop does
// both). Construct and stop from any other thread.
class StreamBridge {
public:
    // `consoleLog`: appended with everything the first console prints (empty: no
    // console). `channels`: for each, a unix socket is listened on at its local
    // `socket` path (a stale file there is replaced); each client that connects
    // gets a fresh stream to the channel `name` until either side closes. One
    // client at a time per channel, like QEMU's own socket: the next one waits in
    // the backlog. Throws HarnessError (nothing left running).
    StreamBridge(virDomainPtr dom, const std::filesystem::path& consoleLog, const std::vector<Channel>& channels);
    ~StreamBridge();  // stop()

    // Waits until no channel has a client bridged (the streams to QEMU's sockets
    // are closed), at most `timeout`; true when idle. A closed local client ends
    // its stream on the loop a moment later: call this between closing every
    // client and savevm/loadvm (one left connected across loadvm hangs the next).
    bool waitIdle(std::chrono::milliseconds timeout);

    // Closes every stream, client and listening socket and removes the sockets.
    // Idempotent; waits (bounded, a few seconds) until the event loop let go.
    void stop();

    StreamBridge(const StreamBridge&) = delete;
    StreamBridge& operator=(const StreamBridge&) = delete;

    struct Core;  // the state the event-loop callbacks share (remote.cpp)

private:
    std::shared_ptr<Core> core_;
};

}  // namespace klp::vm::libvirt
