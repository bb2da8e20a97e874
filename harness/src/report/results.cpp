#include "report/results.h"

#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <initializer_list>

#include "util/clock.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

namespace klp::report {
namespace fs = std::filesystem;

namespace {
std::string isoNow() { return nowText(); }
}  // namespace

Json runMetadata(const std::string& backend) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    std::string qemu = runProcess({"qemu-system-x86_64", "--version"}, "/dev/null").output;
    qemu = qemu.substr(0, qemu.find('\n'));
    return {{"harness", {{"name", "klp-harness"}, {"version", KLP_HARNESS_VERSION}}},
            {"host", host},
            {"qemu", qemu},
            {"backend", backend},
            {"started", isoNow()}};
}

Json caseJson(const cases::Case& c, const cases::CaseResult& r, const fs::path& outDir) {
    Json steps = Json::array();
    for (const auto& s : r.steps) {
        Json subtests = Json::array();
        for (const auto& [name, ok] : s.subtests)
            subtests.push_back({{"name", name}, {"ok", ok}});
        steps.push_back({{"line", s.line}, {"verb", s.verb}, {"arg", s.arg}, {"status", s.status},
                         {"message", s.message}, {"seconds", s.seconds}, {"subtests", subtests}});
    }
    Json transitions = Json::array();
    for (const auto& t : r.transitions) {
        Json blockers = Json::array();
        for (const auto& b : t.blockers)
            blockers.push_back({{"pid", b.pid}, {"comm", b.comm}, {"function", b.function},
                                {"seen_ms", b.seenMs}, {"switch_ms", b.switchMs}, {"held_ms", t.heldMs(b)}});
        transitions.push_back({{"patch", t.patch}, {"direction", t.direction}, {"final_direction", t.finalDirection},
                               {"start_ms", t.startMs}, {"end_ms", t.endMs}, {"reversals", t.reversals},
                               {"blockers", blockers}, {"summary", t.describe()}});
    }
    auto rel = [&](const char* f) {
        fs::path p = r.dir / f;
        return fs::exists(p) ? fs::relative(p, outDir).string() : std::string();
    };
    Json out = {{"case", r.name},          {"title", c.title},        {"seeds", c.seeds},
            {"file", c.file.string()}, {"arch", r.arch},          {"kernel", r.kernel},
            {"verdict", cases::verdictName(r.verdict)},           {"reason", r.reason},
            {"detail", r.detail},      {"crash", r.crashTitle},   {"seconds", r.seconds},
            {"steps", steps},          {"transitions", transitions},
            {"logs", {{"console", rel("console.log")}, {"kernel", rel("kernel.log")},
                      {"steps", rel("steps.log")}, {"transitions", rel("transitions.log")}}}};
    if (!c.compare.empty())
        out["compare"] = c.compare;
    return out;
}

ResultsFile::ResultsFile(fs::path outDir, Json meta) : path_(outDir / "results.json") {
    doc_ = {{"version", 1}, {"run", std::move(meta)}, {"kernels", Json::array()}, {"results", Json::array()}};
    write();
}

void ResultsFile::addKernel(const image::KernelImage& k) {
    std::lock_guard lock(mutex_);
    doc_["kernels"].push_back({{"arch", k.arch}, {"name", k.name}, {"release", k.release}, {"version", k.version}});
    write();
}

void ResultsFile::add(Json r) {
    std::lock_guard lock(mutex_);
    doc_["results"].push_back(std::move(r));
    write();
}

void ResultsFile::finish() {
    std::lock_guard lock(mutex_);
    doc_["run"]["finished"] = isoNow();
    write();
}

void ResultsFile::setRun(const std::string& key, Json value) {
    std::lock_guard lock(mutex_);
    doc_["run"][key] = std::move(value);
    write();
}

void ResultsFile::write() { writeFile(path_, doc_.dump(2) + "\n"); }

namespace {

// The shape of results.json as the writers read it. They index with [] and
// convert without asking, so a hand-edited or foreign file is checked here once:
// one line naming the file and the bad value beats a json type_error (or worse,
// a const [] on a missing key) deep inside a writer.
enum class Kind { String, Number, Integer, Boolean, Object, Array };

struct Field {
    const char* key;
    Kind kind;
    bool required;
};

const char* kindName(Kind k) {
    switch (k) {
    case Kind::String: return "a string";
    case Kind::Number: return "a number";
    case Kind::Integer: return "an integer";
    case Kind::Boolean: return "true or false";
    case Kind::Object: return "an object";
    case Kind::Array: return "an array";
    }
    return "?";
}

bool isKind(const Json& v, Kind k) {
    switch (k) {
    case Kind::String: return v.is_string();
    // Finite: timelines scale by these; an int must fit (line numbers, pids).
    case Kind::Number: return v.is_number() && std::isfinite(v.get<double>());
    case Kind::Integer:
        return v.is_number_unsigned() ? v.get<std::uint64_t>() <= std::uint64_t(INT_MAX)
               : v.is_number_integer() ? v.get<std::int64_t>() >= INT_MIN && v.get<std::int64_t>() <= INT_MAX
                                       : false;
    case Kind::Boolean: return v.is_boolean();
    case Kind::Object: return v.is_object();
    case Kind::Array: return v.is_array();
    }
    return false;
}

class ShapeCheck {
public:
    explicit ShapeCheck(std::string file) : file_(std::move(file)) {}

    // `v` (found at `where`) is an object whose `fields` have their kinds.
    void object(const Json& v, const std::string& where, std::initializer_list<Field> fields) const {
        if (!v.is_object())
            fail(where, "must be an object");
        for (const Field& f : fields) {
            auto it = v.find(f.key);
            if (it == v.end()) {
                if (f.required)
                    fail(where, std::string("has no \"") + f.key + "\"");
                continue;
            }
            if (!isKind(*it, f.kind))
                fail(join(where, f.key), std::string("must be ") + kindName(f.kind));
        }
    }

    // Calls each(item, where) for every item of the array v[key].
    template <class F>
    void items(const Json& v, const char* key, const std::string& where, F each) const {
        const Json& a = v.at(key);  // object() checked it is there and an array
        for (size_t i = 0; i < a.size(); i++)
            each(a[i], join(where, key) + "[" + std::to_string(i) + "]");
    }

    [[noreturn]] void fail(const std::string& where, const std::string& what) const {
        throw UsageError(file_ + ": " + (where.empty() ? "the document" : where) + " " + what);
    }

private:
    static std::string join(const std::string& where, const char* key) { return where.empty() ? key : where + "." + key; }
    std::string file_;
};

// `run --repeat N`: {"runs": N, "counts": {"PASS": 3, ...}} and one entry per attempt.
void checkRepeat(const ShapeCheck& c, const Json& r, const std::string& where) {
    using K = Kind;
    if (r.contains("repeat")) {
        const Json& rep = r["repeat"];
        c.object(rep, where + ".repeat", {{"runs", K::Integer, true}, {"counts", K::Object, true}});
        if (rep["runs"].get<int>() < 1)
            c.fail(where + ".repeat.runs", "must be at least 1");
        for (const auto& [verdict, n] : rep["counts"].items())
            if (!isKind(n, K::Integer) || n.get<int>() < 0)
                c.fail(where + ".repeat.counts." + verdict, "must be a count (an integer >= 0)");
    }
    if (r.contains("attempts"))
        c.items(r, "attempts", where, [&](const Json& a, const std::string& at) {
            c.object(a, at,
                     {{"verdict", K::String, true}, {"reason", K::String, false}, {"seconds", K::Number, false},
                      {"logs", K::String, false}, {"boot", K::String, false}, {"boot_seconds", K::Number, false},
                      {"host", K::String, false}});
        });
}

void checkShape(const Json& doc, const std::string& file) {
    using K = Kind;
    ShapeCheck c(file);
    c.object(doc, "", {{"run", K::Object, true}, {"kernels", K::Array, true}, {"results", K::Array, true}});
    c.object(doc["run"], "run",
             {{"harness", K::Object, true}, {"host", K::String, false}, {"qemu", K::String, false},
              {"backend", K::String, false}, {"started", K::String, false}, {"finished", K::String, false},
              {"shard", K::String, false}, {"merged_from", K::Array, false},
              {"accel", K::Object, false}, {"emulators", K::Object, false}});
    // shard: run --shard I/N; merged_from: `merge`; accel: {"ARCH/KERNEL": {"used": "tcg", "why": ...}};
    // emulators: {"ARCH": "QEMU's --version line (why that one)"}
    c.object(doc["run"]["harness"], "run.harness", {{"name", K::String, false}, {"version", K::String, false}});
    if (doc["run"].contains("merged_from"))
        c.items(doc["run"], "merged_from", "run", [&](const Json& d, const std::string& at) {
            if (!d.is_string())
                c.fail(at, "must be a string");
        });
    c.items(doc, "kernels", "", [&](const Json& k, const std::string& where) {
        c.object(k, where,
                 {{"arch", K::String, true}, {"name", K::String, true}, {"release", K::String, false},
                  {"version", K::String, false}, {"config", K::String, false}, {"compiler", K::String, false}});
    });
    c.items(doc, "results", "", [&](const Json& r, const std::string& where) {
        c.object(r, where,
                 {{"case", K::String, true}, {"verdict", K::String, true}, {"arch", K::String, false},
                  {"kernel", K::String, false}, {"file", K::String, false}, {"title", K::String, false},
                  {"reason", K::String, false}, {"detail", K::String, false}, {"crash", K::String, false},
                  {"seconds", K::Number, false}, {"seeds", K::Array, true}, {"steps", K::Array, true},
                  {"transitions", K::Array, true}, {"logs", K::Object, true},
                  // Newer runs: how the guest came up, when the case started, its
                  // place in the unsharded matrix, and the attempts of `--repeat`.
                  {"boot", K::String, false}, {"boot_seconds", K::Number, false}, {"started", K::String, false},
                  {"order", K::Integer, false}, {"host", K::String, false}, {"repeat", K::Object, false}, {"attempts", K::Array, false},
                  {"repro", K::String, false}, {"compare", K::String, false}});
        checkRepeat(c, r, where);
        c.items(r, "seeds", where, [&](const Json& s, const std::string& at) {
            if (!s.is_string())
                c.fail(at, "must be a string");
        });
        c.items(r, "steps", where, [&](const Json& s, const std::string& at) {
            c.object(s, at,
                     {{"line", K::Integer, true}, {"verb", K::String, true}, {"arg", K::String, true},
                      {"status", K::String, true}, {"message", K::String, false}, {"seconds", K::Number, false},
                      {"subtests", K::Array, true}});
            c.items(s, "subtests", at, [&](const Json& sub, const std::string& sat) {
                c.object(sub, sat, {{"name", K::String, true}, {"ok", K::Boolean, true}});
            });
        });
        c.items(r, "transitions", where, [&](const Json& t, const std::string& at) {
            c.object(t, at,
                     {{"patch", K::String, true}, {"direction", K::String, true}, {"summary", K::String, true},
                      {"start_ms", K::Number, true}, {"end_ms", K::Number, true}, {"blockers", K::Array, true}});
            c.items(t, "blockers", at, [&](const Json& b, const std::string& bat) {
                c.object(b, bat,
                         {{"pid", K::Integer, true}, {"comm", K::String, true}, {"function", K::String, true},
                          {"switch_ms", K::Number, true}});
            });
        });
        c.object(r["logs"], where + ".logs",
                 {{"console", K::String, false}, {"kernel", K::String, false}, {"steps", K::String, false},
                  {"transitions", K::String, false}});
    });
}

}  // namespace

Json parseResults(std::string_view text, const std::string& name) {
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const Json::exception& e) {  // parse_error, and out_of_range for 1e999
        throw UsageError(name + ": not valid JSON: " + e.what());
    }
    checkShape(doc, name);
    return doc;
}

Json readResults(const fs::path& dir) {
    fs::path p = fs::is_directory(dir) ? dir / "results.json" : dir;
    if (!fs::exists(p))
        throw UsageError(p.string() + ": no such file (give a run's output dir)");
    std::string text;
    try {
        text = readFile(p);
    } catch (const std::exception&) {
        throw UsageError(p.string() + ": cannot read");
    }
    return parseResults(text, p.string());
}

}  // namespace klp::report
