// Where the harness finds its own recipes and guest sources, and its cache.
#pragma once
#include <filesystem>

namespace klp {

// The project tree (images/, guest/): $KLP_HARNESS_HOME, else the source dir
// this binary was built from.
std::filesystem::path projectDir();

// $XDG_CACHE_HOME/klp-harness, else ~/.cache/klp-harness.
std::filesystem::path defaultCacheDir();

}  // namespace klp
