#include <cstdio>
#include <map>
#include <pugixml.hpp>
#include <sstream>
#include <vector>

#include "report/writers.h"
#include "util/files.h"

namespace klp::report {

namespace {
// XML 1.0 has no place for most control characters; kernel logs may hold some.
std::string xmlSafe(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
            c = '?';
    return s;
}

// "attempt 2: FAIL 11.0 s, x.yaml:6: ... (logs: dir)" per attempt of a repeated result.
std::string attemptLines(const Json& r) {
    std::string out;
    int i = 0;
    for (const auto& a : r.value("attempts", Json::array())) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f s", a.value("seconds", 0.0));
        std::string reason = a.value("reason", ""), logs = a.value("logs", "");
        out += "attempt " + std::to_string(++i) + ": " + std::string(a["verdict"]) + " " + secs +
               (reason.empty() ? "" : ", " + reason) + (logs.empty() ? "" : " (logs: " + logs + ")") + "\n";
    }
    return out;
}
}  // namespace

std::string toJunit(const Json& doc, const std::filesystem::path& dir) {
    auto [order, groups] = groupResults(doc);
    pugi::xml_document x;
    auto decl = x.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    auto suites = x.append_child("testsuites");
    suites.append_attribute("name") = "klp-harness";
    int total = 0, totalFail = 0, totalErr = 0;
    double totalTime = 0;
    for (const auto& g : order) {
        auto suite = suites.append_child("testsuite");
        int fails = 0, errors = 0, skipped = 0;
        double time = 0;
        for (const Json* r : groups[g]) {
            std::string v = (*r)["verdict"];
            fails += v == "FAIL" || v == "FLAKY";
            errors += v == "ERROR" || v == "MISS";
            skipped += v == "SKIP";
            time += r->value("seconds", 0.0);
        }
        suite.append_attribute("name") = g.c_str();
        suite.append_attribute("tests") = static_cast<int>(groups[g].size());
        suite.append_attribute("failures") = fails;
        suite.append_attribute("errors") = errors;
        suite.append_attribute("skipped") = skipped;
        suite.append_attribute("time") = time;
        if (doc["run"].contains("started"))
            suite.append_attribute("timestamp") = std::string(doc["run"]["started"]).substr(0, 19).c_str();
        total += static_cast<int>(groups[g].size());
        totalFail += fails;
        totalErr += errors;
        totalTime += time;
        for (const Json* r : groups[g]) {
            auto tc = suite.append_child("testcase");
            std::string name = (*r)["case"];
            tc.append_attribute("name") = name.c_str();
            tc.append_attribute("classname") = (g + "/" + name.substr(0, name.find('/'))).c_str();
            tc.append_attribute("time") = r->value("seconds", 0.0);
            std::string v = (*r)["verdict"], reason = r->value("reason", ""), detail = r->value("detail", "");
            // First in a failure's body: the command a reader runs next.
            std::string repro = r->value("repro", "").empty() ? "" : "repro: " + r->value("repro", "") + "\n\n";
            if (v == "FLAKY") {
                // A failure Jenkins and GitLab show (and count) as one, typed so a
                // reader can tell it from a steady FAIL; each attempt in the body.
                auto f = tc.append_child("failure");
                std::string counts = repeatSummary(*r);
                f.append_attribute("message") =
                    xmlSafe((counts.empty() ? "flaky" : counts) + (reason.empty() ? "" : ": " + reason)).c_str();
                f.append_attribute("type") = "FLAKY";
                f.text() = xmlSafe(repro + attemptLines(*r) + detail).c_str();
            } else if (v == "FAIL" || v == "ERROR" || v == "MISS") {
                auto f = tc.append_child(v == "FAIL" ? "failure" : "error");
                // The first unmatched expectation is the message; its log excerpt the body.
                std::string first = detail.substr(0, detail.find('\n'));
                f.append_attribute("message") = xmlSafe(reason + (first.empty() ? "" : ": " + first)).c_str();
                f.append_attribute("type") = v.c_str();
                f.text() = xmlSafe(repro + (detail.empty() ? reason : detail)).c_str();
            } else if (v == "SKIP") {
                tc.append_child("skipped").append_attribute("message") = reason.c_str();
            }
            std::string kernelLog = (*r)["logs"].value("kernel", "");
            // The path comes from results.json: a name the OS refuses must not throw,
            // and a device or fifo there (/dev/zero) must not be read forever.
            std::error_code ec;
            if (!kernelLog.empty() && std::filesystem::is_regular_file(dir / kernelLog, ec)) {
                try {
                    tc.append_child("system-out").text() = xmlSafe(readFile(dir / kernelLog)).c_str();
                } catch (...) {
                }
            }
        }
    }
    suites.append_attribute("tests") = total;
    suites.append_attribute("failures") = totalFail;
    suites.append_attribute("errors") = totalErr;
    suites.append_attribute("time") = totalTime;
    std::ostringstream out;
    x.save(out, "  ");
    return out.str();
}

}  // namespace klp::report
