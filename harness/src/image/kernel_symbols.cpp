#include "image/kernel_symbols.h"

#include "image/apt.h"
#include "util/error.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

bool hasSymbolTable(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        return false;
    // Debian's headers carry a "vmlinux" that is only BTF and a few symbols,
    // no code: a kernel's own has .text.
    auto r = runMerged({"readelf", "-S", "-W", file.string()});
    return r.exitCode == 0 && r.output.find(" .symtab ") != std::string::npos &&
           r.output.find(" .text ") != std::string::npos;
}

KernelSymbols kernelSymbols(const KernelImage& kernel, Cache& cache) {
    requireTool("readelf", "binutils");
    // What QEMU boots is itself an ELF vmlinux on ppc64le.
    if (hasSymbolTable(kernel.kernel))
        return {kernel.kernel, "the booted image " + kernel.kernel.string()};
    for (const fs::path& p : {kernel.headersDir / "vmlinux", kernel.kernel.parent_path() / "vmlinux"})
        if (!kernel.headersDir.empty() && hasSymbolTable(p))
            return {p, p.string()};
    if (kernel.release.empty())
        return {{}, "no vmlinux with symbols beside " + kernel.kernel.string() + " (give a kernel build tree)"};
    fs::path installed = "/usr/lib/debug/boot/vmlinux-" + kernel.release;
    if (hasSymbolTable(installed))
        return {installed, installed.string() + " (installed -dbg package)"};
    std::string pkg = "linux-image-" + kernel.release + "-dbg";
    std::string version;
    for (std::string line, show = aptCache({"show", "--no-all-versions", pkg}, cache); !show.empty();) {
        auto nl = show.find('\n');
        line = show.substr(0, nl);
        show = nl == std::string::npos ? "" : show.substr(nl + 1);
        if (line.rfind("Version: ", 0) == 0)
            version = line.substr(9);
    }
    if (version.empty())
        return {{}, "no " + pkg + " in the apt sources: gdb gets no kernel symbols"};
    fs::path entry = cache.get("symbols", kernel.release, version, [&](const fs::path& dir) {
        progress("fetching " + pkg + " " + version + " for the kernel's symbols (~300 MB, once)");
        requireTool("apt-get", "apt");
        // The dir and package as arguments, never inside the script's text.
        auto r = runMerged({"sh", "-c",
                            "cd \"$1\" && apt-get -o APT::Sandbox::User=root download -q \"$2\" && "
                            "dpkg-deb --fsys-tarfile ./*.deb | tar -x --wildcards './usr/lib/debug/boot/vmlinux-*' && "
                            "mv usr/lib/debug/boot/vmlinux-* vmlinux && rm -rf usr ./*.deb",
                            "sh", dir.string(), pkg});
        if (r.exitCode != 0)
            throw HarnessError("fetching " + pkg + " failed: " + r.output.substr(0, 400));
    });
    return {entry / "vmlinux", entry.string() + "/vmlinux (from " + pkg + " " + version + ")"};
}

}  // namespace klp::image
