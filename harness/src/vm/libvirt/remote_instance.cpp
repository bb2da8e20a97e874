// Remote mode's start(): a guest on a libvirt host that shares no file with us
// (remote.h). What is local in embedded mode goes through libvirt instead.
#include <sys/stat.h>

#include <map>
#include <mutex>
#include <tuple>

#include "util/error.h"
#include "util/files.h"
#include "vm/libvirt/common.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/libvirt/instance.h"
#include "vm/libvirt/remote.h"

namespace klp::vm::libvirt {
namespace fs = std::filesystem;

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

}  // namespace

std::unique_ptr<Instance> startRemote(virConnectPtr conn, const MachineSpec& spec) {
    RemotePaths paths;
    paths.kernel = uploadImage(conn, spec.kernel, contentKey(spec.kernel));
    paths.initrd = uploadImage(conn, spec.initrd, contentKey(spec.initrd));
    paths.emulator = remoteEmulator(conn, spec);
    // Local placeholders the rewrite replaces (or drops): no local path reaches the host.
    std::string localXml = domainXml(spec, "/klp-remote/emulator", spec.revertible ? "/klp-remote/vmstate" : "");
    if (spec.revertible)
        paths.vmstate = createScratchQcow2(conn, vmstateVolumeName(spec.name), 16);
    std::unique_ptr<LibvirtInstance> inst;
    try {
        std::string xml = remoteDomainXml(localXml, paths);
        writeFile(spec.consoleLog.parent_path() / "domain.xml", xml);
        // Paused until the console is bridged: QEMU drops pty output nobody reads.
        // AUTODESTROY: QEMU goes with our connection (a killed harness leaves none).
        virDomainPtr dom =
            virDomainCreateXML(conn, xml.c_str(), VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
        if (!dom)
            throw HarnessError("libvirt: cannot start guest " + spec.name + ": " + lastError());
        // From here the instance destroys the domain and deletes the volume.
        inst = std::make_unique<LibvirtInstance>(spec, dom, conn, paths.vmstate);
        inst->setBridge(std::make_unique<StreamBridge>(dom, spec.consoleLog, spec.channels));
        if (virDomainResume(dom) < 0)
            throw HarnessError("libvirt: cannot resume guest " + spec.name + ": " + lastError());
    } catch (...) {
        if (inst)
            inst->destroy();
        else if (!paths.vmstate.empty())
            try {
                deleteVolume(conn, paths.vmstate);
            } catch (const std::exception&) {
                // the next run's sweepRemoteVmstate takes it
            }
        throw;
    }
    return inst;
}

}  // namespace klp::vm::libvirt
