// Expectations (from case files) against a kernel log (from the guest). The
// input is "expectations\n----\nkernel log": one expectation per line, its kind
// from a prefix ("re: ", "not: ", "not-re: ", else a plain substring), as in
// case files. A bad regex is refused by compile() with std::invalid_argument (its
// documented error); anything else escaping, or a crash, is a finding.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "check/crash.h"
#include "check/expect.h"
#include "check/kernel_log.h"

namespace {

using klp::check::Expectation;

Expectation expectationFrom(std::string_view line, int sourceLine) {
    struct Prefix {
        std::string_view text;
        Expectation::Kind kind;
    };
    // Longest first: "not-re: " must not be read as "not: ".
    static const Prefix prefixes[] = {{"not-re: ", Expectation::NotRegex},
                                      {"not: ", Expectation::NotContains},
                                      {"re: ", Expectation::Regex}};
    Expectation e;
    e.sourceLine = sourceLine;
    e.text = std::string(line);
    for (const auto& p : prefixes)
        if (line.substr(0, p.text.size()) == p.text) {
            e.kind = p.kind;
            e.text = std::string(line.substr(p.text.size()));
            break;
        }
    return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    size_t split = input.find("\n----\n");
    std::string_view spec = split == std::string_view::npos ? std::string_view() : input.substr(0, split);
    std::string_view log = split == std::string_view::npos ? input : input.substr(split + 6);

    std::vector<Expectation> expectations;
    int sourceLine = 0;
    while (!spec.empty()) {
        size_t nl = spec.find('\n');
        std::string_view line = spec.substr(0, nl);
        spec = nl == std::string_view::npos ? std::string_view() : spec.substr(nl + 1);
        Expectation e = expectationFrom(line, ++sourceLine);
        try {
            klp::check::compile(e);
        } catch (const std::invalid_argument&) {
            continue;  // the case file parser refuses it with file:line
        }
        expectations.push_back(std::move(e));
    }

    // The console goes through crash detection; the kernel log is normalised and matched.
    klp::check::findCrashes(log);
    std::vector<std::string> lines = klp::check::normaliseLog(log);
    klp::check::MatchResult r = klp::check::matchLog(expectations, lines);
    if (!r.ok && r.message.empty())
        __builtin_trap();  // a failed match must always say why
    for (const auto& e : expectations)
        e.describe();
    return 0;
}
