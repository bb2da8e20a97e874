#include "cli/merge.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "report/results.h"
#include "report/writers.h"
#include "util/error.h"
#include "util/files.h"

namespace klp::cli {
namespace fs = std::filesystem;
using report::Json;

namespace {

struct Shard {
    std::string name;  // as given, for messages and merged_from
    fs::path root;
    Json doc;
};

// A path results.json names, only when it stays inside the run dir: a
// hand-edited "../../etc" must not be copied into the merged run.
bool insideRun(const fs::path& rel) {
    if (rel.empty() || rel.is_absolute())
        return false;
    return std::none_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; });
}

// A hard link when both sides are on one filesystem (no bytes copied: logs of a
// catalog run are large), else a copy.
void linkOrCopy(const fs::path& src, const fs::path& dst) {
    fs::create_directories(dst.parent_path());
    std::error_code ec;
    fs::remove(dst, ec);
    fs::create_hard_link(src, dst, ec);
    if (ec)
        fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
}

// A run's file, or folder (its regular files, recursively; links are not
// followed), to the same relative path under `to`. A log a case never wrote is
// simply not there.
void carry(const fs::path& from, const fs::path& to, const fs::path& rel) {
    std::error_code ec;
    fs::path src = from / rel;
    auto st = fs::symlink_status(src, ec);
    if (ec || fs::is_regular_file(st)) {
        if (!ec)
            linkOrCopy(src, to / rel);
        return;
    }
    if (!fs::is_directory(st))
        return;
    for (const auto& e : fs::recursive_directory_iterator(src))
        if (!e.is_symlink() && e.is_regular_file())
            linkOrCopy(e.path(), to / rel / fs::relative(e.path(), src));
}

// What a result's logs live in: each log's own folder (the case's dir, with
// stuck.txt and whatever else the case left there), and each attempt's dir.
std::set<fs::path> logPlaces(const Json& r) {
    std::set<fs::path> places;
    for (const auto& [kind, path] : r["logs"].items())
        if (path.is_string() && insideRun(path.get<std::string>())) {
            fs::path rel = path.get<std::string>();
            places.insert(rel.has_parent_path() ? rel.parent_path() : rel);
        }
    for (const auto& a : r.value("attempts", Json::array()))
        if (insideRun(a.value("logs", "")))
            places.insert(a.value("logs", ""));
    return places;
}

std::string unitOf(const Json& r) { return report::groupOf(r) + " " + std::string(r["case"]); }

// The run metadata of the merged run: the first shard's, spanning all of them.
Json mergedRun(const std::vector<Shard>& shards) {
    Json run = shards.front().doc["run"];
    Json from = Json::array();
    bool finished = true;
    for (const auto& s : shards) {
        from.push_back(s.name);
        const Json& r = s.doc["run"];
        // ISO 8601 UTC stamps of one format compare as text.
        if (r.contains("started") && (!run.contains("started") || r["started"] < run["started"]))
            run["started"] = r["started"];
        if (!r.contains("finished"))
            finished = false;  // one shard was interrupted: so is the whole run
        else if (!run.contains("finished") || r["finished"] > run["finished"])
            run["finished"] = r["finished"];
    }
    if (!finished)
        run.erase("finished");
    run.erase("shard");  // the merged run is the whole matrix, not the first shard
    run["merged_from"] = from;
    return run;
}

// Matrix order: the unsharded run's position ("order") when every result has
// it, else (arch, kernel) group by first appearance, then case name.
void sortResults(std::vector<Json>& results) {
    bool ordered = std::all_of(results.begin(), results.end(), [](const Json& r) { return r.contains("order"); });
    if (ordered) {
        std::stable_sort(results.begin(), results.end(),
                         [](const Json& a, const Json& b) { return a["order"].get<int>() < b["order"].get<int>(); });
        return;
    }
    std::map<std::string, size_t> group;
    for (const auto& r : results)
        group.emplace(report::groupOf(r), group.size());
    std::stable_sort(results.begin(), results.end(), [&](const Json& a, const Json& b) {
        size_t ga = group[report::groupOf(a)], gb = group[report::groupOf(b)];
        return ga != gb ? ga < gb : a["case"].get<std::string>() < b["case"].get<std::string>();
    });
}

}  // namespace

int mergeRuns(const std::vector<std::string>& dirs, const std::string& outDir) {
    if (dirs.empty())
        throw UsageError("merge: give the shard runs' output dirs");
    fs::path out = outDir;
    std::vector<Shard> shards;
    for (const auto& d : dirs) {
        fs::path root = fs::is_directory(d) ? fs::path(d) : fs::path(d).parent_path();
        std::error_code ec;
        if (fs::equivalent(root, out, ec))
            throw UsageError("merge: --out " + outDir + " is one of the runs merged (" + d + "); give a new dir");
        shards.push_back({d, root, report::readResults(d)});
    }
    Json kernels = Json::array(), run = mergedRun(shards);
    std::vector<Json> results;
    std::set<std::pair<std::string, std::string>> kernelSeen;
    std::map<std::string, std::string> ranIn;  // unit -> the dir that ran it
    for (const auto& s : shards) {
        for (const auto& k : s.doc["kernels"])
            if (kernelSeen.insert(std::pair<std::string, std::string>(k["arch"], k["name"])).second)
                kernels.push_back(k);
        for (const auto& r : s.doc["results"]) {
            auto [it, added] = ranIn.emplace(unitOf(r), s.name);
            if (!added)
                throw UsageError("merge: " + unitOf(r) + " is in both " + it->second + " and " + s.name +
                                 " (shards of one run never overlap)");
            results.push_back(r);
        }
    }
    fs::create_directories(out);
    for (const auto& s : shards)
        for (const auto& r : s.doc["results"])
            for (const auto& place : logPlaces(r))
                carry(s.root, out, place);
    sortResults(results);
    Json doc = shards.front().doc;
    doc["run"] = run;
    doc["kernels"] = kernels;
    doc["results"] = results;
    writeFile(out / "results.json", doc.dump(2) + "\n");
    report::renderAll(doc, out);
    std::printf("merged %zu results from %zu runs into %s/{results.json,results.ktap,junit.xml,report.html}\n",
                results.size(), shards.size(), out.c_str());
    return 0;
}

}  // namespace klp::cli
