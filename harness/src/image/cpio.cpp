#include "image/cpio.h"

#include <cstdio>

namespace klp::image {

namespace {
void pad4(std::string& s) {
    while (s.size() % 4)
        s.push_back('\0');
}
}  // namespace

void CpioWriter::entry(std::string_view path, unsigned mode, std::string_view data) {
    char hdr[111];
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
    // rdevmajor, rdevminor, namesize, check
    std::snprintf(hdr, sizeof hdr, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                  ino_++, mode, 0u, 0u, 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                  static_cast<unsigned>(path.size() + 1), 0u);
    out_.append(hdr, 110);
    out_.append(path);
    out_.push_back('\0');
    pad4(out_);
    out_.append(data);
    pad4(out_);
}

void CpioWriter::addDirectory(std::string_view path, unsigned mode) { entry(path, 0040000 | mode, {}); }

void CpioWriter::addFile(std::string_view path, std::string_view data, unsigned mode) {
    entry(path, 0100000 | mode, data);
}

std::string CpioWriter::finish() {
    entry("TRAILER!!!", 0, {});
    return std::move(out_);
}

}  // namespace klp::image
