// A run's testbed: the cache, the run directory, the VM backend and the SSH key,
// and guests booted from them, each reachable over one SSH session.
// This is the only place that joins the image, vm and guest stages.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "guest/ssh_key.h"
#include "guest/ssh_session.h"
#include "image/cache.h"
#include "image/emulator.h"
#include "image/kernels.h"
#include "image/modules.h"
#include "image/user_modules.h"
#include "util/cleanup.h"
#include "util/run_dir.h"
#include "vm/accel.h"
#include "vm/vm.h"

namespace klp::testbed {

// What a guest's initramfs holds besides the kernel's modules and the per-boot
// overlay: the userland ("base": busybox, dropbear, our tools; "full": that plus
// bash, kmod, procps, coreutils, ... for the kernel's own selftests) and any
// further cpio archives laid over it, in order (e.g. a selftests payload).
struct InitrdLayers {
    std::string userland = "base";
    std::vector<std::filesystem::path> archives;
};

// What a guest is booted from. Guests of equal configs are interchangeable.
struct GuestConfig {
    image::KernelImage kernel{};
    const image::ModuleSet* modules = nullptr;  // their .ko files go to /lib/klp/ in the guest
    std::string cmdline{};                       // appended to the arch's kernel command line
    int cpus = 0, memoryMiB = 0;                 // 0: the testbed's Options
    InitrdLayers layers{};                       // userland and extra archives
    std::optional<vm::Accel> accel{};            // none: the testbed's Options
    std::string key() const;
};

// The userland kinds --userland takes.
const std::vector<std::string>& userlandKinds();

struct Options {
    std::filesystem::path cacheDir;  // empty: defaultCacheDir()
    std::string uri;                 // empty: embedded libvirt in the run dir
    int cpus = 1;
    int memoryMiB = 512;
    std::chrono::seconds bootTimeout{180};
    vm::Accel accel = vm::Accel::Auto;  // --accel: the vm stage decides (vm/accel_probe.h)
};

class Guest {
public:
    Guest(std::unique_ptr<vm::Instance> vm, std::filesystem::path key);
    ~Guest();  // destroys the VM

    guest::SshSession& ssh() { return *ssh_; }
    vm::Instance& vm() { return *vm_; }
    std::filesystem::path consoleLog() const { return vm_->spec().consoleLog; }

    // A shell line that reaches this guest with plain OpenSSH, through its own
    // channel (a QEMU socket serves one client at a time; ours is taken).
    std::string openSshCommand(const std::filesystem::path& self) const;

    // Throws HarnessError if the guest stopped or its console shows a panic
    // (since consoleOffset()).
    void checkAlive();

    // Where this guest's current life starts in its console log: 0 after a cold
    // boot, the log's size at the last revert (the file is appended to).
    std::uintmax_t consoleOffset() const { return consoleOffset_; }

    // Closes the SSH session (and so the guest channel's one client).
    void disconnect() { ssh_.reset(); }
    // Opens a new SSH session, waiting up to `timeout` for the guest to answer,
    // `attemptTimeout` per connection.
    void connect(std::chrono::milliseconds timeout, std::chrono::milliseconds attemptTimeout = std::chrono::hours(1));

private:
    friend class Testbed;
    friend class Slot;
    std::unique_ptr<vm::Instance> vm_;
    std::unique_ptr<guest::SshSession> ssh_;
    std::filesystem::path key_;
    std::uintmax_t consoleOffset_ = 0;
    CleanupGuard destroyOnSignal_;
};

class Testbed {
public:
    explicit Testbed(Options opts);
    ~Testbed();

    image::Cache& cache() { return cache_; }
    // Where this testbed's guests live (inside the process's run dir).
    const std::filesystem::path& dir() const { return dir_; }
    std::string describeBackend();

    // Fetches or finds the kernel (cached).
    image::KernelImage kernel(const std::string& nameOrPath, const std::string& arch);

    // Builds (or finds cached) our guest modules for `kernel`, and the user's
    // (`--module`): source dirs built, each checked against the kernel (arch,
    // vermagic; UsageError before any boot), staged as NAME.ko.
    image::ModuleSet modules(const image::KernelImage& kernel, const std::vector<image::UserModule>& user = {});

    // Builds (or finds cached) the base guest initramfs for `arch`.
    std::filesystem::path userland(const std::string& arch);
    // The archives of userland `kind` for `arch`, base first (built or cached).
    // Throws UsageError for an unknown kind.
    std::vector<std::filesystem::path> userlandLayers(const std::string& arch, const std::string& kind);

    // Boots a guest of `cfg` and returns once SSH answers (or throws, guest
    // destroyed). `revertible`: the guest supports snapshot()/revert() (where
    // the arch allows it).
    std::unique_ptr<Guest> boot(const GuestConfig& cfg, bool revertible = false);

    // The accelerator each booted kernel got and why, by "ARCH/KERNEL": for the
    // run's metadata.
    std::map<std::string, vm::AccelChoice> accelChoices();
    // The QEMU each arch's guests ran on and why that one, by arch: for the
    // run's metadata.
    std::map<std::string, std::string> emulators();

private:
    vm::Backend& backend();  // opened on first use: bad input fails before libvirt starts
    // The accelerator for guests like `spec` of kernel `label`: decided once per
    // label and request, said on stderr; UsageError when --accel kvm cannot be had.
    vm::Accel accelFor(const std::string& label, const vm::MachineSpec& spec, vm::Accel requested);
    // Keeps spec.revertible only where a revert of it is reliable: enough QEMU
    // (arch.revertMinQemu: where the backend's is older and it runs local
    // binaries, spec.emulator becomes a newer QEMU from Debian, image/emulator.h)
    // and few enough vCPUs (arch.revertMaxCpus). Says its choices once.
    void chooseEmulator(vm::MachineSpec& spec);
    Options opts_;
    std::mutex backendMutex_;
    image::Cache cache_;
    std::shared_ptr<RunDir> runDir_;
    std::filesystem::path dir_;
    guest::SshKey key_;
    std::shared_ptr<vm::Backend> backend_;
    std::mutex accelMutex_;
    std::map<std::string, vm::AccelChoice> accelChoices_;  // by label
    std::map<std::pair<std::string, vm::Accel>, vm::AccelChoice> accelDecided_;
    std::mutex emulatorMutex_;
    std::map<std::string, std::map<std::string, std::string>> emulators_;  // arch -> QEMU -> why
    std::map<std::string, std::optional<image::Emulator>> newerQemu_;     // by arch; none: could not be had
};

}  // namespace klp::testbed
