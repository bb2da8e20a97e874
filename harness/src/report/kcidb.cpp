#include "report/kcidb.h"

#include <map>
#include <regex>
#include <vector>

#include "report/writers.h"
#include "util/error.h"
#include "util/files.h"

namespace klp::report {
namespace fs = std::filesystem;

namespace {

// Ids are "<origin>:<hash>": the same results.json always gives the same ids, so
// submitting an export twice updates the objects instead of duplicating them.
std::string idOf(const std::string& origin, const KeyHasher& h) { return origin + ":" + h.hex().substr(0, 16); }

// A path relative to the run dir as a URL path: unreserved bytes and '/' stay,
// everything else is percent-encoded (case names and kernels are free text).
std::string urlPath(const std::string& rel) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : rel) {
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
            out += static_cast<char>(c);
        else
            out += std::string("%") + hex[c >> 4] + hex[c & 15];
    }
    return out;
}

// The first `max` characters of UTF-8 text (the schema bounds log_excerpt in
// characters), never cutting one in half: the JSON writer refuses broken UTF-8.
std::string firstChars(const std::string& s, size_t max) {
    size_t chars = 0;
    for (size_t i = 0; i < s.size(); i++)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++chars > max)
            return s.substr(0, i);
    return s;
}

// "state/new-state-allowed" -> "livepatch.state.new-state-allowed"; KCIDB paths
// allow only [.a-zA-Z0-9_-], so anything else becomes '_'.
std::string testPath(const std::string& caseName) {
    std::string p = "livepatch." + caseName;
    for (char& c : p)
        if (c == '/')
            c = '.';
        else if (!isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
            c = '_';
    return p;
}

// Harness verdict -> KCIDB status. KCIDB's ERROR means "the test's own code
// failed, the tested code's status is unknown"; our ERROR is mostly a kernel
// crash on the console (a crash title), which says the tested code is faulty:
// FAIL. An ERROR without a crash (the guest vanished) stays ERROR. FLAKY has no
// KCIDB status: it is FAIL (a livepatch that breaks one time in five is broken;
// "waived" would hide it), with the counts and attempts in misc. A verdict this
// version does not know is MISS: nothing can be said about the code.
std::string kcidbStatus(const Json& r) {
    std::string v = r["verdict"];
    if (v == "PASS" || v == "FAIL" || v == "SKIP" || v == "MISS")
        return v;
    if (v == "ERROR")
        return r.value("crash", "").empty() ? "ERROR" : "FAIL";
    return v == "FLAKY" ? "FAIL" : "MISS";
}

struct Exporter {
    Exporter(const Json& d, const KcidbOptions& opts) : doc(d), o(opts) {}
    const Json& doc;
    const KcidbOptions& o;
    Json out = {{"version", {{"major", kKcidbMajor}, {"minor", kKcidbMinor}}},
                {"checkouts", Json::array()}, {"builds", Json::array()}, {"tests", Json::array()}};
    std::map<std::string, std::string> checkoutIds;  // kernel name -> id
    std::map<std::string, std::string> buildIds;     // group -> id

    std::string url(const std::string& rel) const { return o.logBase + "/" + urlPath(rel); }

    // One checkout per kernel: what the run tested, the same on every arch.
    const std::string& checkout(const std::string& kernel) {
        auto it = checkoutIds.find(kernel);
        if (it != checkoutIds.end())
            return it->second;
        const Json& run = doc["run"];
        std::string id = idOf(o.origin, KeyHasher()
                                            .add("run", run.value("started", ""))
                                            .add("host", run.value("host", ""))
                                            .add("kernel", kernel));
        Json c = {{"id", id}, {"origin", o.origin}, {"comment", "kernel " + kernel}, {"valid", true},
                  {"misc", {{"kernel", kernel}}}};
        if (!run.value("started", "").empty())
            c["start_time"] = run["started"];
        out["checkouts"].push_back(c);
        return checkoutIds[kernel] = id;
    }

    // One build per (arch, kernel): the kernel image the guests booted.
    void build(const std::string& arch, const std::string& kernel, const Json* k) {
        std::string group = arch + "/" + kernel;
        if (buildIds.count(group))
            return;
        const std::string& checkoutId = checkout(kernel);
        std::string id = idOf(o.origin, KeyHasher().add("checkout", checkoutId).add("arch", arch));
        Json b = {{"id", id}, {"checkout_id", checkoutId}, {"origin", o.origin}, {"valid", true},
                  {"misc", {{"kernel", kernel}}}};
        if (std::regex_match(arch, std::regex("[a-z0-9_]*")))
            b["architecture"] = arch;
        // The config is the recipe the kernel name stands for (Debian's flavour,
        // or our images/config fragments) unless the run recorded one.
        b["config_name"] = k ? k->value("config", kernel) : kernel;
        if (k && !k->value("compiler", "").empty())
            b["compiler"] = (*k)["compiler"];
        if (k) {
            std::string release = k->value("release", ""), version = k->value("version", "");
            b["comment"] = release + (version.empty() ? "" : " (" + version + ")");
            b["misc"]["release"] = release;
            b["misc"]["version"] = version;
        }
        out["builds"].push_back(b);
        buildIds[group] = id;
    }

    Json environment() const {
        const Json& run = doc["run"];
        Json misc = Json::object();
        for (const char* key : {"host", "qemu", "backend"})
            if (!run.value(key, "").empty())
                misc[key] = run[key];
        return {{"comment", "QEMU guest" + (run.value("host", "").empty() ? "" : " on " + run.value("host", ""))},
                {"misc", misc}};
    }

    void test(const Json& r, int occurrence) {
        std::string arch = r.value("arch", ""), kernel = r.value("kernel", ""), name = r["case"];
        build(arch, kernel, nullptr);
        const std::string& buildId = buildIds[arch + "/" + kernel];
        Json t = {{"id", idOf(o.origin, KeyHasher().add("build", buildId).add("case", name).add(
                                             "occurrence", std::to_string(occurrence)))},
                  {"build_id", buildId},
                  {"origin", o.origin},
                  {"path", testPath(name)},
                  {"status", kcidbStatus(r)},
                  {"comment", r.value("title", "").empty() ? name : r.value("title", "")},
                  {"environment", environment()}};
        if (r.contains("seconds"))
            t["duration"] = r["seconds"];
        if (!r.value("started", "").empty())
            t["start_time"] = r["started"];
        std::string v = r["verdict"];
        std::string excerpt = r.value("reason", "");
        if (!r.value("detail", "").empty())
            excerpt += (excerpt.empty() ? "" : "\n") + r.value("detail", "");
        if (v != "PASS" && v != "SKIP" && !excerpt.empty())
            t["log_excerpt"] = firstChars(excerpt, 16384);
        logs(r, t);
        t["misc"] = misc(r);
        out["tests"].push_back(t);
    }

    // steps.log (the case's own account) is the log; the kernel log, console and
    // transitions are further outputs. Only with a base URL to put them under.
    void logs(const Json& r, Json& t) const {
        if (o.logBase.empty())
            return;
        Json files = Json::array();
        for (const char* kind : {"steps", "kernel", "console", "transitions"}) {
            std::string rel = r["logs"].value(kind, "");
            std::string file = fs::path(rel).filename().string();
            if (rel.empty() || file.empty())
                continue;
            if (!t.contains("log_url"))
                t["log_url"] = url(rel);
            else
                files.push_back({{"name", file}, {"url", url(rel)}});
        }
        if (!files.empty())
            t["output_files"] = files;
    }

    // What KCIDB has no field for: our verdict and why, how the guest came up,
    // and a repeated result's counts and attempts.
    Json misc(const Json& r) const {
        Json m = {{"verdict", r["verdict"]}};
        for (const char* key : {"reason", "crash", "file", "boot"})
            if (!r.value(key, "").empty())
                m[key] = r[key];
        for (const char* key : {"boot_seconds", "repeat"})
            if (r.contains(key))
                m[key] = r[key];
        if (r["verdict"] == "FLAKY")
            m["flaky"] = true;
        if (r.contains("attempts")) {
            m["attempts"] = r["attempts"];
            for (auto& a : m["attempts"])
                if (!o.logBase.empty() && !a.value("logs", "").empty())
                    a["logs_url"] = url(a["logs"]) + "/";
        }
        return m;
    }
};

}  // namespace

Json toKcidb(const Json& doc, const KcidbOptions& o) {
    if (!std::regex_match(o.origin, std::regex("[a-z0-9_]+")))
        throw UsageError("--kcidb-origin '" + o.origin + "': a KCIDB origin is lower-case letters, digits and '_'");
    KcidbOptions opts = o;
    while (!opts.logBase.empty() && opts.logBase.back() == '/')
        opts.logBase.pop_back();
    if (!o.logBase.empty() && !std::regex_match(opts.logBase, std::regex("[A-Za-z][A-Za-z0-9+.-]*://[!-~]+")))
        throw UsageError("--kcidb-log-base '" + o.logBase + "': not a URL (e.g. https://ci.example.org/klp/run-42)");
    Exporter e(doc, opts);
    for (const auto& k : doc["kernels"])
        e.build(k["arch"], k["name"], &k);
    std::map<std::string, int> seen;  // a result listed twice still gets ids of its own
    for (const auto& r : doc["results"])
        e.test(r, seen[groupOf(r) + " " + std::string(r["case"])]++);
    return e.out;
}

size_t writeKcidb(const fs::path& runDir, const fs::path& file, const KcidbOptions& o) {
    Json k = toKcidb(readResults(runDir), o);
    writeFile(file, k.dump(2) + "\n");
    return k["tests"].size();
}

}  // namespace klp::report
