// Manual check of remote libvirt hosts (vm/remote/), below the level
// the ctest cli.two_hosts runs them at (a run through the backend): starts a
// second libvirtd that shares no file with us (second_libvirtd.sh), uploads an
// x86_64 kernel and initrd to it, including the edge cases (a crashed upload, two
// uploaders of one key), boots guests there from the remote domain XML,
// bridges console and SSH channel (4 MiB each way, reconnects, a guest destroyed
// under an open session), 2 vCPUs through the uploaded TCG wrapper, and compares
// boot times with the embedded driver. Exit 0 when every check passed.
//
//   klp-remote-check [--kernel debian-6.12] [--rounds 2]
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "guest/ssh_key.h"
#include "guest/ssh_session.h"
#include "image/cpio.h"
#include "image/initramfs.h"
#include "testbed/testbed.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "vm/libvirt/domain_xml.h"
#include "vm/registry.h"
#include "vm/remote/stream_bridge.h"
#include "vm/remote/volumes.h"

using namespace klp;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace lv = klp::vm::remote;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int failures = 0;
void check(bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
    if (!ok)
        failures++;
}

std::string lastError() {
    const char* m = virGetLastErrorMessage();
    return m ? m : "?";
}

// The second daemon, stopped (and its QEMUs killed, its dir removed) on every exit path.
struct SecondDaemon {
    fs::path scratch;
    std::string uri;
    SecondDaemon() {
        char tmpl[] = "/tmp/klp-2nd-XXXXXX";  // short: the socket path must fit sun_path
        if (!mkdtemp(tmpl))
            throw HarnessError("mkdtemp failed");
        scratch = tmpl;
        uri = runChecked({KLP_SECOND_LIBVIRTD, "start", scratch.string()}, {}, {}, 120s);
        while (!uri.empty() && (uri.back() == '\n' || uri.back() == ' '))
            uri.pop_back();
    }
    ~SecondDaemon() {
        try {
            runChecked({KLP_SECOND_LIBVIRTD, "stop", scratch.string()}, {}, {}, 60s);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "stopping the second libvirtd: %s\n", e.what());
        }
    }
};

struct Setup {
    const vm::ArchProfile* arch;
    fs::path kernel, initrd, key, dir;
};

vm::MachineSpec specFor(const Setup& s, const std::string& name, int cpus) {
    vm::MachineSpec spec;
    spec.name = name;
    spec.arch = s.arch;
    spec.kernel = s.kernel;
    spec.initrd = s.initrd;
    spec.cpus = cpus;
    spec.memoryMiB = 512;
    fs::path d = s.dir / name;
    fs::create_directories(d);
    spec.consoleLog = d / "console.log";
    spec.channels = {{"org.klp-harness.ssh", d / "ssh.sock"}, {"org.klp-harness.user", d / "user.sock"}};
    return spec;
}

// A guest on the remote host, destroyed with its bridge and vmstate volume.
struct RemoteGuest {
    explicit RemoteGuest(virConnectPtr c) : conn(c) {}
    virConnectPtr conn;
    virDomainPtr dom = nullptr;
    std::unique_ptr<lv::StreamBridge> bridge;
    std::string vmstate;
    ~RemoteGuest() {
        bridge.reset();
        if (dom) {
            virDomainDestroy(dom);
            virDomainFree(dom);
        }
        if (!vmstate.empty())
            lv::deleteVolume(conn, vmstate);
    }
    void alive() {
        if (virDomainIsActive(dom) != 1)
            throw HarnessError("remote guest stopped");
    }
    std::string hmp(const std::string& cmd) {
        char* reply = nullptr;
        if (virDomainQemuMonitorCommand(dom, cmd.c_str(), &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) < 0)
            throw HarnessError("HMP " + cmd + ": " + lastError());
        std::string out = reply ? reply : "";
        free(reply);
        return out;
    }
};

struct Paths {
    std::string kernel, initrd;
};

// Boots on the remote host; returns seconds from create to an authenticated SSH session.
double bootRemote(virConnectPtr conn, const Setup& s, const Paths& p, const std::string& name, int cpus,
                  RemoteGuest& g, std::unique_ptr<guest::SshSession>& ssh) {
    vm::MachineSpec spec = specFor(s, name, cpus);
    g.vmstate = lv::createScratchQcow2(conn, name + "-vmstate.qcow2", 16);
    std::string xml = vm::libvirt::domainXml(spec, {.kernel = p.kernel, .initrd = p.initrd,
                                                     .emulator = lv::remoteEmulator(conn, spec),
                                                     .vmstate = g.vmstate, .localDevices = false});
    writeFile(spec.consoleLog.parent_path() / "domain.xml", xml);
    check(xml.find(s.dir.string()) == std::string::npos,
          "remote XML of " + name + " names no local path");
    if (getenv("KLP_SHOW_XML"))
        std::printf("%s\n", xml.c_str());
    auto t0 = Clock::now();
    // Paused until the console is attached: QEMU drops pty output nobody reads.
    g.dom = virDomainCreateXML(conn, xml.c_str(), VIR_DOMAIN_START_PAUSED);
    if (!g.dom)
        throw HarnessError("remote create: " + lastError());
    double created = since(t0);
    g.bridge = std::make_unique<lv::StreamBridge>(g.dom, spec.consoleLog, spec.channels);
    if (virDomainResume(g.dom) < 0)
        throw HarnessError("resume: " + lastError());
    ssh = guest::SshSession::connect(spec.channels[0].socket, s.key, 120s, [&] { g.alive(); });
    double t = since(t0);
    std::printf("     remote %s: createXML %.2f s, SSH session %.2f s after create\n", name.c_str(), created, t);
    return t;
}

double bootEmbedded(vm::Backend& backend, const Setup& s, const std::string& name) {
    vm::MachineSpec spec = specFor(s, name, 1);
    auto t0 = Clock::now();
    auto inst = backend.start(spec);
    auto ssh = guest::SshSession::connect(spec.channels[0].socket, s.key, 120s, [&] {
        if (!inst->running())
            throw HarnessError("embedded guest stopped");
    });
    double t = since(t0);
    auto r = ssh->exec("uname -r", 30s);
    check(r.exitCode == 0, "embedded " + name + ": uname -r = " + r.out.substr(0, r.out.find('\n')));
    std::printf("     embedded %s: SSH session %.2f s after create\n", name.c_str(), t);
    ssh.reset();
    inst->destroy();
    return t;
}

// Thread names of the QEMU running domain `name` on this machine ("CPU 0/TCG"...).
std::string tcgThreads(const std::string& name) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string cmd;
        try {
            cmd = readFile(e.path() / "cmdline");
        } catch (...) {
            continue;
        }
        if (cmd.find("guest=" + name + ",") == std::string::npos)
            continue;
        std::string out;
        for (const auto& t : fs::directory_iterator(e.path() / "task")) {
            std::string comm = readFile(t.path() / "comm");
            if (comm.find("TCG") != std::string::npos)
                out += (out.empty() ? "" : ", ") + comm.substr(0, comm.find('\n'));
        }
        return out;
    }
    return "";
}

// A crashed upload (volume, no marker) is redone once it is seen not to grow;
// two uploaders of one key at once send it once and agree on the path.
void checkUploadEdges(virConnectPtr conn, const fs::path& scratch, const fs::path& file) {
    auto size = fs::file_size(file);
    std::string key = "stale0";
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, lv::kRemotePool);
    std::string xml = "<volume><name>" + key + "-" + file.filename().string() + "</name><capacity unit='bytes'>" +
                      std::to_string(size) + "</capacity><target><format type='raw'/></target></volume>";
    virStorageVolPtr half = virStorageVolCreateXML(pool, xml.c_str(), 0);
    check(half != nullptr, "made a half-uploaded volume (no marker)");
    if (half)
        virStorageVolFree(half);
    virStoragePoolFree(pool);
    auto t0 = Clock::now();
    std::string path = lv::uploadImage(conn, file, key);
    check(sha256File(scratch / path.substr(1)) == sha256File(file),
          "a crashed upload is redone (" + std::to_string(since(t0)).substr(0, 4) + " s, the stall timeout)");

    std::string paths[2];
    t0 = Clock::now();
    std::thread a([&] { paths[0] = lv::uploadImage(conn, file, "race0"); });
    std::thread b([&] { paths[1] = lv::uploadImage(conn, file, "race0"); });
    a.join();
    b.join();
    check(!paths[0].empty() && paths[0] == paths[1] && sha256File(scratch / paths[0].substr(1)) == sha256File(file),
          "two uploaders of one key at once agree (" + std::to_string(since(t0)).substr(0, 4) + " s)");
    for (const auto& k : {std::string("stale0"), std::string("race0")}) {
        std::string v = std::string(lv::kRemotePoolDir) + "/" + k + "-" + file.filename().string();
        lv::deleteVolume(conn, v + ".ok");
        lv::deleteVolume(conn, v);
    }
}

// Many bytes both ways through the bridge (its queues fill and drain), and a
// guest destroyed under an open session ends it instead of hanging it.
void checkBridgeLoad(RemoteGuest& g, std::unique_ptr<guest::SshSession>& ssh) {
    std::string data(4 << 20, '\0');
    for (size_t i = 0; i < data.size(); i++)
        data[i] = static_cast<char>('a' + (i * 7919 + i / 4096) % 26);
    auto t0 = Clock::now();
    ssh->pushData(data, "/tmp/big");
    double up = since(t0);
    t0 = Clock::now();
    auto r = ssh->exec("cat /tmp/big", 120s);
    double down = since(t0);
    char line[160];
    std::snprintf(line, sizeof line, "4 MiB through the bridge: SFTP up %.2f s, cat back %.2f s, identical", up, down);
    check(r.out == data, line);

    virDomainDestroy(g.dom);
    t0 = Clock::now();
    bool failed = false;
    try {
        ssh->exec("echo still there", 30s);
    } catch (const HarnessError&) {
        failed = true;
    }
    check(failed && since(t0) < 10, "a destroyed guest ends the open session (" + std::to_string(since(t0)).substr(0, 4) + " s)");
    ssh.reset();
    t0 = Clock::now();
    g.bridge.reset();
    check(since(t0) < 2, "bridge stopped in " + std::to_string(since(t0)).substr(0, 5) + " s");
}

int run(const std::string& kernelName, int rounds) {
    testbed::Testbed bed(testbed::Options{});
    auto kernel = bed.kernel(kernelName, "x86_64");
    fs::path userland = bed.userland("x86_64");
    guest::SshKey key = guest::loadOrCreateKey(bed.cache().dir() / "ssh");
    Setup s{&vm::archProfile("x86_64"), kernel.kernel, bed.dir() / "initrd.img", key.privateKey, bed.dir()};
    // The initrd as Testbed::boot makes it: base userland + kernel modules + our key.
    image::CpioWriter overlay;
    overlay.addDirectory("root", 0700);
    overlay.addDirectory("root/.ssh", 0700);
    overlay.addFile("root/.ssh/authorized_keys", key.publicLine + "\n", 0600);
    image::assembleInitrd(s.initrd, userland, kernel, overlay.finish());

    // The embedded backend also registers and runs libvirt's event loop, which
    // the remote connection needs before it is opened (stream events).
    auto embedded = vm::open("", {.runDir = bed.dir().parent_path()});
    std::printf("     embedded: %s\n", embedded->describe().c_str());

    auto t0 = Clock::now();
    SecondDaemon daemon;
    std::printf("     second libvirtd up in %.1f s: %s\n", since(t0), daemon.uri.c_str());
    virConnectPtr conn = virConnectOpen(daemon.uri.c_str());
    if (!conn)
        throw HarnessError("cannot open " + daemon.uri + ": " + lastError());
    struct Close {
        virConnectPtr c;
        ~Close() { virConnectClose(c); }
    } closeConn{conn};
    check(access(kernel.kernel.c_str(), R_OK) == 0, "kernel " + kernel.kernel.string());

    // Upload: cold, then cached (the marker volume says the bytes are all there).
    Paths p;
    t0 = Clock::now();
    std::string kkey = sha256File(kernel.kernel).substr(0, 16), ikey = sha256File(s.initrd).substr(0, 16);
    double hashing = since(t0);
    t0 = Clock::now();
    p.kernel = lv::uploadImage(conn, kernel.kernel, kkey);
    p.initrd = lv::uploadImage(conn, s.initrd, ikey);
    double cold = since(t0);
    t0 = Clock::now();
    std::string k2 = lv::uploadImage(conn, kernel.kernel, kkey), i2 = lv::uploadImage(conn, s.initrd, ikey);
    double cached = since(t0);
    std::printf("     upload %.1f MiB (kernel + initrd): cold %.2f s, cached %.3f s (sha256 keys: %.2f s)\n",
                (fs::file_size(kernel.kernel) + fs::file_size(s.initrd)) / 1048576.0, cold, cached, hashing);
    check(k2 == p.kernel && i2 == p.initrd, "cached upload returns the same paths: " + p.kernel);
    // The host's copy must be byte-identical (the daemon's dir is SCRATCH + path here).
    check(sha256File(daemon.scratch / p.initrd.substr(1)).substr(0, 16) == ikey, "uploaded initrd is byte-identical");
    check(!fs::exists(p.kernel), "the host's path does not exist in our namespace (no shared files)");
    if (!getenv("KLP_SKIP_UPLOAD_EDGES"))
        checkUploadEdges(conn, daemon.scratch, s.initrd);

    // Boot time: embedded vs remote, interleaved.
    std::vector<double> emb, rem;
    for (int i = 0; i < rounds; i++) {
        emb.push_back(bootEmbedded(*embedded, s, "klp-rc-emb" + std::to_string(i) + "-" + std::to_string(getpid())));
        RemoteGuest g(conn);
        std::unique_ptr<guest::SshSession> ssh;
        rem.push_back(bootRemote(conn, s, p, "klp-rc-rem" + std::to_string(i), 1, g, ssh));
        auto r = ssh->exec("uname -r", 30s);
        check(r.exitCode == 0 && r.out == kernel.release + "\n", "remote uname -r = " + r.out.substr(0, r.out.find('\n')));
        if (i > 0) {
            checkBridgeLoad(g, ssh);
            continue;
        }
        // The channel survives reconnects: a new stream per client.
        for (int k = 0; k < 3; k++) {
            ssh.reset();
            auto t = Clock::now();
            ssh = guest::SshSession::connect(s.dir / ("klp-rc-rem" + std::to_string(i)) / "ssh.sock", s.key, 60s,
                                             [&] { g.alive(); });
            auto r2 = ssh->exec("echo again " + std::to_string(k), 30s);
            check(r2.out == "again " + std::to_string(k) + "\n",
                  "reconnect " + std::to_string(k + 1) + " (" + std::to_string(since(t)).substr(0, 4) + " s)");
        }
        // savevm/loadvm on the remote qcow2 volume, reconnect after the revert.
        ssh->exec("echo before > /tmp/mark", 30s);
        ssh.reset();
        check(g.bridge->waitIdle(5s), "bridge idle after the client closed");
        auto t = Clock::now();
        std::string out = g.hmp("savevm klp-pristine");
        check(out.find_first_not_of("\r\n ") == std::string::npos, "savevm on the remote volume (" +
                                                                       std::to_string(since(t)).substr(0, 4) + " s) " + out);
        ssh = guest::SshSession::connect(s.dir / ("klp-rc-rem" + std::to_string(i)) / "ssh.sock", s.key, 60s, [&] { g.alive(); });
        ssh->exec("echo after > /tmp/mark", 30s);
        ssh.reset();
        g.bridge->waitIdle(5s);
        t = Clock::now();
        out = g.hmp("loadvm klp-pristine");
        ssh = guest::SshSession::connect(s.dir / ("klp-rc-rem" + std::to_string(i)) / "ssh.sock", s.key, 60s, [&] { g.alive(); });
        auto r3 = ssh->exec("cat /tmp/mark", 30s);
        check(r3.out == "before\n", "loadvm + reconnect: " + std::to_string(since(t)).substr(0, 4) + " s, /tmp/mark = " +
                                        r3.out.substr(0, r3.out.find('\n')));
        ssh.reset();
        // The console reached our local file.
        std::string console = readFile(s.dir / ("klp-rc-rem" + std::to_string(i)) / "console.log");
        check(console.find("Linux version") != std::string::npos,
              "console.log is local and has the boot (" + std::to_string(console.size()) + " bytes)");
    }
    std::sort(emb.begin(), emb.end());
    std::sort(rem.begin(), rem.end());
    std::printf("     create -> SSH session, median of %d: embedded %.2f s, remote %.2f s\n", rounds,
                emb[emb.size() / 2], rem[rem.size() / 2]);

    // Two vCPUs on x86_64: the uploaded single-thread wrapper as emulator.
    {
        RemoteGuest g(conn);
        std::unique_ptr<guest::SshSession> ssh;
        bootRemote(conn, s, p, "klp-rc-smp2", 2, g, ssh);
        auto r = ssh->exec("nproc", 30s);
        std::string threads = tcgThreads("klp-rc-smp2");
        check(r.out == "2\n" && threads == "ALL CPUs/TCG", "2 vCPUs, single-threaded TCG: nproc " +
                                                              r.out.substr(0, r.out.find('\n')) + ", threads: " + threads);
    }
    return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string kernel = "debian-6.12";
    int rounds = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--kernel")
            kernel = argv[i + 1];
        else if (a == "--rounds")
            rounds = std::max(1, std::atoi(argv[i + 1]));
    }
    try {
        int rc = run(kernel, rounds);
        std::printf("%s\n", rc == 0 ? "all checks passed" : "some checks FAILED");
        return rc;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "klp-remote-check: %s\n", e.what());
        return 2;
    }
}
