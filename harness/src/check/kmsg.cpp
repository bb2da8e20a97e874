#include "check/kmsg.h"

#include <charconv>
#include <cstdio>

namespace klp::check {

namespace {

bool number(std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// /dev/kmsg escapes non-printable bytes (and backslash) as \xNN.
std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hexDigit(s[i + 2]) >= 0 &&
            hexDigit(s[i + 3]) >= 0) {
            out += static_cast<char>(hexDigit(s[i + 2]) * 16 + hexDigit(s[i + 3]));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::optional<KmsgRecord> parseKmsgRecord(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.remove_suffix(1);
    size_t semi = line.find(';');
    if (semi == std::string_view::npos)
        return std::nullopt;
    std::string_view head = line.substr(0, semi);
    // PRI,SEQ,TS,FLAGS[,more]: the first three are numbers.
    uint64_t field[3];
    for (auto& f : field) {
        size_t comma = head.find(',');
        if (!number(head.substr(0, comma), f))
            return std::nullopt;
        if (comma == std::string_view::npos) {
            if (&f != &field[2])
                return std::nullopt;
            head = {};
        } else {
            head.remove_prefix(comma + 1);
        }
    }
    return KmsgRecord{field[1], field[2], unescape(line.substr(semi + 1))};
}

std::string dmesgLine(const KmsgRecord& r) {
    char ts[48];
    std::snprintf(ts, sizeof ts, "[%5llu.%06llu] ", static_cast<unsigned long long>(r.usec / 1000000),
                  static_cast<unsigned long long>(r.usec % 1000000));
    return ts + r.text;
}

bool isMarker(const KmsgRecord& r) { return r.text.rfind("klp-harness: mark ", 0) == 0; }

KmsgWindow kmsgWindow(std::string_view text, uint64_t from, uint64_t to) {
    KmsgWindow w;
    uint64_t seen = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        auto r = parseKmsgRecord(line);
        if (!r || r->seq <= from || r->seq >= to)
            continue;
        seen++;
        if (!isMarker(*r))
            w.lines.push_back(dmesgLine(*r));
    }
    w.lost = to > from + 1 ? to - from - 1 - seen : 0;
    return w;
}

}  // namespace klp::check
