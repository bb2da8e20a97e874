// The content-keyed cache: every artefact lives in <cache>/<kind>/<label>-<key12>/
// and is complete once its `done` marker exists. A hit costs one stat.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace klp::image {

// How long to wait for another process building the same entry: the longest
// recipe's limit (a kernel build, 3 h) and some.
constexpr std::chrono::minutes kCacheLockWait{200};

class Cache {
public:
    explicit Cache(std::filesystem::path dir);
    const std::filesystem::path& dir() const { return dir_; }

    // Returns the entry dir for (kind, label, key). If it is not complete, runs
    // `build(dir)` on an empty dir under an exclusive lock (parallel runs wait for
    // each other instead of building twice; bounded by kCacheLockWait), then marks it done. A failed build
    // leaves nothing behind.
    std::filesystem::path get(const std::string& kind, const std::string& label,
                              const std::string& key,
                              const std::function<void(const std::filesystem::path&)>& build);

    // The dir an entry would have (no build).
    std::filesystem::path entryDir(const std::string& kind, const std::string& label,
                                   const std::string& key) const;

private:
    std::filesystem::path dir_;
};

}  // namespace klp::image
