// A guest started by the libvirt backend, local or on a remote host (internal
// to vm/libvirt: the rest of the harness sees vm::Instance).
#pragma once
#include <libvirt/libvirt.h>
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

class StreamBridge;

class LibvirtInstance : public Instance {
public:
    // Takes `dom` over. `qemuPid` > 0: QEMU runs on this host, killed directly if
    // the harness crashes (util/cleanup.h).
    LibvirtInstance(MachineSpec spec, virDomainPtr dom, pid_t qemuPid);
    // A guest on a remote host: its console and channels come through `bridge`
    // (set right after construction, before the domain resumes), and
    // `vmstateVolume` (a path on the host, may be empty) is deleted with it.
    LibvirtInstance(MachineSpec spec, virDomainPtr dom, virConnectPtr conn, std::string vmstateVolume);
    ~LibvirtInstance() override;

    void setBridge(std::unique_ptr<StreamBridge> bridge);

    const MachineSpec& spec() const override { return spec_; }
    bool running() override;
    void destroy() override;
    void snapshot() override { hmp("savevm klp-pristine"); }
    void revert() override { hmp("loadvm klp-pristine"); }
    void openGdbStub(const std::filesystem::path& socket) override;

private:
    void hmp(const std::string& cmd);            // for snapshot/revert: any reply is an error
    std::string hmpReply(const std::string& cmd);  // the reply text, for the caller to judge

    MachineSpec spec_;
    std::mutex mutex_;
    virDomainPtr dom_;
    pid_t qemuPid_ = 0;
    virConnectPtr conn_ = nullptr;  // remote only (referenced)
    std::unique_ptr<StreamBridge> bridge_;
    std::string vmstateVolume_;
    bool destroyed_ = false;
};

}  // namespace klp::vm::libvirt
