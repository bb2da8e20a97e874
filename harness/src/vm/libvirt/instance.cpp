#include "vm/libvirt/instance.h"

#include <libvirt/libvirt-qemu.h>

#include <cstdlib>

#include "util/error.h"
#include "vm/libvirt/common.h"

namespace klp::vm::libvirt {

namespace {
// A closed client's connection to a channel may take a moment to go (a bridged
// stream ends on the event loop).
constexpr std::chrono::seconds kChannelsIdle{5};
}  // namespace

LibvirtInstance::LibvirtInstance(MachineSpec spec, virDomainPtr dom) : spec_(std::move(spec)), dom_(dom) {}

LibvirtInstance::~LibvirtInstance() {
    destroy();  // a no-op when the subclass's destructor did it
    std::lock_guard lock(mutex_);
    if (dom_)
        virDomainFree(dom_);
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
    released();
}

// An HMP command through libvirt's monitor passthrough (libvirt has no API for
// an internal snapshot kept inside the running QEMU; its own snapshot calls
// restart QEMU, several times slower). HMP reports failure as reply text.
void LibvirtInstance::hmp(const std::string& cmd) {
    if (!spec_.revertible)
        throw HarnessError("guest " + spec_.name + " was not started revertible");
    if (!channelsIdle(kChannelsIdle))
        throw HarnessError("guest " + spec_.name + ": a channel client is still connected, cannot " + cmd);
    std::string out = hmpReply(cmd);
    if (!out.empty())  // e.g. "Error: Snapshot 'x' does not exist"; the guest may be left paused
        throw HarnessError("QEMU " + cmd + " on " + spec_.name + ": " + out);
}

void LibvirtInstance::openGdbStub(const std::filesystem::path& socket) {
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
