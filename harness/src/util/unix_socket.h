// The address of a unix socket path, for connect() and bind().
#pragma once
#include <sys/un.h>

#include <cstring>
#include <filesystem>

#include "util/error.h"

namespace klp {

// Throws HarnessError when the path does not fit sun_path (108 bytes on Linux):
// a silently cut path would reach another socket.
inline sockaddr_un unixAddress(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof addr.sun_path)
        throw HarnessError("socket path too long: " + path.string());
    std::strcpy(addr.sun_path, path.c_str());
    return addr;
}

}  // namespace klp
