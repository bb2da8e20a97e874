#include "report/results.h"

#include <unistd.h>

#include <ctime>

#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

namespace klp::report {
namespace fs = std::filesystem;

namespace {
std::string isoNow() {
    char buf[32];
    std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}
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
    return {{"case", r.name},          {"title", c.title},        {"seeds", c.seeds},
            {"file", c.file.string()}, {"arch", r.arch},          {"kernel", r.kernel},
            {"verdict", cases::verdictName(r.verdict)},           {"reason", r.reason},
            {"detail", r.detail},      {"crash", r.crashTitle},   {"seconds", r.seconds},
            {"steps", steps},          {"transitions", transitions},
            {"logs", {{"console", rel("console.log")}, {"kernel", rel("kernel.log")},
                      {"steps", rel("steps.log")}, {"transitions", rel("transitions.log")}}}};
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

void ResultsFile::write() { writeFile(path_, doc_.dump(2) + "\n"); }

Json readResults(const fs::path& dir) {
    fs::path p = fs::is_directory(dir) ? dir / "results.json" : dir;
    if (!fs::exists(p))
        throw UsageError(p.string() + ": no such file (give a run's output dir)");
    try {
        return Json::parse(readFile(p));
    } catch (const Json::parse_error& e) {
        throw UsageError(p.string() + ": not valid JSON: " + e.what());
    }
}

}  // namespace klp::report
