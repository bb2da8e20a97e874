// results.json is read back by `klp-harness report` and `diff`, and may be hand-
// edited, truncated or from another version. Any text must either be refused by
// parseResults with a UsageError naming the file, or render through every writer;
// another exception escaping (a json type_error, say) or a crash is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "report/kcidb.h"
#include "report/results.h"
#include "report/writers.h"
#include "util/error.h"

namespace {

// junit reads each case's kernel log from the run dir: an empty dir of our own,
// so it is exercised without reading whatever files the input names. A plain
// array: still valid in the atexit handler that removes the dir.
char runDir[4096] = "/tmp/klp-fuzz-results.XXXXXX";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* tmp = std::getenv("TMPDIR"); tmp && std::strlen(tmp) < sizeof runDir - 30)
        std::snprintf(runDir, sizeof runDir, "%s/klp-fuzz-results.XXXXXX", tmp);
    if (!mkdtemp(runDir))
        std::abort();
    std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(runDir, ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    klp::report::Json doc;
    try {
        doc = klp::report::parseResults(text, "fuzz/results.json");
    } catch (const klp::UsageError&) {
        return 0;  // refused, with a message naming the file
    }
    klp::report::toKtap(doc);
    klp::report::toJunit(doc, runDir);
    klp::report::toHtml(doc);
    klp::report::crossArchView(doc);
    klp::report::diffRuns(doc, doc, 0.5, 2.0);
    klp::report::KcidbOptions kcidb;
    kcidb.logBase = "https://ci.example.org/run";
    klp::report::toKcidb(doc, kcidb).dump();  // dump: refuses broken UTF-8 by throwing
    return 0;
}
