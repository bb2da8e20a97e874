// Keeps the embedded driver's QEMU capability probes between runs: libvirt
// probes every QEMU binary at each open of a fresh root (seconds), and
// re-probes by itself an entry whose QEMU or libvirt changed.
#pragma once
#include <filesystem>

namespace klp::vm::embedded {

// Where the embedded root `root` keeps its probes.
std::filesystem::path probeDir(const std::filesystem::path& root);

// Copies every probe file of `from` that `to` lacks or has older. Never throws:
// without the cache libvirt probes again.
void copyProbes(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace klp::vm::embedded
