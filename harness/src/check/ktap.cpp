#include "check/ktap.h"

#include <re2/re2.h>

#include <sstream>

namespace klp::check {

int KtapResult::failed() const {
    int n = 0;
    for (const auto& s : subtests)
        n += !s.second;
    return n;
}

std::string KtapResult::problem() const {
    if (subtests.empty())
        return "no KTAP/TAP results";
    if (planned >= 0 && planned != static_cast<int>(subtests.size()))
        return "plan 1.." + std::to_string(planned) + " but " + std::to_string(subtests.size()) + " results";
    if (failed())
        return std::to_string(failed()) + " of " + std::to_string(subtests.size()) + " subtests failed";
    return "";
}

KtapResult parseKtap(std::string_view text) {
    // RE2: guest output may hold huge lines; matching stays linear.
    static const re2::RE2 result(R"((not )?ok (\d+)(?: -)? ?(.*))");
    static const re2::RE2 plan(R"(^1\.\.(\d{1,9}))");  // compiled once, not once a line
    KtapResult r;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::string no, number, description;
        int planned = 0;
        if (re2::RE2::PartialMatch(line, plan, &planned))
            r.planned = planned;
        else if (re2::RE2::FullMatch(line, result, &no, &number, &description)) {
            bool skip = description.find("# SKIP") != std::string::npos;
            r.subtests.push_back({description, no.empty() || skip});
        }
    }
    return r;
}

}  // namespace klp::check
