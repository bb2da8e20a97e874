// Both parsers read what a guest printed: a misbehaving guest (or kernel) must
// not crash the harness, whatever bytes it sends.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check/ktap.h"
#include "check/transitions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    klp::check::KtapResult k = klp::check::parseKtap(text);
    k.problem();  // the verdict line the runner prints from it
    for (const auto& t : klp::check::parseWatchLog(text))
        t.describe();  // what logs and reports show (and heldMs for each blocker)
    return 0;
}
