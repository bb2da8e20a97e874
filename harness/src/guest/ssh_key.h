// The harness's client key: generated once per cache dir, authorised in every guest.
#pragma once
#include <filesystem>
#include <string>

namespace klp::guest {

struct SshKey {
    std::filesystem::path privateKey;  // OpenSSH format, usable with `ssh -i`
    std::string publicLine;            // "ssh-ed25519 AAAA... klp-harness"
};

// Loads <dir>/id_ed25519, generating it first if missing.
SshKey loadOrCreateKey(const std::filesystem::path& dir);

}  // namespace klp::guest
