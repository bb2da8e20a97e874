// results.json: the source of truth of a run. Written after every case (atomically),
// so an interrupted run leaves a valid file holding every finished case. Every
// other report is rendered from it alone.
#pragma once
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cases/case_file.h"
#include "cases/runner.h"
#include "image/kernels.h"

namespace klp::report {

using Json = nlohmann::json;

// One case result as JSON; log paths relative to `outDir`.
Json caseJson(const cases::Case& c, const cases::CaseResult& r, const std::filesystem::path& outDir);

class ResultsFile {
public:
    // Starts <outDir>/results.json with the run's metadata.
    ResultsFile(std::filesystem::path outDir, Json meta);
    void addKernel(const image::KernelImage& k);
    void add(Json caseResult);  // appends and rewrites the file
    void finish();              // records the end time
    void setRun(const std::string& key, Json value);  // a run metadata entry known late (run.accel)
    const Json& doc() const { return doc_; }

private:
    void write();
    std::filesystem::path path_;
    Json doc_;
    std::mutex mutex_;
};

// results.json text, checked to have every key the report writers read, with the
// right types; `name` (the file) starts every error. Throws UsageError, one line:
// "<name>: not valid JSON: ..." or "<name>: results[2].steps[0].line: must be ...".
Json parseResults(std::string_view text, const std::string& name);

// <dir>/results.json (or the file itself) through parseResults.
Json readResults(const std::filesystem::path& dir);  // throws UsageError naming the file

// Run metadata: harness version, host, QEMU and libvirt versions, start time.
Json runMetadata(const std::string& backendDescription);

}  // namespace klp::report
