// Debian suites other than the host's (bookworm-backports, trixie, sid, ...) through
// apt lists of the harness's own, in <cache>/apt-suites/<suite>/: the host's apt
// sources, lists and package cache are never touched. Packages are only ever
// downloaded and unpacked into the cache, never installed.
#pragma once
#include <string>
#include <vector>

#include "image/cache.h"

namespace klp::image {

// The Debian mirror the suites come from: $KLP_DEBIAN_MIRROR, else deb.debian.org.
std::string debianMirror();

class Suite {
public:
    // Writes the suite's apt config; its lists are fetched (`apt-get update`, about
    // 1-10 s) on first use and again once they are a day old.
    Suite(std::string name, Cache& cache);
    const std::string& name() const { return name_; }

    // "APT_CONFIG=<file>": in the environment of apt-get/apt-cache, they see this
    // suite alone (images/lib.sh's apt_download passes it on).
    std::string aptConfigEnv();
    // stdout of `apt-cache ARGS...` over this suite, memoised like image/apt.h's.
    std::string aptCache(const std::vector<std::string>& args);
    // The newest version of `package` the suite offers; "" when it has none.
    std::string candidate(const std::string& package);

private:
    void refresh();  // apt-get update when the lists are missing or stale

    std::string name_;
    Cache& cache_;
    std::filesystem::path dir_;
    bool fresh_ = false;
};

}  // namespace klp::image
