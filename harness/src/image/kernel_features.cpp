#include "image/kernel_features.h"

#include <regex>

#include "util/files.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

struct Probe {
    KernelFeature feature;
    std::regex in;  // found in include/linux/livepatch.h
};

const std::vector<Probe>& probes() {
    static const std::vector<Probe> table = {
        {{"state-version", "today's states API: struct klp_state has a version (and data)"},
         std::regex(R"(struct klp_state \{[^}]*\bversion;)")},
        {{"state-callbacks", "the proposed states API: per-state callbacks, is_shadow, block_disable "
                             "(the series \"livepatch: Better integrate callbacks and shadow variables with the "
                             "states API\")"},
         std::regex(R"(struct klp_state_callbacks \{)")},
        // The member, not the struct: 7.2 defines the struct in livepatch_external.h.
        {{"object-callbacks", "per-object callbacks (struct klp_callbacks in struct klp_object)"},
         std::regex(R"(struct klp_callbacks callbacks;)")},
    };
    return table;
}

// include/linux/livepatch.h of a build tree, or of the -common tree a Debian
// headers package's Makefile includes.
std::optional<fs::path> livepatchHeader(const fs::path& headers) {
    if (headers.empty())
        return std::nullopt;
    fs::path own = headers / "include" / "linux" / "livepatch.h";
    if (fs::is_regular_file(own))
        return own;
    std::error_code ec;
    if (!fs::is_regular_file(headers / "Makefile", ec))
        return std::nullopt;
    static const std::regex include(R"(^include (\S+)/Makefile\s*$)", std::regex::multiline);
    std::smatch m;
    const std::string makefile = readFile(headers / "Makefile");
    if (!std::regex_search(makefile, m, include))
        return std::nullopt;
    fs::path common = fs::path(m[1].str()) / "include" / "linux" / "livepatch.h";
    return fs::is_regular_file(common, ec) ? std::optional<fs::path>(common) : std::nullopt;
}

}  // namespace

const std::vector<KernelFeature>& kernelFeatureTable() {
    static const std::vector<KernelFeature> table = [] {
        std::vector<KernelFeature> t;
        for (const auto& p : probes())
            t.push_back(p.feature);
        return t;
    }();
    return table;
}

const KernelFeature* findKernelFeature(const std::string& name) {
    for (const auto& f : kernelFeatureTable())
        if (f.name == name)
            return &f;
    return nullptr;
}

std::set<std::string> featuresOfLivepatchHeader(const std::string& text) {
    std::set<std::string> found;
    for (const auto& p : probes())
        if (std::regex_search(text, p.in))
            found.insert(p.feature.name);
    return found;
}

std::optional<std::set<std::string>> kernelFeatures(const KernelImage& kernel) {
    auto header = livepatchHeader(kernel.headersDir);
    if (!header)
        return std::nullopt;
    return featuresOfLivepatchHeader(readFile(*header));
}

}  // namespace klp::image
