#include "util/files.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace klp {
namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw HarnessError("cannot read " + path.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeFile(const fs::path& path, std::string_view data, int mode) {
    // A unique temp name (O_EXCL: never through a planted file or symlink), then
    // rename: readers never see half a file, and two writers never mix theirs.
    std::string tmp = path.string() + ".XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0)
        throw HarnessError("cannot write " + path.string() + ": " + std::strerror(errno));
    bool ok = fchmod(fd, static_cast<mode_t>(mode)) == 0;
    for (size_t done = 0; ok && done < data.size();) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        done += ok ? static_cast<size_t>(n) : 0;
    }
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = std::strerror(errno);
        unlink(tmp.c_str());
        throw HarnessError("cannot write " + path.string() + ": " + why);
    }
}

std::string sha256Hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; i++) {
        hex += digits[md[i] >> 4];
        hex += digits[md[i] & 15];
    }
    return hex;
}

std::string sha256File(const fs::path& path) { return sha256Hex(readFile(path)); }

KeyHasher& KeyHasher::add(std::string_view name, std::string_view value) {
    text_.append(name).append("=").append(value).append("\n");
    return *this;
}

KeyHasher& KeyHasher::addFile(std::string_view name, const fs::path& file) {
    return add(name, sha256File(file));
}

}  // namespace klp
