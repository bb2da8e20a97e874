// A newc ("070701") cpio writer for the per-run overlay: modules, keys, tools.
// The kernel unpacks concatenated archives, later entries overriding earlier ones.
#pragma once
#include <string>
#include <string_view>

namespace klp::image {

class CpioWriter {
public:
    // Parent directories are not implied: add them first.
    void addDirectory(std::string_view path, unsigned mode = 0755);
    void addFile(std::string_view path, std::string_view data, unsigned mode = 0644);
    // Appends the trailer; returns the archive (owner root, mtime 0: reproducible).
    std::string finish();

private:
    void entry(std::string_view path, unsigned mode, std::string_view data);
    std::string out_;
    unsigned ino_ = 1;
};

}  // namespace klp::image
