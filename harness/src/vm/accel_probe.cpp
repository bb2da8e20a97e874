#include "vm/accel_probe.h"

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "util/files.h"

namespace klp::vm {
namespace fs = std::filesystem;

namespace {

// The line the guest's /init prints once userspace runs.
constexpr const char* kReadyLine = "klp-init: ready";

std::string hostName() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}

// The last non-empty line of `text`, trimmed of '\r'.
std::string lastLine(const std::string& text) {
    size_t end = text.find_last_not_of("\r\n \t");
    if (end == std::string::npos)
        return "";
    size_t start = text.rfind('\n', end);
    std::string line = text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

std::string readOrEmpty(const fs::path& p) {
    try {
        return readFile(p);
    } catch (const std::exception&) {
        return "";
    }
}

// Boots `spec` under KVM for up to kKvmProbeSeconds, watching its console for the
// ready line; destroys it either way.
KvmProbe probeBoot(Backend& backend, const MachineSpec& base) {
    MachineSpec spec = base;
    fs::path dir = base.consoleLog.parent_path() / "kvm-probe";
    fs::create_directories(dir);
    spec.name = base.name + "-kvm-probe";
    spec.accel = Accel::Kvm;
    spec.cpus = 1;
    spec.revertible = false;
    spec.consoleLog = dir / "console.log";
    for (auto& ch : spec.channels)
        ch.socket = dir / ch.socket.filename();
    std::unique_ptr<Instance> guest;
    try {
        guest = backend.start(spec);
    } catch (const std::exception& e) {
        return {false, std::string("could not start: ") + e.what()};
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kKvmProbeSeconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (readOrEmpty(spec.consoleLog).find(kReadyLine) != std::string::npos) {
            guest->destroy();
            return {true, ""};
        }
        if (!guest->running())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    bool stopped = !guest->running();
    guest->destroy();
    if (std::string qemu = backend.qemuError(spec.name); !qemu.empty())
        return {false, qemu};
    std::string last = lastLine(readOrEmpty(spec.consoleLog));
    // QEMU's own complaint (above) says most; without it, the console's last words.
    std::string detail = stopped ? "the guest stopped" : "no '" + std::string(kReadyLine) + "' within " +
                                                             std::to_string(kKvmProbeSeconds) + " s";
    if (!last.empty())
        detail += " (console: " + last + ")";
    else
        detail += " (console empty)";
    return {false, detail};
}

// The kernel's sha256 (16 hex digits), kept in `cache` by path, size and mtime:
// after the first run a stat, not a hash.
std::string kernelHash(nlohmann::json& cache, const fs::path& kernel) {
    std::error_code ec;
    auto size = static_cast<long long>(fs::file_size(kernel, ec));
    auto mtime = static_cast<long long>(fs::last_write_time(kernel, ec).time_since_epoch().count());
    auto& known = cache["kernels"][kernel.string()];
    if (known.is_object() && known.value("size", -1LL) == size && known.value("mtime", -1LL) == mtime)
        return known.value("sha256", "");
    std::string hash = sha256File(kernel).substr(0, 16);
    known = {{"size", size}, {"mtime", mtime}, {"sha256", hash}};
    return hash;
}

}  // namespace

AccelChoice chooseAccel(Backend& backend, const MachineSpec& spec, Accel requested, const fs::path& cacheDir) {
    if (requested == Accel::Tcg)
        return decideAccel(requested, "", std::nullopt);
    std::string noKvm = backend.kvmUnavailable(*spec.arch);
    if (!noKvm.empty())
        return decideAccel(requested, noKvm, std::nullopt);

    static std::mutex m;  // one probe file per cache, guests boot from several threads
    std::lock_guard lock(m);
    fs::path file = cacheDir.empty() ? fs::path() : cacheDir / "kvm-probes.json";
    nlohmann::json cache = nlohmann::json::object();
    if (!file.empty() && fs::exists(file)) {
        cache = nlohmann::json::parse(readOrEmpty(file), nullptr, false);
        if (!cache.is_object())
            cache = nlohmann::json::object();
    }
    const std::string before = cache.dump();
    // Keyed by host, libvirt+QEMU versions and URI (describe()), arch and kernel.
    std::string key = hostName() + "|" + backend.describe() + "|" + spec.arch->name + "|" +
                      kernelHash(cache, spec.kernel);
    auto& probes = cache["probes"];
    KvmProbe probe;
    if (probes.is_object() && probes.contains(key)) {
        probe = {probes[key].value("reachedUserspace", false), probes[key].value("detail", "")};
    } else {
        probe = probeBoot(backend, spec);
        probes[key] = {{"reachedUserspace", probe.reachedUserspace}, {"detail", probe.detail}};
    }
    if (!file.empty() && cache.dump() != before) {
        try {
            fs::create_directories(cacheDir);
            writeFile(file, cache.dump(2) + "\n");
        } catch (const std::exception&) {
            // a cache: the next run probes again
        }
    }
    return decideAccel(requested, "", probe);
}

}  // namespace klp::vm
