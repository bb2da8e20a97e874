// What a guest of either libvirt backend does the same way: a transient domain
// destroyed with the object, savevm/loadvm and the gdb stub through QEMU's
// monitor. Each backend adds its own resources through the hooks below.
#pragma once
#include <libvirt/libvirt.h>

#include <chrono>
#include <mutex>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

class LibvirtInstance : public Instance {
public:
    // Takes `dom` over.
    LibvirtInstance(MachineSpec spec, virDomainPtr dom);
    // A subclass's destructor must call destroy() itself: its hooks are gone here.
    ~LibvirtInstance() override;

    const MachineSpec& spec() const override { return spec_; }
    bool running() override;
    void destroy() override;
    void snapshot() override { hmp("savevm klp-pristine"); }
    void revert() override { hmp("loadvm klp-pristine"); }
    void openGdbStub(const std::filesystem::path& socket) override;

protected:
    // Runs once, in destroy() after the domain is gone, under the instance's lock:
    // release what the backend added (never throws).
    virtual void released() {}
    // Before savevm/loadvm: wait until no client is connected to a channel (one
    // left connected across loadvm hangs the next); false when one still is.
    virtual bool channelsIdle(std::chrono::milliseconds) { return true; }

private:
    void hmp(const std::string& cmd);              // for snapshot/revert: any reply is an error
    std::string hmpReply(const std::string& cmd);  // the reply text, for the caller to judge

    MachineSpec spec_;
    std::mutex mutex_;
    virDomainPtr dom_;
    bool destroyed_ = false;
};

}  // namespace klp::vm::libvirt
