// A remote domain's console and virtio channels as a local console.log and
// local unix sockets, through libvirt streams: the rest of the harness finds
// them where the MachineSpec says, as with the embedded backend.
#pragma once
#include <libvirt/libvirt.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "vm/vm.h"

namespace klp::vm::remote {

// Bridges a remote domain's console and channels to local files and sockets.
//
// Start the domain with VIR_DOMAIN_START_PAUSED, construct the bridge, then
// virDomainResume: QEMU drops pty output while nobody has the pty open.
//
// Threading: everything after construction runs on libvirt's default event loop
// (non-blocking streams, as `virsh console` does), which must have been
// registered (virEventRegisterDefaultImpl) BEFORE the domain's connection was
// opened, and be run by some thread (libvirt::startEventLoop does both).
// Construct and stop from any other thread.
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

    struct Core;  // the state the event-loop callbacks share (stream_bridge.cpp)

private:
    std::shared_ptr<Core> core_;
};

}  // namespace klp::vm::remote
