#include "selftests/judge.h"

#include <sstream>

namespace klp::selftests {

namespace {

std::vector<std::string> linesOf(std::string_view text) {
    std::vector<std::string> lines;
    std::istringstream in{std::string(text)};
    for (std::string l; std::getline(in, l);) {
        if (!l.empty() && l.back() == '\r')
            l.pop_back();
        lines.push_back(l);
    }
    return lines;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Long lines (a whole dmesg line) stay readable in a one-line reason.
std::string clip(std::string s, size_t n = 160) {
    if (s.size() > n)
        s = s.substr(0, n) + "...";
    return s;
}

// The unified diff check_result() prints after "not ok": from "--- expected"
// to the first line that is no diff line.
struct Diff {
    size_t begin = 0, end = 0;  // [begin, end) in the output lines
    // At the first difference: the line the script expected there, and the line
    // the kernel log had there instead ("" when the log or the expectation ended).
    std::string expected, got;
    bool extra = false;  // the log had a line more (else one was missing or other)
};

Diff diffAfter(const std::vector<std::string>& lines, size_t from) {
    Diff d;
    for (size_t i = from; i < lines.size(); i++) {
        if (startsWith(lines[i], "TEST: "))
            break;  // the next test: this one printed no diff
        if (lines[i] != "--- expected")
            continue;
        d.begin = i;
        std::vector<std::string> body;  // the hunks' lines, headers dropped
        size_t j = i + 1;
        for (; j < lines.size(); j++) {
            const std::string& l = lines[j];
            if (l.empty() || !(l[0] == '+' || l[0] == '-' || l[0] == ' ' || l[0] == '@'))
                break;
            if (!startsWith(l, "+++ ") && l[0] != '@')
                body.push_back(l);
        }
        d.end = j;
        size_t k = 0;
        while (k < body.size() && body[k][0] == ' ')
            k++;
        if (k == body.size())
            return d;
        d.extra = body[k][0] == '+';
        // The other side's line at the same place: the first line after the
        // difference that belongs to it.
        const char other = d.extra ? '-' : '+';
        std::string first = body[k].substr(1), there;
        for (size_t m = k + 1; m < body.size() && there.empty(); m++)
            if (body[m][0] == other || body[m][0] == ' ')
                there = body[m].substr(1);
        (d.extra ? d.got : d.expected) = first;
        (d.extra ? d.expected : d.got) = there;
        return d;
    }
    return d;
}

std::string lastLines(const std::vector<std::string>& lines, size_t n) {
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); i++)
        out += lines[i] + "\n";
    return out;
}

// The first line starting with one of `prefixes`, without its prefix's label.
std::string firstWith(const std::vector<std::string>& lines, std::initializer_list<std::string_view> prefixes) {
    for (const auto& l : lines)
        for (auto p : prefixes) {
            auto at = l.find(p);
            if (at != std::string::npos)
                return l.substr(at);
        }
    return "";
}

}  // namespace

Judgement judgeScript(int exitCode, std::string_view output) {
    Judgement j;
    auto lines = linesOf(output);
    for (size_t i = 0; i < lines.size(); i++) {
        if (!startsWith(lines[i], "TEST: "))
            continue;
        std::string rest = lines[i].substr(6);
        ScriptTest t;
        t.line = static_cast<int>(i + 1);
        auto dots = rest.rfind(" ... ");
        t.name = rest.substr(0, dots);
        std::string after = dots == std::string::npos ? "" : rest.substr(dots + 5);
        t.ok = after == "ok";
        if (!t.ok)
            t.message = after.empty() ? "no result" : after;
        j.tests.push_back(t);
    }
    if (exitCode == 0) {
        j.verdict = cases::Verdict::Pass;
        return j;
    }
    if (exitCode == 4) {  // kselftest's KSFT_SKIP
        j.verdict = cases::Verdict::Skip;
        std::string why = firstWith(lines, {"SKIP: ", "skip all tests: ", "skip "});
        j.reason = clip(why.empty() ? "the script skipped (exit 4)" : why);
        return j;
    }
    j.verdict = cases::Verdict::Fail;
    std::string error = firstWith(lines, {"ERROR: "});
    const ScriptTest* failed = nullptr;
    for (const auto& t : j.tests)
        if (!t.ok) {
            failed = &t;
            break;
        }
    std::string where = failed ? "TEST: " + failed->name + ": " : "";
    Diff d = failed ? diffAfter(lines, static_cast<size_t>(failed->line)) : Diff{};
    if (d.end > d.begin) {
        if (d.extra)
            j.reason = where + "unexpected \"" + clip(d.got) + "\"" +
                       (d.expected.empty() ? "" : " before \"" + clip(d.expected) + "\"");
        else if (!d.got.empty())
            j.reason = where + "expected \"" + clip(d.expected) + "\", got \"" + clip(d.got) + "\"";
        else
            j.reason = where + "missing \"" + clip(d.expected) + "\" at the end";
        for (size_t i = d.begin; i < d.end && i < d.begin + 60; i++)
            j.detail += lines[i] + "\n";
        return j;
    }
    // No diff: the script died on its way (a module that would not load, a
    // transition that never ended): its own ERROR line says why.
    if (failed && failed->message != "not ok" && failed->message != "no result")
        j.reason = where + clip(failed->message);
    else if (!error.empty())
        j.reason = where + clip(error);
    else
        j.reason = where + "exit code " + std::to_string(exitCode);
    j.detail = lastLines(lines, 15);
    return j;
}

std::vector<std::string> testProgs(std::string_view makefile) {
    std::vector<std::string> progs;
    auto lines = linesOf(makefile);
    for (size_t i = 0; i < lines.size(); i++) {
        const std::string& l = lines[i];
        if (!startsWith(l, "TEST_PROGS ") && !startsWith(l, "TEST_PROGS:") && !startsWith(l, "TEST_PROGS+"))
            continue;
        std::string text = l.substr(l.find('=') == std::string::npos ? l.size() : l.find('=') + 1);
        for (size_t k = i; !lines[k].empty() && lines[k].back() == '\\' && k + 1 < lines.size();) {
            text.pop_back();
            text += " " + lines[++k];
            i = k;
        }
        std::istringstream words(text);
        for (std::string w; words >> w;)
            if (w != "\\")
                progs.push_back(w);
    }
    return progs;
}

}  // namespace klp::selftests
