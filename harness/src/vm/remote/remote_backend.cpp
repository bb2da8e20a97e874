#include <sys/stat.h>

#include <map>
#include <mutex>
#include <tuple>

#include "util/error.h"
#include "util/files.h"
#include "util/progress.h"
#include "vm/libvirt/common.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/remote/remote.h"
#include "vm/remote/remote_instance.h"
#include "vm/remote/stream_bridge.h"
#include "vm/remote/volumes.h"

namespace klp::vm::remote {
namespace fs = std::filesystem;
using libvirt::lastError;

namespace {

// A file's content key for uploadImage: its sha256 (16 hex digits), hashed once
// per version of the file (path, size, mtime): 30 cases on one kernel hash it once.
std::string contentKey(const fs::path& file) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0)
        throw UsageError("no such file: " + file.string());
    using Version = std::tuple<std::string, off_t, long, long>;
    Version v{file.string(), st.st_size, static_cast<long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec};
    static std::mutex m;
    static std::map<Version, std::string> keys;
    {
        std::lock_guard lock(m);
        if (auto it = keys.find(v); it != keys.end())
            return it->second;
    }
    std::string key = sha256File(file).substr(0, 16);
    std::lock_guard lock(m);
    return keys[v] = key;
}

// Boots `spec` on the host of `conn`: kernel and initrd uploaded (keyed by their
// sha256, hashed once per file version), a vmstate qcow2 volume when
// revertible, the domain started paused and with VIR_DOMAIN_START_AUTODESTROY
// (the host kills QEMU when our connection goes, e.g. the harness is killed),
// console and channels bridged to the spec's local paths, then resumed. Throws
// HarnessError (nothing left on the host).
std::unique_ptr<Instance> startOn(virConnectPtr conn, const MachineSpec& spec) {
    libvirt::DomainFiles files{.kernel = uploadImage(conn, spec.kernel, contentKey(spec.kernel)),
                               .initrd = uploadImage(conn, spec.initrd, contentKey(spec.initrd)),
                               .emulator = remoteEmulator(conn, spec),
                               .localDevices = false};
    if (spec.revertible)
        files.vmstate = createScratchQcow2(conn, vmstateVolumeName(spec.name), 16);
    std::unique_ptr<RemoteInstance> inst;
    try {
        std::string xml = libvirt::domainXml(spec, files);
        writeFile(spec.consoleLog.parent_path() / "domain.xml", xml);
        // Paused until the console is bridged: QEMU drops pty output nobody reads.
        // AUTODESTROY: QEMU goes with our connection (a killed harness leaves none).
        virDomainPtr dom =
            virDomainCreateXML(conn, xml.c_str(), VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
        if (!dom)
            throw HarnessError("libvirt: cannot start guest " + spec.name + ": " + lastError());
        // From here the instance destroys the domain and deletes the volume.
        inst = std::make_unique<RemoteInstance>(spec, dom, conn, files.vmstate);
        inst->setBridge(std::make_unique<StreamBridge>(dom, spec.consoleLog, spec.channels));
        if (virDomainResume(dom) < 0)
            throw HarnessError("libvirt: cannot resume guest " + spec.name + ": " + lastError());
    } catch (...) {
        if (inst)
            inst->destroy();
        else if (!files.vmstate.empty())
            try {
                deleteVolume(conn, files.vmstate);
            } catch (const std::exception&) {
                // the next run's sweepRemoteVmstate takes it
            }
        throw;
    }
    return inst;
}


class RemoteBackend : public Backend {
public:
    RemoteBackend(const std::string& uri, const BackendOptions& opts) : uri_(uri) {
        // Streams need the event loop registered before the connection opens.
        fs::path logDir = libvirt::stateDirIn(opts.runDir);
        fs::create_directories(logDir);
        libvirt::startEventLoop(logDir);
        conn_ = virConnectOpen(uri_.c_str());
        if (!conn_)
            throw HarnessError("libvirt: cannot open " + uri_ + ": " + lastError());
        if (int n = sweepRemoteVmstate(conn_))
            progress("removed " + std::to_string(n) + " vmstate volume(s) a killed run left on " + uri_);
    }
    ~RemoteBackend() override { virConnectClose(conn_); }

    std::unique_ptr<Instance> start(const MachineSpec& spec) override {
        for (const auto& f : {spec.kernel, spec.initrd})
            if (!fs::exists(f))
                throw UsageError("no such file: " + f.string());
        return startOn(conn_, spec);
    }

    std::string describe() override { return libvirt::describeConnection(conn_, uri_); }
    std::string kvmUnavailable(const ArchProfile& arch) override { return libvirt::kvmUnavailable(conn_, arch); }
    // What the host's libvirt reports: its QEMUs are its own to choose.
    std::string qemuVersion(const ArchProfile&) override { return libvirt::hypervisorVersion(conn_); }

private:
    std::string uri_;
    virConnectPtr conn_ = nullptr;
};

}  // namespace

std::shared_ptr<Backend> open(const std::string& uri, const BackendOptions& opts) {
    return std::make_shared<RemoteBackend>(uri, opts);
}

}  // namespace klp::vm::remote
