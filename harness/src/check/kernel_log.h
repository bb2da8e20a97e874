// Kernel log text as expectations see it: one entry per message, with the
// parts that vary between runs and arches removed.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

// Strips the "[   12.345678] " timestamp and a "[T123]"/"[C1]" caller id, and
// the "Tainted: ..." flags of a CPU/PID line. Returns the message.
std::string normaliseLine(std::string_view line);

// True for lines that only report tainting (out-of-tree module, unsigned
// module, TAINT_LIVEPATCH): they differ by kernel and carry no scenario meaning.
bool isTaintLine(std::string_view normalised);

// Splits text into normalised lines, dropping taint lines and empty lines.
std::vector<std::string> normaliseLog(std::string_view text);

}  // namespace klp::check
