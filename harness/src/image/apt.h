// apt-cache queries, memoised in the cache: an answer stays valid while apt's
// package lists and dpkg's status are unchanged, so a warm run asks apt nothing
// (each apt-cache call costs ~0.7 s here).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "image/cache.h"
#include "util/files.h"

namespace klp::image {

// stdout of `apt-cache ARGS...`.
std::string aptCache(const std::vector<std::string>& args, Cache& cache);

// stdout of `apt-cache ARGS...` run with `env` ("NAME=VALUE", e.g. a suite's
// APT_CONFIG), memoised under `stale` (what makes an answer old: the lists'
// state) and the args.
std::string aptCacheMemo(const std::vector<std::string>& env, KeyHasher stale, const std::vector<std::string>& args,
                         Cache& cache);

// The rows of `apt-cache madison` output: {package, version}, in its order.
std::vector<std::pair<std::string, std::string>> madisonRows(const std::string& text);

}  // namespace klp::image
