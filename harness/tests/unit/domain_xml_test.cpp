#include "vm/libvirt/domain_xml.h"

#include <gtest/gtest.h>
#include <pugixml.hpp>
#include <sstream>

#include "util/error.h"
#include "vm/arch.h"
#include "vm/libvirt/common.h"

using namespace klp;
using namespace klp::vm;

namespace {
MachineSpec x86Spec() {
    MachineSpec s;
    s.name = "klp0-test";
    s.arch = &archProfile("x86_64");
    s.kernel = "/cache/vmlinuz";
    s.initrd = "/run/initrd.img";
    s.extraCmdline = "foo=1";
    s.cpus = 2;
    s.memoryMiB = 768;
    s.consoleLog = "/run/console.log";
    s.channels = {{"org.klp-harness.ssh", "/run/ssh.sock"}, {"org.klp-harness.user", "/run/user.sock"}};
    return s;
}

// What the embedded backend passes: our own paths, QEMU's devices on our files.
libvirt::DomainFiles embeddedFiles(const MachineSpec& s, const std::string& emulator, const std::string& vmstate = "") {
    return {.kernel = s.kernel, .initrd = s.initrd, .emulator = emulator, .vmstate = vmstate};
}

// What the remote backend passes: its storage volumes, no local device paths.
libvirt::DomainFiles remoteFiles(const std::string& emulator, const std::string& vmstate = "") {
    return {.kernel = "/pool/k-vmlinuz",
            .initrd = "/pool/i-initrd.img",
            .emulator = emulator,
            .vmstate = vmstate,
            .localDevices = false};
}

pugi::xml_document parse(const std::string& xml) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
    return doc;
}
}  // namespace

TEST(DomainXml, X86UsesTcgPcMachineAndMaximumCpu) {
    auto doc = parse(libvirt::domainXml(x86Spec(), embeddedFiles(x86Spec(), "/usr/bin/qemu-system-x86_64")));
    auto dom = doc.child("domain");
    EXPECT_STREQ(dom.attribute("type").value(), "qemu");
    EXPECT_STREQ(dom.child("name").text().get(), "klp0-test");
    EXPECT_EQ(dom.child("memory").text().as_int(), 768);
    EXPECT_STREQ(dom.child("memory").attribute("unit").value(), "MiB");
    EXPECT_EQ(dom.child("vcpu").text().as_int(), 2);
    auto type = dom.child("os").child("type");
    EXPECT_STREQ(type.attribute("arch").value(), "x86_64");
    EXPECT_STREQ(type.attribute("machine").value(), "pc");
    EXPECT_STREQ(dom.child("os").child("kernel").text().get(), "/cache/vmlinuz");
    EXPECT_STREQ(dom.child("os").child("initrd").text().get(), "/run/initrd.img");
    EXPECT_STREQ(dom.child("cpu").attribute("mode").value(), "maximum");
    EXPECT_TRUE(dom.child("features").child("acpi"));
    EXPECT_STREQ(dom.child("devices").child("emulator").text().get(), "/usr/bin/qemu-system-x86_64");
    // A stopped guest must stay stopped so the harness can read why.
    for (const char* ev : {"on_poweroff", "on_reboot", "on_crash"})
        EXPECT_STREQ(dom.child(ev).text().get(), "destroy") << ev;
}

TEST(DomainXml, KernelCmdlineHasConsoleLoglevelAndExtra) {
    auto spec = x86Spec();
    std::string cmd = libvirt::kernelCmdline(spec);
    EXPECT_EQ(cmd.rfind("console=ttyS0 ", 0), 0u) << cmd;
    EXPECT_NE(cmd.find("ignore_loglevel"), std::string::npos) << cmd;
    EXPECT_NE(cmd.find("panic=-1"), std::string::npos) << cmd;
    EXPECT_EQ(cmd.substr(cmd.size() - 5), "foo=1");
    auto doc = parse(libvirt::domainXml(spec, embeddedFiles(spec, "q")));
    EXPECT_EQ(std::string(doc.child("domain").child("os").child("cmdline").text().get()), cmd);
}

TEST(DomainXml, ConsoleToFileAndOneVirtioChannelPerSocket) {
    auto doc = parse(libvirt::domainXml(x86Spec(), embeddedFiles(x86Spec(), "q")));
    auto devices = doc.child("domain").child("devices");
    auto serial = devices.child("serial");
    ASSERT_TRUE(serial);
    EXPECT_STREQ(serial.attribute("type").value(), "file");
    EXPECT_STREQ(serial.child("source").attribute("path").value(), "/run/console.log");
    int n = 0;
    for (auto ch : devices.children("channel")) {
        EXPECT_STREQ(ch.attribute("type").value(), "unix");
        EXPECT_STREQ(ch.child("source").attribute("mode").value(), "bind");
        EXPECT_STREQ(ch.child("target").attribute("type").value(), "virtio");
        n++;
    }
    EXPECT_EQ(n, 2);
    auto first = devices.child("channel");
    EXPECT_STREQ(first.child("source").attribute("path").value(), "/run/ssh.sock");
    EXPECT_STREQ(first.child("target").attribute("name").value(), "org.klp-harness.ssh");
    EXPECT_FALSE(devices.child("interface"));  // no guest networking at all
    EXPECT_STREQ(devices.child("memballoon").attribute("model").value(), "none");
}

TEST(DomainXml, NoQemuCommandlineWhenProfileHasNone) {
    auto xml = libvirt::domainXml(x86Spec(), embeddedFiles(x86Spec(), "q"));
    EXPECT_EQ(xml.find("qemu:commandline"), std::string::npos);
}

TEST(DomainXml, EmbeddedVmstateIsABareQcow2Node) {
    auto doc = parse(libvirt::domainXml(x86Spec(), embeddedFiles(x86Spec(), "q", "/run/vmstate.qcow2")));
    auto args = doc.child("domain").child("qemu:commandline");
    ASSERT_TRUE(args);
    std::string all;
    for (auto a : args.children("qemu:arg"))
        all += std::string(a.attribute("value").value()) + " ";
    EXPECT_NE(all.find("-blockdev driver=qcow2,node-name=vmstate0,file.driver=file,file.filename=/run/vmstate.qcow2"),
              std::string::npos)
        << all;
    EXPECT_FALSE(doc.child("domain").child("devices").child("disk"));  // the guest never sees it
}

// The remote backend's XML comes from the same builder: its volumes, a pty
// console and channel sockets libvirt names on the host, no local path at all.
TEST(DomainXml, RemoteNamesNoLocalPath) {
    auto spec = x86Spec();
    std::string xml = libvirt::domainXml(spec, remoteFiles("/pool/tcg-single-qemu", "/pool/vmstate-klp0.qcow2"));
    EXPECT_EQ(xml.find("/run/"), std::string::npos) << xml;
    auto doc = parse(xml);
    auto dom = doc.child("domain");
    EXPECT_STREQ(dom.child("os").child("kernel").text().get(), "/pool/k-vmlinuz");
    EXPECT_STREQ(dom.child("os").child("initrd").text().get(), "/pool/i-initrd.img");
    auto devices = dom.child("devices");
    EXPECT_STREQ(devices.first_child().name(), "emulator");
    EXPECT_STREQ(devices.child("emulator").text().get(), "/pool/tcg-single-qemu");
    auto serial = devices.child("serial");
    EXPECT_STREQ(serial.attribute("type").value(), "pty");
    EXPECT_FALSE(serial.child("source"));
    EXPECT_EQ(serial.child("target").attribute("port").as_int(-1), 0);
    int n = 0;
    for (auto ch : devices.children("channel")) {
        EXPECT_STREQ(ch.child("source").attribute("mode").value(), "bind");
        EXPECT_FALSE(ch.child("source").attribute("path"));
        n++;
    }
    EXPECT_EQ(n, 2);
    EXPECT_NE(xml.find("file.filename=/pool/vmstate-klp0.qcow2"), std::string::npos);
}

// Apart from the paths and how devices are reached, both backends boot the same machine.
TEST(DomainXml, BothBackendsDescribeTheSameMachine) {
    for (const char* arch : {"x86_64", "ppc64le"}) {
        auto spec = x86Spec();
        spec.arch = &archProfile(arch);
        auto localDoc = parse(libvirt::domainXml(spec, embeddedFiles(spec, "q")));
        auto remoteDoc = parse(libvirt::domainXml(spec, remoteFiles("q")));
        auto local = localDoc.child("domain"), remote = remoteDoc.child("domain");
        for (const char* part : {"memory", "vcpu", "features", "cpu", "on_crash"}) {
            std::ostringstream a, b;
            local.child(part).print(a);
            remote.child(part).print(b);
            EXPECT_EQ(a.str(), b.str()) << arch << " " << part;
        }
        EXPECT_STREQ(local.child("os").child("cmdline").text().get(), remote.child("os").child("cmdline").text().get());
        std::ostringstream a, b;
        local.child("qemu:commandline").print(a);
        remote.child("qemu:commandline").print(b);
        EXPECT_EQ(a.str(), b.str()) << arch;
    }
}

TEST(DomainXml, RemoteWithoutEmulatorLetsTheHostPick) {
    auto doc = parse(libvirt::domainXml(x86Spec(), remoteFiles("")));
    EXPECT_FALSE(doc.child("domain").child("devices").child("emulator"));
}

TEST(DomainXml, Ppc64leConsoleIsTheSpaprVtyOnHvc0) {
    auto spec = x86Spec();
    spec.arch = &archProfile("ppc64le");
    auto doc = parse(libvirt::domainXml(spec, remoteFiles("")));
    auto dev = doc.child("domain").child("devices");
    EXPECT_FALSE(dev.child("serial"));
    EXPECT_STREQ(dev.child("console").attribute("type").value(), "pty");
    EXPECT_STREQ(dev.child("console").child("target").attribute("type").value(), "serial");
    EXPECT_EQ(libvirt::kernelCmdline(spec).rfind("console=hvc0 ", 0), 0u);
}

TEST(ArchProfile, SingleThreadedTcgOnlyWhereTheProfileAsksAndWithSmp) {
    auto spec = x86Spec();
    spec.cpus = 2;
    EXPECT_TRUE(libvirt::needsSingleThreadTcg(spec));
    spec.cpus = 1;
    EXPECT_FALSE(libvirt::needsSingleThreadTcg(spec));
    spec.cpus = 2;
    spec.arch = &archProfile("ppc64le");
    EXPECT_FALSE(libvirt::needsSingleThreadTcg(spec));
}

TEST(ArchProfile, UnknownArchListsKnownOnes) {
    try {
        archProfile("riscv64");
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("riscv64"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("x86_64"), std::string::npos);
    }
}

// Under KVM: the host's CPU, libvirt's kvm domain type, and none of the TCG workarounds.
TEST(DomainXml, X86KvmIsHostPassthroughWithoutTcgParts) {
    auto spec = x86Spec();
    spec.accel = Accel::Kvm;
    spec.cpus = 2;
    EXPECT_FALSE(libvirt::needsSingleThreadTcg(spec));  // no single-threaded TCG wrapper
    auto doc = parse(libvirt::domainXml(spec, embeddedFiles(spec, "/usr/bin/qemu-system-x86_64")));
    auto dom = doc.child("domain");
    EXPECT_STREQ(dom.attribute("type").value(), "kvm");
    EXPECT_STREQ(dom.child("cpu").attribute("mode").value(), "host-passthrough");
    EXPECT_FALSE(dom.child("cpu").child("model"));
    std::string cmdline = libvirt::kernelCmdline(spec);
    EXPECT_EQ(cmdline.find("cryptomgr.notests"), std::string::npos) << cmdline;
    EXPECT_NE(cmdline.find("tsc=reliable"), std::string::npos) << cmdline;  // revert-motivated, not TCG
    EXPECT_NE(cmdline.find("foo=1"), std::string::npos) << cmdline;
}

TEST(DomainXml, X86TcgKeepsItsTcgOnlyCmdline) {
    auto spec = x86Spec();
    EXPECT_NE(libvirt::kernelCmdline(spec).find("cryptomgr.notests"), std::string::npos);
}

TEST(DomainXml, Ppc64leKvmIsHostCpuWithoutTcgSpectreCaps) {
    auto spec = x86Spec();
    spec.arch = &archProfile("ppc64le");
    spec.accel = Accel::Kvm;
    auto doc = parse(libvirt::domainXml(spec, remoteFiles("")));
    auto dom = doc.child("domain");
    EXPECT_STREQ(dom.attribute("type").value(), "kvm");
    EXPECT_STREQ(dom.child("cpu").attribute("mode").value(), "host-passthrough");
    EXPECT_FALSE(dom.child("cpu").child("model"));  // not POWER9: the host's
    EXPECT_FALSE(dom.child("features").child("cfpc"));
    EXPECT_FALSE(dom.child("features").child("ccf-assist"));
    EXPECT_EQ(libvirt::kernelCmdline(spec).find("cryptomgr.notests"), std::string::npos);
    // VOF is firmware, not a TCG workaround: kept.
    EXPECT_TRUE(dom.child("qemu:commandline"));
}

TEST(DomainXml, Ppc64leTcgDeclaresTheSpectreCapsBroken) {
    auto spec = x86Spec();
    spec.arch = &archProfile("ppc64le");
    auto doc = parse(libvirt::domainXml(spec, remoteFiles("")));
    auto dom = doc.child("domain");
    EXPECT_STREQ(dom.attribute("type").value(), "qemu");
    EXPECT_STREQ(dom.child("features").child("cfpc").attribute("value").value(), "broken");
    EXPECT_STREQ(dom.child("cpu").child("model").text().get(), "POWER9");
}
