#include "guest/ssh_key.h"

#include <libssh/libssh.h>

#include "util/error.h"
#include "util/files.h"

namespace klp::guest {
namespace fs = std::filesystem;

SshKey loadOrCreateKey(const fs::path& dir) {
    fs::create_directories(dir);
    SshKey key{dir / "id_ed25519", {}};
    ssh_key priv = nullptr;
    if (!fs::exists(key.privateKey)) {
        if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &priv) != SSH_OK)
            throw HarnessError("libssh: cannot generate an ed25519 key");
        fs::path tmp = key.privateKey;
        tmp += ".tmp";
        if (ssh_pki_export_privkey_file(priv, nullptr, nullptr, nullptr, tmp.c_str()) != SSH_OK) {
            ssh_key_free(priv);
            throw HarnessError("libssh: cannot write " + tmp.string());
        }
        fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
        fs::rename(tmp, key.privateKey);
    } else if (ssh_pki_import_privkey_file(key.privateKey.c_str(), nullptr, nullptr, nullptr,
                                           &priv) != SSH_OK) {
        throw HarnessError("cannot read SSH key " + key.privateKey.string() +
                           " (delete it to make a new one)");
    }
    char* b64 = nullptr;
    ssh_key pub = nullptr;
    ssh_pki_export_privkey_to_pubkey(priv, &pub);
    ssh_pki_export_pubkey_base64(pub, &b64);
    key.publicLine = std::string("ssh-ed25519 ") + b64 + " klp-harness";
    ssh_string_free_char(b64);
    ssh_key_free(pub);
    ssh_key_free(priv);
    return key;
}

}  // namespace klp::guest
