#include "vm/libvirt/domain_xml.h"

#include <pugixml.hpp>
#include <sstream>

namespace klp::vm::libvirt {

std::string kernelCmdline(const MachineSpec& spec) {
    std::string cmd = "console=" + spec.arch->consoleDevice + " " + spec.arch->cmdline;
    if (spec.accel == Accel::Tcg && !spec.arch->tcgCmdline.empty())
        cmd += " " + spec.arch->tcgCmdline;
    if (!spec.extraCmdline.empty())
        cmd += " " + spec.extraCmdline;
    return cmd;
}

std::string domainXml(const MachineSpec& spec, const DomainFiles& files) {
    const ArchProfile& arch = *spec.arch;
    pugi::xml_document doc;
    auto dom = doc.append_child("domain");
    const bool kvm = spec.accel == Accel::Kvm;
    dom.append_attribute("type") = kvm ? "kvm" : "qemu";  // "qemu": TCG
    dom.append_attribute("xmlns:qemu") = "http://libvirt.org/schemas/domain/qemu/1.0";
    dom.append_child("name").text() = spec.name.c_str();
    auto mem = dom.append_child("memory");
    mem.append_attribute("unit") = "MiB";
    mem.text() = spec.memoryMiB;
    dom.append_child("vcpu").text() = spec.cpus;

    auto os = dom.append_child("os");
    auto type = os.append_child("type");
    type.append_attribute("arch") = arch.libvirtArch.c_str();
    type.append_attribute("machine") = arch.machine.c_str();
    type.text() = "hvm";
    os.append_child("kernel").text() = files.kernel.c_str();
    os.append_child("initrd").text() = files.initrd.c_str();
    os.append_child("cmdline").text() = kernelCmdline(spec).c_str();

    auto features = dom.append_child("features");
    if (arch.acpi)
        features.append_child("acpi");
    auto featureList = arch.features;
    if (!kvm)
        featureList.insert(featureList.end(), arch.tcgFeatures.begin(), arch.tcgFeatures.end());
    for (const auto& [name, value] : featureList) {
        auto f = features.append_child(name.c_str());
        // libvirt spells on/off switches as state=, the rest as value=.
        f.append_attribute(value == "on" || value == "off" ? "state" : "value") = value.c_str();
    }

    auto cpu = dom.append_child("cpu");
    if (kvm) {
        // The host's own CPU (x86_64, or the POWER host's for ppc64le): a model
        // picked for TCG may name features the host lacks.
        cpu.append_attribute("mode") = "host-passthrough";
    } else if (arch.cpuModel.empty()) {
        cpu.append_attribute("mode") = "maximum";
    } else {
        cpu.append_attribute("mode") = "custom";
        cpu.append_attribute("match") = "exact";
        cpu.append_child("model").text() = arch.cpuModel.c_str();
    }
    dom.append_child("clock").append_attribute("offset") = "utc";
    // A guest that stops for any reason stays stopped: the harness reads why.
    dom.append_child("on_poweroff").text() = "destroy";
    dom.append_child("on_reboot").text() = "destroy";
    dom.append_child("on_crash").text() = "destroy";

    auto dev = dom.append_child("devices");
    if (!files.emulator.empty())
        dev.append_child("emulator").text() = files.emulator.c_str();
    auto console = dev.append_child(arch.serialConsole ? "serial" : "console");
    if (files.localDevices) {
        console.append_attribute("type") = "file";
        auto src = console.append_child("source");
        src.append_attribute("path") = spec.consoleLog.c_str();
        src.append_attribute("append") = "off";
    } else {
        console.append_attribute("type") = "pty";  // read through virDomainOpenConsole
    }
    auto target = console.append_child("target");
    if (arch.serialConsole)
        target.append_attribute("port") = 0;
    else
        target.append_attribute("type") = "serial";  // pseries hvc0 is the spapr-vty "serial"
    for (const auto& ch : spec.channels) {
        auto c = dev.append_child("channel");
        c.append_attribute("type") = "unix";
        auto s = c.append_child("source");
        s.append_attribute("mode") = "bind";
        if (files.localDevices)  // else libvirt generates one on the host
            s.append_attribute("path") = ch.socket.c_str();
        auto t = c.append_child("target");
        t.append_attribute("type") = "virtio";
        t.append_attribute("name") = ch.name.c_str();
    }
    auto usb = dev.append_child("controller");
    usb.append_attribute("type") = "usb";
    usb.append_attribute("model") = "none";
    dev.append_child("memballoon").append_attribute("model") = "none";

    std::vector<std::string> args = arch.qemuArgs;
    if (!files.vmstate.empty()) {
        // libvirt's <disk> would add a virtio device; a bare node is all savevm needs.
        args.push_back("-blockdev");
        args.push_back("driver=qcow2,node-name=vmstate0,file.driver=file,file.filename=" + files.vmstate);
    }
    if (!args.empty()) {
        auto cl = dom.append_child("qemu:commandline");
        for (const auto& a : args)
            cl.append_child("qemu:arg").append_attribute("value") = a.c_str();
    }
    std::ostringstream out;
    doc.save(out, "  ");
    return out.str();
}

}  // namespace klp::vm::libvirt
