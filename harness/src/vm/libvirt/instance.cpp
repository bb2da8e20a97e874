#include "vm/libvirt/instance.h"

#include <libvirt/libvirt-qemu.h>

#include <chrono>
#include <cstdio>

#include "util/cleanup.h"
#include "util/error.h"
#include "vm/libvirt/common.h"
#include "vm/libvirt/remote.h"

namespace klp::vm::libvirt {

namespace {
// A closed local client ends its bridged stream on the event loop a moment later.
constexpr std::chrono::seconds kBridgeIdle{5};
}  // namespace

LibvirtInstance::LibvirtInstance(MachineSpec spec, virDomainPtr dom, pid_t qemuPid)
    : spec_(std::move(spec)), dom_(dom), qemuPid_(qemuPid) {
    if (qemuPid_ > 0)
        addEmergencyKill(qemuPid_);
}

LibvirtInstance::LibvirtInstance(MachineSpec spec, virDomainPtr dom, virConnectPtr conn, std::string vmstateVolume)
    : spec_(std::move(spec)), dom_(dom), conn_(conn), vmstateVolume_(std::move(vmstateVolume)) {
    virConnectRef(conn_);  // the volume is deleted through it, whatever the backend's lifetime
}

LibvirtInstance::~LibvirtInstance() {
    destroy();
    std::lock_guard lock(mutex_);
    bridge_.reset();
    if (dom_)
        virDomainFree(dom_);
    if (conn_)
        virConnectClose(conn_);
}

void LibvirtInstance::setBridge(std::unique_ptr<StreamBridge> bridge) {
    std::lock_guard lock(mutex_);
    bridge_ = std::move(bridge);
}

bool LibvirtInstance::running() {
    std::lock_guard lock(mutex_);
    return !destroyed_ && virDomainIsActive(dom_) == 1;
}

void LibvirtInstance::destroy() {
    std::lock_guard lock(mutex_);
    if (destroyed_)
        return;
    destroyed_ = true;
    if (virDomainIsActive(dom_) == 1)
        virDomainDestroy(dom_);  // transient domain: gone with its QEMU
    if (qemuPid_ > 0)
        removeEmergencyKill(qemuPid_);
    if (bridge_)
        bridge_->stop();  // sockets removed; the object stays for a concurrent caller
    if (!vmstateVolume_.empty()) {
        try {
            deleteVolume(conn_, vmstateVolume_);
        } catch (const std::exception& e) {
            // The next run on that host sweeps it (sweepRemoteVmstate).
            std::fprintf(stderr, "klp-harness: %s\n", e.what());
        }
    }
}

// An HMP command through libvirt's monitor passthrough (libvirt has no API for
// an internal snapshot kept inside the running QEMU; its own snapshot calls
// restart QEMU, several times slower). HMP reports failure as reply text.
void LibvirtInstance::hmp(const std::string& cmd) {
    if (!spec_.revertible)
        throw HarnessError("guest " + spec_.name + " was not started revertible");
    // Bridged channels: our client closed, but its stream to QEMU's socket may
    // still be open for a moment; one left connected across loadvm hangs the next.
    if (bridge_ && !bridge_->waitIdle(kBridgeIdle))
        throw HarnessError("guest " + spec_.name + ": a channel client is still connected, cannot " + cmd);
    std::string out = hmpReply(cmd);
    if (!out.empty())  // e.g. "Error: Snapshot 'x' does not exist"; the guest may be left paused
        throw HarnessError("QEMU " + cmd + " on " + spec_.name + ": " + out);
}

void LibvirtInstance::openGdbStub(const std::filesystem::path& socket) {
    if (qemuPid_ <= 0)
        throw HarnessError("guest " + spec_.name + " runs on another host: its gdb stub would listen there");
    std::string cmd = "gdbserver unix:" + socket.string() + ",server=on,wait=off";
    std::string out = hmpReply(cmd);
    if (out.find("Waiting for gdb") == std::string::npos)  // QEMU's word for "listening"
        throw HarnessError("QEMU " + cmd + " on " + spec_.name + ": " + (out.empty() ? "no reply" : out));
}

std::string LibvirtInstance::hmpReply(const std::string& cmd) {
    std::lock_guard lock(mutex_);
    if (destroyed_)
        throw HarnessError("guest " + spec_.name + " is gone, cannot " + cmd);
    char* reply = nullptr;
    int rc = virDomainQemuMonitorCommand(dom_, cmd.c_str(), &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP);
    std::string out = reply ? reply : "";
    free(reply);
    if (rc < 0)
        throw HarnessError("libvirt: " + cmd + " on " + spec_.name + ": " + lastError());
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
        out.pop_back();
    return out;
}

}  // namespace klp::vm::libvirt
