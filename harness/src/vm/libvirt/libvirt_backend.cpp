#include "vm/libvirt/libvirt_backend.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"
#include "vm/libvirt/common.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/libvirt/instance.h"
#include "vm/libvirt/remote.h"

namespace klp::vm::libvirt {
namespace fs = std::filesystem;

namespace {

// The embedded driver needs an event loop in this process, and so do remote
// connections' streams (registered before they are opened); one for all.
// Its log (info and warnings on stderr by default) goes to a file of the first
// backend's state dir instead: users see our one-line errors, not libvirt's chatter.
void startEventLoop(const fs::path& stateDir) {
    static std::once_flag once;
    std::call_once(once, [&] {
        std::string outputs = "3:file:" + (stateDir / "libvirt.log").string();
        setenv("LIBVIRT_LOG_OUTPUTS", outputs.c_str(), 0);
        virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});  // we report errors ourselves
        if (virEventRegisterDefaultImpl() < 0)
            throw HarnessError("libvirt: cannot register an event loop: " + lastError());
        std::thread([] {
            for (;;)
                virEventRunDefaultImpl();
        }).detach();
    });
}

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

// The single-threaded TCG wrapper (common.h) for a local QEMU.
fs::path singleThreadWrapper(const fs::path& dir, const fs::path& qemu) {
    fs::path wrapper = dir / ("tcg-single-" + qemu.filename().string());
    if (!fs::exists(wrapper))
        writeFile(wrapper, tcgSingleThreadScript(qemu.string()), 0755);
    return wrapper;
}

// QEMU's pid, when the embedded driver runs it:
// what a crashing harness kills (cleanup.h), where libvirt calls are not safe.
pid_t localQemuPid(const fs::path& stateDir, const std::string& name) {
    try {
        return std::stoi(readFile(stateDir / "run" / "qemu" / (name + ".pid")));
    } catch (...) {
        return 0;
    }
}

// The embedded root keeps its QEMU capability probes here.
fs::path capsDir(const fs::path& stateDir) { return stateDir / "cache" / "qemu" / "capabilities"; }

// Copies every probe file of `from` that `to` lacks or has older.
void copyProbes(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(from, ec)) {
        if (e.path().extension() != ".xml")
            continue;
        fs::path dest = to / e.path().filename();
        std::error_code ec2;
        if (fs::exists(dest, ec2) && fs::last_write_time(dest, ec2) >= e.last_write_time(ec2))
            continue;
        try {
            fs::create_directories(to);
            writeFile(dest, readFile(e.path()), 0600);
        } catch (const std::exception&) {
            // a cache: without it libvirt probes again
        }
    }
}

class LibvirtBackend : public Backend {
public:
    LibvirtBackend(const std::string& uri, const fs::path& stateDir, const fs::path& capsCache)
        : stateDir_(stateDir) {
        fs::create_directories(stateDir);
        startEventLoop(stateDir);
        uri_ = uri;
        embedded_ = uri_.empty();
        if (embedded_) {
            writeEmbedConfig(stateDir);
            uri_ = "qemu:///embed?root=" + stateDir.string();
            if (!capsCache.empty())
                copyProbes(capsCache, capsDir(stateDir));
        }
        conn_ = virConnectOpen(uri_.c_str());
        if (embedded_)
            capsCache_ = capsCache;
        if (!conn_)
            throw HarnessError("libvirt: cannot open " + uri_ + ": " + lastError() +
                               (getuid() == 0 && lastError().find("libvirt-qemu") != std::string::npos
                                    ? " (install libvirt-daemon-system, which creates that user)"
                                    : ""));
        if (!embedded_)
            if (int n = sweepRemoteVmstate(conn_))
                progress("removed " + std::to_string(n) + " vmstate volume(s) a killed run left on " + uri_);
    }
    ~LibvirtBackend() override {
        if (conn_)
            virConnectClose(conn_);
    }

    std::unique_ptr<Instance> start(const MachineSpec& spec) override {
        for (const auto& f : {spec.kernel, spec.initrd})
            if (!fs::exists(f))
                throw UsageError("no such file: " + f.string());
        if (!embedded_)
            return startRemote(conn_, spec);  // uploads, streams: no shared files (remote.h)
        fs::path qemu = findOnPath(spec.arch->emulator);
        if (qemu.empty())
            throw UsageError(spec.arch->emulator + " not found: install the Debian package " +
                             spec.arch->emulatorPackage);
        fs::path emulator = qemu;
        if (spec.cpus > 1 && spec.arch->name == "x86_64")
            emulator = singleThreadWrapper(stateDir_, qemu);
        fs::path vmstate;
        if (spec.revertible) {
            // Holds the snapshot; grows to about the guest's RAM in use.
            vmstate = spec.consoleLog.parent_path() / "vmstate.qcow2";
            runChecked({"qemu-img", "create", "-q", "-f", "qcow2", vmstate.string(), "16M"},
                       spec.consoleLog.parent_path() / "qemu-img.log", {}, std::chrono::seconds(60));
        }
        std::string xml = domainXml(spec, emulator, vmstate);
        writeFile(spec.consoleLog.parent_path() / "domain.xml", xml);
        virDomainPtr dom = virDomainCreateXML(conn_, xml.c_str(), 0);
        if (!dom)
            throw HarnessError("libvirt: cannot start guest " + spec.name + ": " + lastError());
        if (!capsCache_.empty() && !probesSaved_.exchange(true))
            copyProbes(capsDir(stateDir_), capsCache_);  // libvirt probes QEMU in the background of the open
        return std::make_unique<LibvirtInstance>(spec, dom, localQemuPid(stateDir_, spec.name));
    }

    std::string describe() override {
        unsigned long lib = 0, hv = 0;
        virConnectGetLibVersion(conn_, &lib);
        virConnectGetVersion(conn_, &hv);
        auto v = [](unsigned long x) {
            return std::to_string(x / 1000000) + "." + std::to_string(x / 1000 % 1000) + "." +
                   std::to_string(x % 1000);
        };
        return "libvirt " + v(lib) + ", qemu " + v(hv) + " (" + uri_ + ")";
    }

private:
    fs::path stateDir_;
    fs::path capsCache_;
    std::atomic<bool> probesSaved_{false};
    std::string uri_;
    bool embedded_ = false;
    virConnectPtr conn_ = nullptr;
};

}  // namespace

std::shared_ptr<Backend> open(const std::string& uri, const fs::path& stateDir, const fs::path& capsCache) {
    if (!uri.empty())
        return std::make_shared<LibvirtBackend>(uri, stateDir, capsCache);
    static std::mutex m;
    static std::shared_ptr<Backend> embedded;  // never closed: see the header
    std::lock_guard lock(m);
    if (!embedded)
        embedded = std::make_shared<LibvirtBackend>(uri, stateDir, capsCache);
    return embedded;
}

int sweepEmbedRoot(const fs::path& stateDir) {
    int killed = 0;
    fs::path pids = stateDir / "run" / "qemu";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(pids, ec)) {
        if (entry.path().extension() != ".pid")
            continue;
        pid_t pid = 0;
        try {
            pid = std::stoi(readFile(entry.path()));
        } catch (...) {
            continue;
        }
        // Only kill what is really a QEMU of this root (pids get reused).
        std::string cmdline;
        try {
            cmdline = readFile("/proc/" + std::to_string(pid) + "/cmdline");
        } catch (...) {
            continue;
        }
        if (pid > 1 && cmdline.find("qemu") != std::string::npos &&
            cmdline.find(stateDir.string()) != std::string::npos) {
            kill(pid, SIGKILL);
            killed++;
            for (int i = 0; i < 50 && kill(pid, 0) == 0; i++)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return killed;
}

}  // namespace klp::vm::libvirt
