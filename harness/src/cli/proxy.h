// `klp-harness proxy SOCKET`: joins stdin/stdout to a unix socket, so plain
// OpenSSH can reach a guest with ProxyCommand (no socat/nc needed).
#pragma once
#include <filesystem>

namespace klp::cli {
int proxy(const std::filesystem::path& socket);
}
