#include "vm/registry.h"

#include "vm/embedded/embedded.h"
#include "vm/remote/remote.h"

namespace klp::vm {

std::shared_ptr<Backend> open(const std::string& uri, const BackendOptions& opts) {
    if (uri.empty())
        return embedded::open(opts);
    return remote::open(uri, opts);
}

int sweepLeftovers(const std::filesystem::path& runDir) {
    // Remote guests need no sweep here: their host destroys them with our
    // connection (autodestroy), and the next run removes their volumes.
    return embedded::sweep(runDir);
}

}  // namespace klp::vm
