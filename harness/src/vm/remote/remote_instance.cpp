#include "vm/remote/remote_instance.h"

#include <cstdio>

#include "util/error.h"
#include "vm/remote/volumes.h"

namespace klp::vm::remote {

RemoteInstance::RemoteInstance(MachineSpec spec, virDomainPtr dom, virConnectPtr conn, std::string vmstateVolume)
    : LibvirtInstance(std::move(spec), dom), conn_(conn), vmstateVolume_(std::move(vmstateVolume)) {
    virConnectRef(conn_);
}

RemoteInstance::~RemoteInstance() {
    destroy();
    bridge_.reset();
    virConnectClose(conn_);
}

void RemoteInstance::released() {
    if (bridge_)
        bridge_->stop();  // sockets removed; the object stays for a concurrent caller
    if (vmstateVolume_.empty())
        return;
    try {
        deleteVolume(conn_, vmstateVolume_);
    } catch (const std::exception& e) {
        // The next run on that host sweeps it (sweepRemoteVmstate).
        std::fprintf(stderr, "klp-harness: %s\n", e.what());
    }
}

// Our client closed, but its bridged stream to QEMU's socket may still be open
// for a moment.
bool RemoteInstance::channelsIdle(std::chrono::milliseconds timeout) { return !bridge_ || bridge_->waitIdle(timeout); }

void RemoteInstance::openGdbStub(const std::filesystem::path&) {
    throw HarnessError("guest " + spec().name + " runs on another host: its gdb stub would listen there");
}

}  // namespace klp::vm::remote
