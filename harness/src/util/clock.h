// The wall clock as text: timestamps for reports and default output dirs.
#pragma once
#include <ctime>
#include <string>

namespace klp {

// Now, formatted with strftime's `fmt`, in UTC (`local`: the local time zone).
inline std::string nowText(const char* fmt = "%Y-%m-%dT%H:%M:%SZ", bool local = false) {
    char buf[96];
    std::time_t t = std::time(nullptr);
    std::tm parts{};
    if (local)
        localtime_r(&t, &parts);
    else
        gmtime_r(&t, &parts);
    return std::strftime(buf, sizeof buf, fmt, &parts) ? buf : "";
}

}  // namespace klp
