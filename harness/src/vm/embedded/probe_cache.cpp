#include "vm/embedded/probe_cache.h"

#include "util/files.h"

namespace klp::vm::embedded {
namespace fs = std::filesystem;

fs::path probeDir(const fs::path& root) { return root / "cache" / "qemu" / "capabilities"; }

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

}  // namespace klp::vm::embedded
