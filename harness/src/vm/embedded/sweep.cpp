// Leftovers of a killed run: the embedded driver's QEMUs outlive our process
// (no autodestroy for embedded drivers).
#include <signal.h>

#include <chrono>
#include <thread>

#include "util/files.h"
#include "vm/embedded/embedded.h"
#include "vm/libvirt/common.h"

namespace klp::vm::embedded {
namespace fs = std::filesystem;

int sweep(const fs::path& runDir) {
    const fs::path root = libvirt::stateDirIn(runDir);
    int killed = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / "run" / "qemu", ec)) {
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
            cmdline.find(root.string()) != std::string::npos) {
            kill(pid, SIGKILL);
            killed++;
            for (int i = 0; i < 50 && kill(pid, 0) == 0; i++)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return killed;
}

}  // namespace klp::vm::embedded
