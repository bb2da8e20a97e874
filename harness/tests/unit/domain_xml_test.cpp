#include "vm/libvirt/domain_xml.h"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "util/error.h"
#include "vm/arch.h"

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

pugi::xml_document parse(const std::string& xml) {
    pugi::xml_document doc;
    EXPECT_TRUE(doc.load_string(xml.c_str())) << xml;
    return doc;
}
}  // namespace

TEST(DomainXml, X86UsesTcgPcMachineAndMaximumCpu) {
    auto doc = parse(libvirt::domainXml(x86Spec(), "/usr/bin/qemu-system-x86_64"));
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
    auto doc = parse(libvirt::domainXml(spec, "q"));
    EXPECT_EQ(std::string(doc.child("domain").child("os").child("cmdline").text().get()), cmd);
}

TEST(DomainXml, ConsoleToFileAndOneVirtioChannelPerSocket) {
    auto doc = parse(libvirt::domainXml(x86Spec(), "q"));
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
    auto xml = libvirt::domainXml(x86Spec(), "q");
    EXPECT_EQ(xml.find("qemu:commandline"), std::string::npos);
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
