// Case files come from users: any text must give a Case or a UsageError
// ("<file>:<line>: <what>"), never another exception or a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cases/case_file.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        klp::cases::parseCaseText(text, "fuzz.yaml", "fuzz");
    } catch (const klp::UsageError&) {
        // The documented way to refuse a file. Anything else escapes: a finding.
    }
    return 0;
}
