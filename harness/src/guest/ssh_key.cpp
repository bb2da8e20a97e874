#include "guest/ssh_key.h"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/error.h"

namespace klp::guest {
namespace fs = std::filesystem;

namespace {
// Writes a new key to a unique 0600 temp file and links it into place: the key
// is never readable by others, not even for a moment, and when two processes
// start on a cold cache the first link wins and both use that key.
void createKey(const fs::path& dir, const fs::path& target) {
    ssh_key priv = nullptr;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &priv) != SSH_OK)
        throw HarnessError("libssh: cannot generate an ed25519 key");
    char* pem = nullptr;
    int rc = ssh_pki_export_privkey_base64(priv, nullptr, nullptr, nullptr, &pem);
    ssh_key_free(priv);
    if (rc != SSH_OK)
        throw HarnessError("libssh: cannot export the new key");
    std::string text = pem;
    ssh_string_free_char(pem);
    std::string tmp = (dir / "id_ed25519.XXXXXX").string();
    int fd = mkstemp(tmp.data());  // 0600 from the start
    if (fd < 0)
        throw HarnessError("cannot create a key file in " + dir.string() + ": " + std::strerror(errno));
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = fsync(fd) == 0 && ok;
    close(fd);
    int linked = ok ? link(tmp.c_str(), target.c_str()) : -1;
    int err = errno;
    unlink(tmp.c_str());
    if (!ok || (linked != 0 && err != EEXIST))  // EEXIST: another process won: use its key
        throw HarnessError("cannot write SSH key " + target.string() + ": " + std::strerror(err));
}
}  // namespace

SshKey loadOrCreateKey(const fs::path& dir) {
    fs::create_directories(dir);
    chmod(dir.c_str(), 0700);
    SshKey key{dir / "id_ed25519", {}};
    if (!fs::exists(key.privateKey))
        createKey(dir, key.privateKey);
    ssh_key priv = nullptr;
    if (ssh_pki_import_privkey_file(key.privateKey.c_str(), nullptr, nullptr, nullptr, &priv) != SSH_OK)
        throw HarnessError("cannot read SSH key " + key.privateKey.string() + " (delete it to make a new one)");
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
