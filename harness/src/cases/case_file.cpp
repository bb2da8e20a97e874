#include "cases/case_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "cases/verbs.h"
#include "util/error.h"
#include "util/files.h"
#include "vm/arch.h"

namespace klp::cases {
namespace fs = std::filesystem;

namespace {

struct Parser {
    fs::path file;

    [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const {
        int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
        throw UsageError(file.string() + ":" + std::to_string(line) + ": " + what);
    }

    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar())
            fail(n, "'" + key + "' must be a single value");
        return n.as<std::string>();
    }

    std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
        std::vector<std::string> out;
        if (n.IsScalar())
            out.push_back(n.as<std::string>());
        else if (n.IsSequence())
            for (const auto& item : n)
                out.push_back(scalar(item, key));
        else
            fail(n, "'" + key + "' must be a value or a list");
        return out;
    }

    // A log expectation: "text", {re: ...}, {not: ...}, {not-re: ...}.
    check::Expectation expectation(const YAML::Node& n) const {
        check::Expectation e;
        e.sourceLine = n.Mark().line + 1;
        if (n.IsScalar()) {
            e.text = n.as<std::string>();
        } else if (n.IsMap() && n.size() == 1) {
            auto key = n.begin()->first.as<std::string>();
            e.text = scalar(n.begin()->second, key);
            if (key == "re")
                e.kind = check::Expectation::Regex;
            else if (key == "not")
                e.kind = check::Expectation::NotContains;
            else if (key == "not-re")
                e.kind = check::Expectation::NotRegex;
            else
                fail(n, "unknown log expectation '" + key + "' (use a string, re:, not: or not-re:)");
        } else {
            fail(n, "a log expectation is a string or one of re:, not:, not-re:");
        }
        try {
            check::compile(e);
        } catch (const std::regex_error& err) {
            fail(n, "bad regex \"" + e.text + "\": " + err.what());
        }
        return e;
    }

    std::vector<check::Expectation> expectations(const YAML::Node& n) const {
        if (!n.IsSequence())
            fail(n, "'log' must be a list of expectations");
        std::vector<check::Expectation> out;
        for (const auto& item : n)
            out.push_back(expectation(item));
        return out;
    }

    Step step(const YAML::Node& n) const {
        if (!n.IsMap())
            fail(n, "a step is a mapping like '- load: klp_basic'");
        Step s;
        s.line = n.Mark().line + 1;
        const Verb* verb = nullptr;
        for (const auto& kv : n) {
            std::string key = kv.first.as<std::string>();
            if (const Verb* v = findVerb(key)) {
                if (verb)
                    fail(kv.first, "one step has two verbs: '" + verb->name + "' and '" + key + "'");
                verb = v;
                s.verb = key;
                s.arg = kv.second.IsNull() ? "" : scalar(kv.second, key);
            }
        }
        if (!verb) {
            std::string known;
            for (const auto& v : verbs())
                known += (known.empty() ? "" : ", ") + v.name;
            fail(n, "step without a known verb (verbs: " + known + ")");
        }
        for (const auto& kv : n) {
            std::string key = kv.first.as<std::string>();
            if (key == s.verb)
                continue;
            if (key == "log") {
                s.log = expectations(kv.second);
                continue;
            }
            if (!verb->required.count(key) && !verb->optional.count(key) && !commonOptions().count(key)) {
                std::string allowed;
                for (const auto* set : {&verb->required, &verb->optional, &commonOptions()})
                    for (const auto& o : *set)
                        allowed += (allowed.empty() ? "" : ", ") + o;
                fail(kv.first, "'" + s.verb + "' has no option '" + key + "' (allowed: " + allowed + ", log)");
            }
            s.opts[key] = scalar(kv.second, key);
        }
        for (const auto& r : verb->required)
            if (!s.opts.count(r))
                fail(n, "'" + s.verb + "' needs '" + r + "'");
        if (s.arg.empty() && !verb->argName.empty())
            fail(n, "'" + s.verb + "' needs a " + verb->argName + " ('- " + s.verb + ": <" + verb->argName + ">')");
        if (s.verb == "sleep") {
            try {
                if (std::stod(s.arg) < 0)
                    throw std::invalid_argument("");
            } catch (...) {
                fail(n, "sleep takes a number of seconds");
            }
        }
        if (s.opts.count("exit")) {
            try {
                std::stoi(s.opts["exit"]);
            } catch (...) {
                fail(n, "exit must be a number");
            }
        }
        if (s.opts.count("arch")) {
            if (stepArches(s).empty())
                fail(n, "'arch' names no arch (x86_64, ppc64le)");
            auto known = vm::knownArches();
            for (const auto& a : stepArches(s))
                if (std::find(known.begin(), known.end(), a) == known.end())
                    fail(n, "unknown arch '" + a + "' in 'arch' (x86_64, ppc64le)");
        }
        if (s.opts.count("timeout")) {
            try {
                if (std::stoi(s.opts["timeout"]) <= 0)
                    throw std::invalid_argument("");
            } catch (...) {
                fail(n, "timeout must be a positive number of seconds");
            }
        }
        return s;
    }
};

}  // namespace

std::vector<std::string> stepArches(const Step& s) {
    std::vector<std::string> out;
    std::string list = s.opt("arch");
    std::replace(list.begin(), list.end(), ',', ' ');
    std::istringstream in(list);
    for (std::string a; in >> a;)
        out.push_back(a);
    return out;
}

Case parseCase(const fs::path& file, const std::string& name) {
    std::string text;
    try {
        text = readFile(file);
    } catch (const std::exception&) {
        throw UsageError(file.string() + ": cannot read");
    }
    return parseCaseText(text, file, name);
}

Case parseCaseText(const std::string& text, const fs::path& file, const std::string& name) {
    Parser p{file};
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw UsageError(file.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (!root.IsMap())
        throw UsageError(file.string() + ":1: a case file is a mapping with title, seeds and steps");
    Case c;
    c.file = file;
    c.name = name;
    for (const auto& kv : root) {
        std::string key = kv.first.as<std::string>();
        const YAML::Node& v = kv.second;
        if (key == "title")
            c.title = p.scalar(v, key);
        else if (key == "seeds" || key == "seed")
            c.seeds = p.strings(v, key);
        else if (key == "expect-crash")
            c.expectCrash = p.scalar(v, key);
        else if (key == "log")
            c.log = p.expectations(v);
        else if (key == "requires") {
            if (!v.IsMap())
                p.fail(v, "'requires' takes arch: and kernel-min:");
            for (const auto& r : v) {
                std::string rk = r.first.as<std::string>();
                if (rk == "arch")
                    c.arches = p.strings(r.second, rk);
                else if (rk == "kernel-min")
                    c.kernelMin = p.scalar(r.second, rk);
                else
                    p.fail(r.first, "unknown requirement '" + rk + "' (arch, kernel-min)");
            }
        } else if (key == "steps") {
            if (!v.IsSequence() || v.size() == 0)
                p.fail(v, "'steps' must be a non-empty list");
            for (const auto& s : v)
                c.steps.push_back(p.step(s));
        } else {
            p.fail(kv.first, "unknown key '" + key + "' (title, seeds, requires, expect-crash, steps, log)");
        }
    }
    if (c.title.empty())
        throw UsageError(file.string() + ":1: the case has no title");
    if (c.steps.empty())
        throw UsageError(file.string() + ":1: the case has no steps");
    return c;
}

std::vector<Case> loadCases(const std::vector<std::string>& paths) {
    std::vector<Case> out;
    for (const auto& p : paths) {
        fs::path path(p);
        if (!fs::exists(path))
            throw UsageError(p + ": no such file or directory");
        if (fs::is_regular_file(path)) {
            fs::path abs = fs::absolute(path);
            std::string name = abs.parent_path().filename() == "cases" || !abs.parent_path().has_relative_path()
                                   ? path.stem().string()
                                   : (abs.parent_path().filename() / path.stem()).string();
            out.push_back(parseCase(path, name));
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& e : fs::recursive_directory_iterator(path))
            if (e.is_regular_file() && e.path().extension() == ".yaml")
                files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            // Named from the cases root ("state/new-state-allowed") when under one.
            fs::path root = path;
            for (fs::path a = fs::absolute(f).parent_path(); a.has_relative_path(); a = a.parent_path())
                if (a.filename() == "cases") {
                    root = a;
                    break;
                }
            std::string name = fs::relative(fs::absolute(f), fs::absolute(root)).replace_extension().string();
            out.push_back(parseCase(f, name));
        }
    }
    return out;
}

}  // namespace klp::cases
