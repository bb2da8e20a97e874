// Small file helpers and content hashing (cache keys are sha256 of content).
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace klp {

std::string readFile(const std::filesystem::path& path);  // throws HarnessError
// Atomic: written to a unique temp name beside it, then renamed over it.
void writeFile(const std::filesystem::path& path, std::string_view data, int mode = 0644);

// Hex sha256 of bytes / of a file's contents.
std::string sha256Hex(std::string_view data);
std::string sha256File(const std::filesystem::path& path);

// A sha256 over named parts, order-sensitive: the way every cache key is made.
class KeyHasher {
public:
    KeyHasher& add(std::string_view name, std::string_view value);
    KeyHasher& addFile(std::string_view name, const std::filesystem::path& file);
    std::string hex() const { return sha256Hex(text_); }
    const std::string& text() const { return text_; }  // what went in, for debugging

private:
    std::string text_;
};

}  // namespace klp
