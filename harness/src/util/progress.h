// Progress lines on stderr for long work ("fetching ...", "booting ...").
#pragma once
#include <string_view>

namespace klp {

// Prints "klp-harness: [<seconds since start>] <msg>" to stderr unless quiet.
void progress(std::string_view msg);
void setQuiet(bool quiet);
bool isQuiet();

}  // namespace klp
