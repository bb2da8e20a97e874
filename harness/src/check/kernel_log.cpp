#include "check/kernel_log.h"

#include <re2/re2.h>

namespace klp::check {

std::string normaliseLine(std::string_view line) {
    static const re2::RE2 prefix(R"(^(<\d+>)?\[\s*\d+\.\d+\]\s?(\[\s*[TC]\d+\]\s?)?)");
    static const re2::RE2 tainted(R"(( Not tainted| Tainted: [A-Z ]+?)( \d+\.\d+))");
    std::string s(line);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n'))
        s.pop_back();
    re2::RE2::Replace(&s, prefix, "");
    re2::RE2::GlobalReplace(&s, tainted, "\\2");
    return s;
}

bool isTaintLine(std::string_view s) {
    return s.find("loading out-of-tree module taints kernel") != std::string_view::npos ||
           s.find("module verification failed: signature and/or required key missing") != std::string_view::npos ||
           s.find("tainting kernel with TAINT_LIVEPATCH") != std::string_view::npos;
}

std::vector<std::string> normaliseLog(std::string_view text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        std::string line = normaliseLine(raw);
        if (!line.empty() && !isTaintLine(line))
            out.push_back(std::move(line));
    }
    return out;
}

}  // namespace klp::check
