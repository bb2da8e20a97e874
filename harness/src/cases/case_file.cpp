#include "cases/case_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "cases/verbs.h"
#include "check/crash.h"
#include "image/kernel_features.h"
#include "image/modules.h"
#include "util/error.h"
#include "util/files.h"
#include "util/yaml_error.h"

namespace klp::cases {
namespace fs = std::filesystem;

namespace {

// Case files are small; a huge one is a mistake (or an attack on the parser).
constexpr uintmax_t kMaxCaseFileBytes = 1024 * 1024;

bool isVarName(const std::string& n) {
    return !n.empty() && !std::isdigit(static_cast<unsigned char>(n[0])) &&
           n.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

struct Parser {
    fs::path file;
    const CaseNames* names = nullptr;
    const std::map<std::string, std::string>* vars = nullptr;  // once `vars:` is read

    // "${NAME}" -> the variable's value; "$${" is a literal "${" (for a shell's own).
    std::string expand(const YAML::Node& at, const std::string& text) const {
        std::string out;
        for (size_t i = 0; i < text.size();) {
            if (text.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 3;
                continue;
            }
            if (text.compare(i, 2, "${") != 0) {
                out += text[i++];
                continue;
            }
            auto end = text.find('}', i);
            std::string name = end == std::string::npos ? "" : text.substr(i + 2, end - i - 2);
            if (!isVarName(name))
                fail(at, "bad variable reference '" + text.substr(i, end == std::string::npos ? 8 : end - i + 1) +
                             "' (use ${NAME}; $${ for a literal ${)");
            if (!vars || !vars->count(name)) {
                std::string known;
                if (vars)
                    for (const auto& [k, v] : *vars)
                        known += (known.empty() ? "" : ", ") + k;
                fail(at, "unknown variable ${" + name + "} (" +
                             (known.empty() ? "the case declares no vars:" : "vars: " + known) +
                             "; $${ for a literal ${)");
            }
            out += vars->at(name);
            i = end + 1;
        }
        return out;
    }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const { yamlError(file, at, what); }
    std::string keyOf(const YAML::Node& k) const { return yamlKey(file, k); }

    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar())
            fail(n, "'" + key + "' must be a single value");
        return expand(n, n.as<std::string>());
    }

    // A whole number in [lo, hi], as the matrix file's cpus/memory are.
    int number(const YAML::Node& n, const std::string& key, int lo, int hi) const {
        const std::string s = n.IsScalar() ? expand(n, n.Scalar()) : "";
        int v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size())
            fail(n, "'" + key + "' must be a whole number");
        if (v < lo || v > hi)
            fail(n, "'" + key + "' must be " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " + s + ")");
        return v;
    }

    std::vector<std::string> strings(const YAML::Node& n, const std::string& key) const {
        std::vector<std::string> out;
        if (n.IsScalar())
            out.push_back(scalar(n, key));
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
            e.text = scalar(n, "log");
        } else if (n.IsMap() && n.size() == 1) {
            auto key = keyOf(n.begin()->first);
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
        } catch (const std::invalid_argument& err) {
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

    // A step: its verb's row (cases/verbs.h) checks and reads every value.
    Step step(const YAML::Node& n) const {
        if (!n.IsMap())
            fail(n, "a step is a mapping like '- load: klp_basic'");
        Step s;
        s.line = n.Mark().line + 1;
        const Verb* verb = nullptr;
        YAML::Node argNode;
        for (const auto& kv : n) {
            std::string key = keyOf(kv.first);
            if (const Verb* v = findVerb(key)) {
                if (verb)
                    fail(kv.first, "one step has two verbs: '" + verb->name + "' and '" + key + "'");
                verb = v;
                s.verb = key;
                s.arg = kv.second.IsNull() ? "" : scalar(kv.second, key);
                argNode = kv.second;
            }
        }
        if (!verb) {
            std::string known;
            for (const auto& v : verbs())
                known += (known.empty() ? "" : ", ") + v.name;
            fail(n, "step without a known verb (verbs: " + known + ")");
        }
        std::map<std::string, std::string> texts;
        std::map<std::string, YAML::Node> nodes;
        for (const auto& kv : n) {
            std::string key = keyOf(kv.first);
            if (key == s.verb)
                continue;
            if (key == "log") {
                s.log = expectations(kv.second);
                continue;
            }
            texts[key] = scalar(kv.second, key);
            nodes[key] = kv.second;
        }
        readStep(*verb, s, texts, names, [&](const std::string& key, const std::string& what) {
            if (key == s.verb)
                fail(argNode, what);
            auto it = nodes.find(key);
            fail(it == nodes.end() ? n : it->second, what);
        });
        return s;
    }

    // A value of the case as a whole, checked by the same kinds as a step's.
    Value value(const YAML::Node& at, const ValueSpec& spec, const std::string& text, const std::string& subject) const {
        try {
            return parseValue(spec, text, subject, false, names);
        } catch (const std::invalid_argument& e) {
            fail(at, e.what());
        }
    }
};

Case parseCaseNodes(const std::string& text, const fs::path& file, const std::string& name, const CaseNames* names);
}  // namespace

std::vector<std::string> stepArches(const Step& s) { return s.has("arch") ? s.at("arch").arches : std::vector<std::string>{}; }

CaseNames ourCaseNames() {
    CaseNames n;
    for (const auto& m : image::ourModuleNames())
        n.modules.insert(m);
    return n;
}

Case parseCase(const fs::path& file, const std::string& name, const CaseNames* names) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec)
        throw UsageError(file.string() + ": cannot read: " + ec.message());
    if (size > kMaxCaseFileBytes)
        throw UsageError(file.string() + ": " + std::to_string(size) + " bytes; a case file is at most " +
                         std::to_string(kMaxCaseFileBytes / 1024) + " KiB");
    std::string text;
    try {
        text = readFile(file);
    } catch (const std::exception&) {
        throw UsageError(file.string() + ": cannot read");
    }
    return parseCaseText(text, file, name, names);
}

Case parseCaseText(const std::string& text, const fs::path& file, const std::string& name, const CaseNames* names) {
    // yaml-cpp reports conversion problems (a list where a word belongs) as
    // exceptions carrying the position: they become file:line errors too.
    try {
        return parseCaseNodes(text, file, name, names);
    } catch (const YAML::Exception& e) {
        throw UsageError(file.string() + ":" + std::to_string(e.mark.line >= 0 ? e.mark.line + 1 : 1) + ": " + e.msg);
    }
}

namespace {
// `vars: {NAME: default}`; a null default must come from `run --var NAME=VALUE`.
std::map<std::string, std::string> parseVars(const Parser& p, const YAML::Node& v, const CaseNames* names) {
    if (!v.IsMap())
        p.fail(v, "'vars' maps NAME: default value (~ for none: then run --var NAME=VALUE gives it)");
    std::map<std::string, std::string> out;
    for (const auto& kv : v) {
        std::string name = p.keyOf(kv.first);
        if (!isVarName(name))
            p.fail(kv.first, "variable name '" + name + "' is not a NAME (letters, digits, _)");
        if (names && names->vars.count(name)) {
            out[name] = names->vars.at(name);
        } else if (kv.second.IsNull() && names && names->unsetVarsOk) {
            out[name] = "<" + name + ">";
        } else if (kv.second.IsNull()) {
            p.fail(kv.first, "variable " + name + " has no value: give run --var " + name + "=VALUE");
        } else {
            if (!kv.second.IsScalar())
                p.fail(kv.second, "variable " + name + ": a default is a single value");
            out[name] = kv.second.as<std::string>();
        }
    }
    return out;
}

// `expect-crash:` a kind the console classifier reports (check/crash.h).
std::string expectedCrash(const Parser& p, const YAML::Node& v) {
    std::string kind = p.scalar(v, "expect-crash");
    const auto& kinds = check::crashKinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
        std::string known;
        for (const auto& k : kinds)
            known += (known.empty() ? "" : ", ") + k;
        p.fail(v, "unknown crash kind '" + kind + "' in 'expect-crash' (" + known + ")");
    }
    return kind;
}

// `files: {host path (relative to the case file): guest path}`.
std::vector<CaseFile> parseFiles(const Parser& p, const YAML::Node& v, bool listing) {
    if (!v.IsMap())
        p.fail(v, "'files' maps a host path (relative to the case file) to a guest path");
    std::vector<CaseFile> out;
    for (const auto& kv : v) {
        CaseFile f;
        f.line = kv.first.Mark().line + 1;
        std::string host = p.scalar(kv.first, "files");
        f.guest = p.scalar(kv.second, "files");
        f.host = fs::path(host).is_absolute() ? fs::path(host) : p.file.parent_path() / host;
        if (f.guest.empty() || f.guest[0] != '/')
            p.fail(kv.second, "files: the guest path '" + f.guest + "' must be absolute");
        if (f.guest.find_first_of("'\n") != std::string::npos)  // the runner quotes it for mkdir -p
            p.fail(kv.second, "files: the guest path may not hold a quote or a newline");
        std::error_code ec;
        if (!listing && !fs::is_regular_file(f.host, ec))  // `list` may hold a var without value
            p.fail(kv.first, "files: no such host file '" + host + "' (" + f.host.string() + ")");
        out.push_back(std::move(f));
    }
    return out;
}

Case parseCaseNodes(const std::string& text, const fs::path& file, const std::string& name, const CaseNames* names) {
    Parser p{file, names};
    YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
        throw UsageError(file.string() + ":1: a case file is a mapping with title, seeds and steps");
    Case c;
    c.file = file;
    c.name = name;
    // vars: first, wherever it stands: every other value may use them.
    for (const auto& kv : root)
        if (p.keyOf(kv.first) == "vars")
            c.vars = parseVars(p, kv.second, names);
    p.vars = &c.vars;
    for (const auto& kv : root) {
        std::string key = p.keyOf(kv.first);
        const YAML::Node& v = kv.second;
        if (key == "vars")
            continue;
        if (key == "files")
            c.files = parseFiles(p, v, names && names->unsetVarsOk);
        else if (key == "title")
            c.title = p.scalar(v, key);
        else if (key == "compare")
            c.compare = p.scalar(v, key);
        else if (key == "seeds" || key == "seed")
            c.seeds = p.strings(v, key);
        else if (key == "expect-crash")
            c.expectCrash = expectedCrash(p, v);
        else if (key == "log")
            c.log = p.expectations(v);
        else if (key == "requires") {
            if (!v.IsMap())
                p.fail(v, "'requires' takes arch:, kernel-min: and kernel-has:");
            for (const auto& r : v) {
                std::string rk = p.keyOf(r.first);
                if (rk == "arch") {
                    std::string list;
                    for (const auto& a : p.strings(r.second, rk))
                        list += (list.empty() ? "" : ", ") + a;
                    c.arches = p.value(r.second, {Kind::Arches}, list, "requires: arch").arches;
                } else if (rk == "kernel-min") {
                    c.kernelMin = p.value(r.second, {Kind::KernelVersion}, p.scalar(r.second, rk), rk).text;
                } else if (rk == "kernel-has") {
                    for (const auto& f : p.strings(r.second, rk)) {
                        if (!image::findKernelFeature(f)) {
                            std::string known;
                            for (const auto& k : image::kernelFeatureTable())
                                known += (known.empty() ? "" : ", ") + k.name;
                            p.fail(r.second, "unknown kernel feature '" + f + "' (" + known + ")");
                        }
                        c.kernelHas.push_back(f);
                    }
                } else
                    p.fail(r.first, "unknown requirement '" + rk + "' (arch, kernel-min, kernel-has)");
            }
        } else if (key == "machine") {
            // The case's own guest (cases/README.md): the run plan gives it a
            // config of its own, so its snapshot is never another machine's.
            if (!v.IsMap() || v.size() == 0)
                p.fail(v.IsNull() ? kv.first : v, "'machine' takes cpus: and/or memory: (MiB)");
            for (const auto& m : v) {
                std::string mk = p.keyOf(m.first);
                if (mk == "cpus")
                    c.cpus = p.number(m.second, mk, 1, 64);
                else if (mk == "memory")
                    c.memory = p.number(m.second, mk, 128, 65536);
                else
                    p.fail(m.first, "unknown machine key '" + mk + "' (cpus, memory)");
            }
        } else if (key == "steps") {
            if (!v.IsSequence() || v.size() == 0)
                p.fail(v, "'steps' must be a non-empty list");
            for (const auto& s : v)
                c.steps.push_back(p.step(s));
        } else {
            p.fail(kv.first, "unknown key '" + key + "' (title, seeds, compare, requires, machine, expect-crash, vars, files, steps, log)");
        }
    }
    if (c.title.empty())
        throw UsageError(file.string() + ":1: the case has no title");
    if (c.steps.empty())
        throw UsageError(file.string() + ":1: the case has no steps");
    return c;
}
}  // namespace

std::vector<Case> loadCases(const std::vector<std::string>& paths, const CaseNames& names) {
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
            out.push_back(parseCase(path, name, &names));
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
            out.push_back(parseCase(f, name, &names));
        }
    }
    return out;
}

}  // namespace klp::cases
