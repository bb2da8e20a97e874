// Where the harness finds its own recipes and guest sources, and its cache.
#pragma once
#include <filesystem>

namespace klp {

// The data tree (images/, guest/, cases/): $KLP_HARNESS_HOME, else
// <exe>/../share/klp-harness when it holds guest/ and images/ (an installed
// binary), else the source dir this binary was built from (the build tree).
std::filesystem::path projectDir();

// This binary (/proc/self/exe), for commands that run it again: "klp-harness"
// (found on PATH) when that cannot be read.
std::filesystem::path selfExecutable();

// $XDG_CACHE_HOME/klp-harness, else ~/.cache/klp-harness.
std::filesystem::path defaultCacheDir();

}  // namespace klp
