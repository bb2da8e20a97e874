// The remote libvirt backend: any non-empty URI (qemu+ssh://, qemu+tcp://,
// qemu:///system, qemu+unix:// to a daemon in another mount namespace). The host
// may share no file with us, so what the embedded backend hands QEMU as paths
// goes through libvirt instead: kernel and initrd are uploaded to a storage pool
// there (volumes.h), console and channels come back as streams bridged to the
// spec's local paths (stream_bridge.h), and a guest dies with our connection.
#pragma once
#include <memory>
#include <string>

#include "vm/registry.h"

namespace klp::vm::remote {

// Opens `uri` (read-write, root-level rights on that host: the pool is created
// on first use) and removes the vmstate volumes a killed run left there.
std::shared_ptr<Backend> open(const std::string& uri, const BackendOptions& opts);

}  // namespace klp::vm::remote
