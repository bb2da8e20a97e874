#include <libvirt/libvirt.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "vm/embedded/embedded.h"
#include "vm/embedded/probe_cache.h"
#include "vm/libvirt/common.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/libvirt/instance.h"

namespace klp::vm::embedded {
namespace fs = std::filesystem;
using libvirt::lastError;

namespace {

// As root the embedded driver defaults to cgroups, namespaces, a security driver,
// chown-ing (and xattr-remembering) every file it hands QEMU, and virtlogd; none of
// which a throwaway TCG guest running as root needs. Any other user runs QEMU as
// itself already; naming root there would make libvirt chown its state dirs to
// root, which it may not ("Failed to create dbus state dir").
void writeEmbedConfig(const fs::path& root) {
    fs::create_directories(root / "etc");
    writeFile(root / "etc" / "qemu.conf",
              std::string("stdio_handler = \"file\"\n"
                          "cgroup_controllers = [ ]\n"
                          "namespaces = [ ]\n"
                          "security_driver = \"none\"\n") +
                  (geteuid() == 0 ? "user = \"root\"\n"
                                    "group = \"root\"\n"
                                  : "") +
                  "dynamic_ownership = 0\n"
                  "remember_owner = 0\n");
}

// The single-threaded TCG wrapper (libvirt/common.h) for a local QEMU.
fs::path singleThreadWrapper(const fs::path& dir, const fs::path& qemu) {
    fs::path wrapper = dir / ("tcg-single-" + qemu.filename().string());
    if (!fs::exists(wrapper))
        writeFile(wrapper, libvirt::tcgSingleThreadScript(qemu.string()), 0755);
    return wrapper;
}

// QEMU's pid, as the embedded driver recorded it: what a crashing harness
// kills (util/cleanup.h), where libvirt calls are not safe.
pid_t qemuPid(const fs::path& root, const std::string& name) {
    try {
        return std::stoi(readFile(root / "run" / "qemu" / (name + ".pid")));
    } catch (...) {
        return 0;
    }
}

// A guest whose QEMU runs on this host: killed directly if the harness crashes.
class EmbeddedInstance : public libvirt::LibvirtInstance {
public:
    EmbeddedInstance(MachineSpec spec, virDomainPtr dom, pid_t qemuPid)
        : LibvirtInstance(std::move(spec), dom), qemuPid_(qemuPid) {
        if (qemuPid_ > 0)
            addEmergencyKill(qemuPid_);
    }
    ~EmbeddedInstance() override { destroy(); }

protected:
    void released() override {
        if (qemuPid_ > 0)
            removeEmergencyKill(qemuPid_);
    }

private:
    pid_t qemuPid_;
};

class EmbeddedBackend : public Backend {
public:
    EmbeddedBackend(const fs::path& root, const fs::path& probeCache) : root_(root), probeCache_(probeCache) {
        fs::create_directories(root_);
        libvirt::startEventLoop(root_);
        writeEmbedConfig(root_);
        uri_ = "qemu:///embed?root=" + root_.string();
        if (!probeCache_.empty())
            copyProbes(probeCache_, probeDir(root_));
        conn_ = virConnectOpen(uri_.c_str());
        if (!conn_)
            throw HarnessError("libvirt: cannot open " + uri_ + ": " + lastError() +
                               (getuid() == 0 && lastError().find("libvirt-qemu") != std::string::npos
                                    ? " (install libvirt-daemon-system, which creates that user)"
                                    : ""));
    }
    ~EmbeddedBackend() override {
        if (conn_)
            virConnectClose(conn_);
    }

    std::unique_ptr<Instance> start(const MachineSpec& spec) override {
        for (const auto& f : {spec.kernel, spec.initrd})
            if (!fs::exists(f))
                throw UsageError("no such file: " + f.string());
        fs::path qemu = spec.emulator.empty() ? hostQemu(*spec.arch) : spec.emulator;
        libvirt::DomainFiles files{.kernel = spec.kernel, .initrd = spec.initrd, .emulator = qemu};
        if (libvirt::needsSingleThreadTcg(spec))
            files.emulator = singleThreadWrapper(root_, qemu);
        fs::path guestDir = spec.consoleLog.parent_path();
        if (spec.revertible) {
            // Holds the snapshot; grows to about the guest's RAM in use.
            files.vmstate = guestDir / "vmstate.qcow2";
            runChecked({"qemu-img", "create", "-q", "-f", "qcow2", files.vmstate, "16M"}, guestDir / "qemu-img.log",
                       {}, std::chrono::seconds(60));
        }
        std::string xml = libvirt::domainXml(spec, files);
        writeFile(guestDir / "domain.xml", xml);
        virDomainPtr dom = virDomainCreateXML(conn_, xml.c_str(), 0);
        if (!dom)
            throw HarnessError("libvirt: cannot start guest " + spec.name + ": " + lastError());
        if (!probeCache_.empty() && !probesSaved_.exchange(true))
            copyProbes(probeDir(root_), probeCache_);  // libvirt probes QEMU in the background of the open
        return std::make_unique<EmbeddedInstance>(spec, dom, qemuPid(root_, spec.name));
    }

    std::string describe() override { return libvirt::describeConnection(conn_, uri_); }
    bool takesLocalEmulator() const override { return true; }
    std::string qemuVersion(const ArchProfile& arch) override {
        std::lock_guard lock(versionsMutex_);
        auto& v = versions_[arch.name];
        if (v.empty()) {
            std::string out = runChecked({hostQemu(arch).string(), "--version"});
            v = out.substr(0, out.find('\n'));
        }
        return v;
    }
    std::string kvmUnavailable(const ArchProfile& arch) override { return libvirt::kvmUnavailable(conn_, arch); }

    // The embedded driver writes QEMU's stderr to log/qemu/NAME.log in its root.
    std::string qemuError(const std::string& name) override {
        std::string log;
        try {
            log = readFile(root_ / "log" / "qemu" / (name + ".log"));
        } catch (const std::exception&) {
            return "";
        }
        std::string found;
        size_t start = 0;
        while (start < log.size()) {
            size_t end = log.find('\n', start);
            if (end == std::string::npos)
                end = log.size();
            std::string line = log.substr(start, end - start);
            if (line.find("error") != std::string::npos || line.find("failed") != std::string::npos)
                found = line;
            start = end + 1;
        }
        return found;
    }

private:
    static fs::path hostQemu(const ArchProfile& arch) {
        fs::path qemu = findOnPath(arch.emulator);
        if (qemu.empty())
            throw UsageError(arch.emulator + " not found: install the Debian package " + arch.emulatorPackage);
        return qemu;
    }

    std::mutex versionsMutex_;
    std::map<std::string, std::string> versions_;  // by arch
    fs::path root_;
    fs::path probeCache_;
    std::atomic<bool> probesSaved_{false};
    std::string uri_;
    virConnectPtr conn_ = nullptr;
};

}  // namespace

std::shared_ptr<Backend> open(const BackendOptions& opts) {
    static std::mutex m;
    static std::shared_ptr<Backend> backend;  // never closed: see the header
    std::lock_guard lock(m);
    if (!backend)
        backend = std::make_shared<EmbeddedBackend>(libvirt::stateDirIn(opts.runDir),
                                                    opts.cacheDir.empty() ? fs::path() : opts.cacheDir / "libvirt-probes");
    return backend;
}

}  // namespace klp::vm::embedded
