// FileCheck-style expectations over kernel log lines: an ordered list of
// positive lines (substring or regex) with "not" lines between them.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

struct Expectation {
    enum Kind { Contains, Regex, NotContains, NotRegex };
    Kind kind = Contains;
    std::string text;    // as written in the case file
    int sourceLine = 0;  // line in the case file, for messages
    bool negative() const { return kind == NotContains || kind == NotRegex; }
    bool matches(const std::string& line) const;  // (Not)Regex: RE2 partial match
    std::string describe() const;                  // e.g. `not re: "Oops"`
};

// Regexes are RE2 syntax (linear time, no backreferences or lookaround), so no
// pattern and no guest output can make matching recurse or take exponential time.
// Throws std::invalid_argument for a bad pattern (callers name the file and line).
void compile(const Expectation& e);

// One regex search over `text` (a whole command output, say), with the same
// engine and cache. Throws std::invalid_argument for a bad pattern.
bool regexSearch(const std::string& pattern, std::string_view text);

struct MatchResult {
    bool ok = true;
    int failed = -1;          // index of the first expectation that failed
    int lineOfFailure = -1;   // log index: a `not` hit, or where the search began
    std::string message;      // human-readable: what failed and the log around it
};

// Positive expectations must match lines in order, each after the previous
// match. A `not` expectation must match no line between the previous positive
// match and the next one (or the end of the log when it comes last).
MatchResult matchLog(const std::vector<Expectation>& expectations, const std::vector<std::string>& lines);

}  // namespace klp::check
