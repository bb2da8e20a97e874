// apt-cache queries, memoised in the cache: an answer stays valid while apt's
// package lists and dpkg's status are unchanged, so a warm run asks apt nothing
// (each apt-cache call costs ~0.7 s here).
#pragma once
#include <string>
#include <vector>

#include "image/cache.h"

namespace klp::image {

// stdout of `apt-cache ARGS...`.
std::string aptCache(const std::vector<std::string>& args, Cache& cache);

}  // namespace klp::image
