// A guest on a remote libvirt host: its console and channels come through a
// StreamBridge, and its vmstate volume is deleted with it.
#pragma once
#include <libvirt/libvirt.h>

#include <memory>
#include <string>

#include "vm/libvirt/instance.h"
#include "vm/remote/stream_bridge.h"

namespace klp::vm::remote {

class RemoteInstance : public libvirt::LibvirtInstance {
public:
    // Takes `dom` over; `vmstateVolume` (a path on the host, may be empty) is
    // deleted with the guest.
    RemoteInstance(MachineSpec spec, virDomainPtr dom, virConnectPtr conn, std::string vmstateVolume);
    ~RemoteInstance() override;

    // Set right after construction, before the domain resumes.
    void setBridge(std::unique_ptr<StreamBridge> bridge) { bridge_ = std::move(bridge); }

    void openGdbStub(const std::filesystem::path& socket) override;

protected:
    void released() override;
    bool channelsIdle(std::chrono::milliseconds timeout) override;

private:
    virConnectPtr conn_;  // referenced: the volume is deleted through it, whatever the backend's lifetime
    std::unique_ptr<StreamBridge> bridge_;
    std::string vmstateVolume_;
};

}  // namespace klp::vm::remote
