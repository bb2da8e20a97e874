#include "check/ktap.h"

#include <regex>
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
    static const std::regex result(R"(^(not )?ok (\d+)( -)? ?(.*)$)");
    static const std::regex plan(R"(^1\.\.(\d+))");
    KtapResult r;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::smatch m;
        if (std::regex_search(line, m, plan))
            r.planned = std::stoi(m[1]);
        else if (std::regex_match(line, m, result)) {
            bool skip = m[4].str().find("# SKIP") != std::string::npos;
            r.subtests.push_back({m[4].str(), !m[1].matched || skip});
        }
    }
    return r;
}

}  // namespace klp::check
