#include "check/expect.h"

#include <re2/re2.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace klp::check {

namespace {
const re2::RE2& regexFor(const std::string& pattern) {
    static std::mutex m;
    static std::map<std::string, std::unique_ptr<re2::RE2>> cache;
    std::lock_guard lock(m);
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        re2::RE2::Options o;
        o.set_log_errors(false);
        auto re = std::make_unique<re2::RE2>(pattern, o);
        if (!re->ok())
            throw std::invalid_argument(re->error());
        it = cache.emplace(pattern, std::move(re)).first;
    }
    return *it->second;
}

std::string context(const std::vector<std::string>& lines, int from, int to, int mark) {
    std::string out;
    from = std::max(from, 0);
    to = std::min<int>(to, static_cast<int>(lines.size()));
    if (from >= to)
        return "    (no kernel log lines there)\n";
    for (int i = from; i < to; i++)
        out += (i == mark ? "  > " : "    ") + lines[i] + "\n";
    return out;
}
}  // namespace

void compile(const Expectation& e) {
    if (e.kind == Expectation::Regex || e.kind == Expectation::NotRegex)
        regexFor(e.text);
}

bool regexSearch(const std::string& pattern, std::string_view text) {
    return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regexFor(pattern));
}

bool Expectation::matches(const std::string& line) const {
    switch (kind) {
    case Contains:
    case NotContains:
        return line.find(text) != std::string::npos;
    case Regex:
    case NotRegex:
        return re2::RE2::PartialMatch(line, regexFor(text));
    }
    return false;
}

std::string Expectation::describe() const {
    const char* k[] = {"", "re: ", "not: ", "not re: "};
    return std::string(k[kind]) + "\"" + text + "\"";
}

MatchResult matchLog(const std::vector<Expectation>& exps, const std::vector<std::string>& lines) {
    MatchResult r;
    const int n = static_cast<int>(lines.size());
    int pos = 0;                 // next line a positive expectation may match
    std::vector<int> pendingNot; // `not`s waiting for the next positive match
    auto checkNots = [&](int from, int to) -> bool {
        for (int idx : pendingNot)
            for (int i = from; i < to; i++)
                if (exps[idx].matches(lines[i])) {
                    r.ok = false;
                    r.failed = idx;
                    r.lineOfFailure = i;
                    r.message = "unexpected line for " + exps[idx].describe() + " (case line " +
                                std::to_string(exps[idx].sourceLine) + "):\n" + context(lines, i - 3, i + 4, i);
                    return false;
                }
        pendingNot.clear();
        return true;
    };
    for (int idx = 0; idx < static_cast<int>(exps.size()); idx++) {
        const Expectation& e = exps[idx];
        if (e.negative()) {
            pendingNot.push_back(idx);
            continue;
        }
        int found = -1;
        for (int i = pos; i < n && found < 0; i++)
            if (e.matches(lines[i]))
                found = i;
        if (found < 0) {
            r.ok = false;
            r.failed = idx;
            r.lineOfFailure = pos;
            r.message = "no match for " + e.describe() + " (case line " + std::to_string(e.sourceLine) +
                        "); kernel log from where the search began:\n" + context(lines, pos - 2, pos + 12, -1);
            return r;
        }
        if (!checkNots(pos, found))
            return r;
        pos = found + 1;
    }
    checkNots(pos, n);
    return r;
}

}  // namespace klp::check
