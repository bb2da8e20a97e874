// What the report tests check every writer's output against: the KTAP rules we
// rely on, and the JUnit schema Jenkins and GitLab read (fixtures/junit.xsd).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "util/files.h"
#include "util/process.h"

namespace klp::test {

// The KTAP rules we rely on: a version line, a plan matching the number of
// results at each level, sequential numbers, subtests indented by 4 with
// their own version, plan and "# Subtest:" line.
inline std::string ktapProblem(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    size_t i = 0;
    std::function<std::string(const std::string&)> level = [&](const std::string& ind) -> std::string {
        if (i >= lines.size() || lines[i] != ind + "KTAP version 1")
            return "line " + std::to_string(i + 1) + ": expected '" + ind + "KTAP version 1'";
        i++;
        if (i < lines.size() && lines[i].rfind(ind + "# Subtest: ", 0) == 0)
            i++;
        std::smatch m;
        static const std::regex plan(R"(^1\.\.(\d+)$)");
        std::string pl = i < lines.size() && lines[i].rfind(ind, 0) == 0 ? lines[i].substr(ind.size()) : "";
        if (!std::regex_match(pl, m, plan))
            return "line " + std::to_string(i + 1) + ": expected a plan";
        int planned = std::stoi(m[1]), n = 0;
        i++;
        static const std::regex result(R"(^(not )?ok (\d+) \S.*$)");
        while (i < lines.size() && lines[i].rfind(ind, 0) == 0) {
            std::string l = lines[i].substr(ind.size());
            if (l.rfind("    KTAP version 1", 0) == 0) {
                if (auto p = level(ind + "    "); !p.empty())
                    return p;
                continue;
            }
            if (l.rfind("#", 0) == 0) {
                i++;
                continue;
            }
            if (!std::regex_match(l, m, result))
                return "line " + std::to_string(i + 1) + ": not a result: " + l;
            if (std::stoi(m[2]) != ++n)
                return "line " + std::to_string(i + 1) + ": result " + m[2].str() + " out of order";
            i++;
        }
        return n == planned ? "" : ind + "plan 1.." + std::to_string(planned) + " but " + std::to_string(n) + " results";
    };
    std::string p = level("");
    return p.empty() && i != lines.size() ? "trailing lines from " + std::to_string(i + 1) : p;
}

// "" when the JUnit XML validates against fixtures/junit.xsd, else why not.
inline std::string junitProblem(const std::string& xml) {
    namespace fs = std::filesystem;
    fs::path tmp = fs::temp_directory_path() / ("klp-junit-" + std::to_string(getpid()) + ".xml");
    writeFile(tmp, xml);
    auto r = runProcess({"xmllint", "--noout", "--schema", (fs::path(KLP_FIXTURES) / "junit.xsd").string(), tmp.string()},
                        "/dev/null");
    fs::remove(tmp);
    return r.exitCode == 0 ? "" : "junit.xml does not validate against fixtures/junit.xsd (is xmllint installed?): " + r.output;
}

}  // namespace klp::test
