#include "util/files.h"

#include <openssl/evp.h>
#include <sys/stat.h>

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
    fs::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        if (!out)
            throw HarnessError("cannot write " + path.string());
    }
    chmod(tmp.c_str(), static_cast<mode_t>(mode));
    fs::rename(tmp, path);  // atomic: readers never see half a file
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
