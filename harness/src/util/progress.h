// Progress lines on stderr for long work ("fetching ...", "booting ..."), and a
// live status line under them while a run's cases go (terminals only).
#pragma once
#include <cstdio>
#include <string_view>

namespace klp {

// Prints "klp-harness: [<seconds since start>] <msg>" to stderr unless quiet
// (for the whole process, or for the calling thread).
void progress(std::string_view msg);
void setQuiet(bool quiet);
bool isQuiet();
void setThreadQuiet(bool quiet);

// Shows `text` as the last line of a terminal stderr, redrawn in place ("" hides
// it). A no-op unless stderr is a terminal and not quiet.
void statusLine(std::string_view text);
bool statusLineShown();  // stderr is a terminal and not quiet
// Writes `text` to `f` (stdout, stderr) above the status line, whole, flushed;
// safe from any thread.
void printLine(std::FILE* f, std::string_view text);

}  // namespace klp
