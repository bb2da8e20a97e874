#include "testbed/testbed.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>

#include "image/cpio.h"
#include "image/initramfs.h"
#include "image/klp_patch.h"
#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/progress.h"
#include "vm/accel_probe.h"
#include "vm/registry.h"

namespace klp::testbed {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
const char* kSshPort = "org.klp-harness.ssh";
const char* kUserPort = "org.klp-harness.user";

std::string seconds(Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
    return buf;
}

// The last `n` lines of a file, for error messages.
std::string tail(const fs::path& file, size_t n) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); i++)
        out += "\n  | " + lines[i];
    return out;
}

image::Toolchain toolchainOf(const vm::ArchProfile& a) { return {a.kbuildArch, a.crossCompile, a.bootImage}; }
}  // namespace

std::string GuestConfig::key() const {
    std::string k = kernel.arch + "|" + kernel.kernel.string() + "|" + cmdline + "|" + std::to_string(cpus) + "|" +
                    std::to_string(memoryMiB) + "|";
    if (modules)
        for (const auto& ko : modules->modules)  // ours and a run's own (--module)
            k += ko.string() + ";";
    // A pristine revert never mixes userlands or payloads.
    k += "|" + layers.userland;
    if (accel)
        k += "|accel=" + vm::accelName(*accel);
    for (const auto& a : layers.archives)
        k += "|" + a.string();
    return k;
}

Guest::Guest(std::unique_ptr<vm::Instance> vm, fs::path key)
    : vm_(std::move(vm)),
      key_(std::move(key)),
      destroyOnSignal_([inst = vm_.get()] { inst->destroy(); }) {}

Guest::~Guest() {
    ssh_.reset();
    vm_->destroy();
}

std::string Guest::openSshCommand(const fs::path& self) const {
    fs::path sock;
    for (const auto& ch : vm_->spec().channels)
        if (ch.name == kUserPort)
            sock = ch.socket;
    return "ssh -i " + key_.string() +
           " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
           " -o ProxyCommand='" + self.string() + " proxy " + sock.string() + "' root@klp-guest";
}

void Guest::connect(std::chrono::milliseconds timeout, std::chrono::milliseconds attemptTimeout) {
    ssh_.reset();
    fs::path sock;
    for (const auto& ch : vm_->spec().channels)
        if (ch.name == kSshPort)
            sock = ch.socket;
    ssh_ = guest::SshSession::connect(sock, key_, timeout, [this] { checkAlive(); }, attemptTimeout);
}

void Guest::checkAlive() {
    // A panicking guest with panic=-1 may still be rebooting: the console decides.
    std::ifstream in(consoleLog());
    in.seekg(static_cast<std::streamoff>(consoleOffset_));
    for (std::string l; std::getline(in, l);)
        if (l.find("Kernel panic - not syncing") != std::string::npos)
            throw HarnessError("guest kernel panicked: " + l.substr(l.find("Kernel panic")) +
                               " (console: " + consoleLog().string() + ")");
    if (!vm_->running())
        throw HarnessError("guest stopped; last console lines:" + tail(consoleLog(), 15));
}

Testbed::Testbed(Options opts)
    : opts_(std::move(opts)),
      cache_(opts_.cacheDir.empty() ? defaultCacheDir() : opts_.cacheDir),
      runDir_(RunDir::forProcess([](const fs::path& dir) { return vm::sweepLeftovers(dir); })),
      key_(guest::loadOrCreateKey(cache_.dir() / "ssh")) {
    static std::atomic<int> testbeds{0};
    dir_ = runDir_->path() / ("t" + std::to_string(testbeds++));
    fs::create_directories(dir_);
}

vm::Backend& Testbed::backend() {
    std::lock_guard lock(backendMutex_);  // guests boot from several threads
    if (!backend_)
        backend_ = vm::open(opts_.uri, {.runDir = runDir_->path(), .cacheDir = cache_.dir()});
    return *backend_;
}

std::string Testbed::describeBackend() { return backend().describe(); }

vm::Accel Testbed::accelFor(const std::string& label, const vm::MachineSpec& spec, vm::Accel requested) {
    std::lock_guard lock(accelMutex_);  // one probe boot at a time, and once
    auto key = std::make_pair(label, requested);
    auto it = accelDecided_.find(key);
    if (it == accelDecided_.end()) {
        vm::AccelChoice c = vm::chooseAccel(backend(), spec, requested, cache_.dir());
        it = accelDecided_.emplace(key, c).first;
        if (!c.failed) {
            accelChoices_[label] = c;
            progress("accel " + label + ": " + vm::accelName(c.used) + " (" + c.why + ")");
        }
    }
    if (it->second.failed)
        throw UsageError(label + ": " + it->second.why);
    return it->second.used;
}

std::map<std::string, vm::AccelChoice> Testbed::accelChoices() {
    std::lock_guard lock(accelMutex_);
    return accelChoices_;
}

void Testbed::chooseEmulator(vm::MachineSpec& spec) {
    const vm::ArchProfile& arch = *spec.arch;
    std::lock_guard lock(emulatorMutex_);
    vm::Backend& b = backend();
    const std::string hostQemu = b.qemuVersion(arch);
    auto ranOn = [&](const std::string& qemu, const std::string& why) {
        auto& whys = emulators_[arch.name];
        if (!whys.count(qemu))
            progress(arch.name + " guests: " + qemu + (why.empty() ? "" : " (" + why + ")"));
        whys.emplace(qemu, why);
    };
    auto coldBoot = [&](const std::string& why) {
        spec.revertible = false;
        ranOn(hostQemu, "a cold boot for every case: " + why);
    };
    if (!spec.revertible || arch.revertMinQemu.empty())
        return ranOn(hostQemu, "");
    if (arch.revertMaxCpus > 0 && spec.cpus > arch.revertMaxCpus)
        return coldBoot("with " + std::to_string(spec.cpus) + " vCPUs a reverted " + arch.machine +
                        " guest never wakes its second vCPU, even on QEMU 10");
    if (image::versionAtLeast(image::qemuVersionNumber(hostQemu), arch.revertMinQemu))
        return ranOn(hostQemu, "");
    const std::string tooOld = "an in-place revert of " + arch.machine + " guests needs QEMU " + arch.revertMinQemu +
                               " or later, the host has " + image::qemuVersionNumber(hostQemu);
    if (!b.takesLocalEmulator())
        return coldBoot(tooOld);
    auto it = newerQemu_.find(arch.name);
    if (it == newerQemu_.end()) {
        std::optional<image::Emulator> got;
        try {
            got = image::suiteQemu(arch.emulator, arch.emulatorPackage, image::kNewerQemuSuite, cache_);
        } catch (const std::exception& e) {
            progress(std::string("cannot fetch a newer QEMU: ") + e.what());
        }
        it = newerQemu_.emplace(arch.name, got).first;
    }
    if (!it->second)
        return coldBoot(tooOld + " (and none could be fetched from Debian " + image::kNewerQemuSuite + ")");
    spec.emulator = it->second->path;
    ranOn(it->second->version, "from Debian " + std::string(image::kNewerQemuSuite) + ", for pristine guests: " + tooOld);
}

std::map<std::string, std::string> Testbed::emulators() {
    std::lock_guard lock(emulatorMutex_);
    std::map<std::string, std::string> out;
    for (const auto& [arch, whys] : emulators_)
        for (const auto& [qemu, why] : whys)
            out[arch] += (out[arch].empty() ? "" : "; ") + qemu + (why.empty() ? "" : " (" + why + ")");
    return out;
}

Testbed::~Testbed() {
    std::error_code ec;
    fs::remove_all(dir_, ec);  // its guests are gone: each Guest destroys its VM
}

image::KernelImage Testbed::kernel(const std::string& nameOrPath, const std::string& arch) {
    // archProfile validates the arch name
    return image::resolveKernel(nameOrPath, arch, toolchainOf(vm::archProfile(arch)), cache_);
}

image::ModuleSet Testbed::modules(const image::KernelImage& kernel, const std::vector<image::UserModule>& user) {
    image::Toolchain tc = toolchainOf(vm::archProfile(kernel.arch));
    image::ModuleSet set = image::buildModules(kernel, tc, cache_);
    if (user.empty())
        return set;
    // What a module built for this kernel carries: ours just were.
    std::string vermagic = image::readModuleInfo(set.modules.front()).vermagic;
    // In the guest as /lib/klp/NAME.ko, what a case says. A .ko given as a file
    // is staged (copied) so: a rebuild on the host mid-run changes nothing; one
    // built here stays where the cache has it when its file name is NAME.ko.
    static std::atomic<int> stagings{0};
    fs::path stage = dir_ / ("user-modules-" + std::to_string(stagings++));
    fs::create_directories(stage);
    for (const auto& u : user) {
        if (u.patch) {  // klp-build names it NAME.ko in the cache already
            image::PatchModule pm = image::patchModule(kernel, u.path, cache_);
            image::checkModuleFits(image::readModuleInfo(pm.ko), kernel.arch, kernel.name, vermagic);
            progress("--patch " + u.path.string() + ": /lib/klp/" + pm.name + ".ko (cases name it " + pm.name + ")");
            set.modules.push_back(pm.ko);
            continue;
        }
        std::vector<fs::path> kos = {u.path};
        if (u.source)
            kos = image::buildModuleTree(u.path, "user-" + fs::canonical(u.path).filename().string(),
                                         kernel, tc, cache_).modules;
        for (const auto& ko : kos) {
            image::ModuleInfo info = image::readModuleInfo(ko);
            image::checkModuleFits(info, kernel.arch, kernel.name, vermagic);
            if (u.source && ko.filename() == info.name + ".ko") {
                set.modules.push_back(ko);
                continue;
            }
            fs::copy_file(ko, stage / (info.name + ".ko"), fs::copy_options::overwrite_existing);
            set.modules.push_back(stage / (info.name + ".ko"));
        }
    }
    return set;
}

fs::path Testbed::userland(const std::string& archName) {
    const vm::ArchProfile& arch = vm::archProfile(archName);
    return image::baseUserland(arch.debArch, arch.crossCompile + "gcc", cache_);
}

const std::vector<std::string>& userlandKinds() {
    static const std::vector<std::string> kinds = {"base", "full"};
    return kinds;
}

std::vector<fs::path> Testbed::userlandLayers(const std::string& archName, const std::string& kind) {
    const auto& kinds = userlandKinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
        throw UsageError("unknown userland '" + kind + "' (base, full)");
    std::vector<fs::path> layers = {userland(archName)};
    if (kind == "full")
        layers.push_back(image::fullUserlandLayer(vm::archProfile(archName).debArch, cache_));
    return layers;
}

std::unique_ptr<Guest> Testbed::boot(const GuestConfig& cfg, bool revertible) {
    const image::KernelImage& kernel = cfg.kernel;
    const InitrdLayers& layers = cfg.layers;
    const vm::ArchProfile& arch = vm::archProfile(kernel.arch);
    std::vector<fs::path> initrdLayers = userlandLayers(kernel.arch, layers.userland);
    initrdLayers.insert(initrdLayers.end(), layers.archives.begin(), layers.archives.end());

    static std::atomic<int> guests{0};  // domain names are per process (one libvirt root)
    std::string name = "klp" + std::to_string(guests++);
    fs::path dir = dir_ / name;
    fs::create_directories(dir);

    image::CpioWriter overlay;
    overlay.addDirectory("root", 0700);
    overlay.addDirectory("root/.ssh", 0700);
    overlay.addFile("root/.ssh/authorized_keys", key_.publicLine + "\n", 0600);
    if (cfg.modules) {
        overlay.addDirectory("lib/klp");
        for (const auto& ko : cfg.modules->modules)
            overlay.addFile("lib/klp/" + ko.filename().string(), readFile(ko));
    }
    image::assembleInitrd(dir / "initrd.img", initrdLayers, kernel, overlay.finish());

    vm::MachineSpec spec;
    spec.name = name + "-" + runDir_->path().filename().string();
    spec.arch = &arch;
    spec.kernel = kernel.kernel;
    spec.initrd = dir / "initrd.img";
    spec.extraCmdline = cfg.cmdline;
    spec.cpus = cfg.cpus > 0 ? cfg.cpus : opts_.cpus;
    spec.memoryMiB = cfg.memoryMiB > 0 ? cfg.memoryMiB : opts_.memoryMiB;
    spec.revertible = revertible && arch.inPlaceRevert;
    spec.consoleLog = dir / "console.log";
    spec.channels = {{kSshPort, dir / "ssh.sock"}, {kUserPort, dir / "user.sock"}};

    vm::Backend& backend = this->backend();
    chooseEmulator(spec);
    spec.accel = accelFor(kernel.arch + "/" + kernel.name, spec, cfg.accel.value_or(opts_.accel));
    progress("booting " + kernel.name + " (" + kernel.arch + ")");
    const auto start = Clock::now();
    std::unique_ptr<Guest> guest;
    {
        CreatingResource starting;  // a Ctrl-C now waits for the guard, then destroys it
        guest = std::make_unique<Guest>(backend.start(spec), key_.privateKey);
    }
    guest->connect(opts_.bootTimeout);
    progress("guest ready (SSH), " + seconds(Clock::now() - start) + " after the VM started");
    return guest;
}

}  // namespace klp::testbed
