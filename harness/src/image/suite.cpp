#include "image/suite.h"

#include <chrono>
#include <cstdlib>
#include <regex>

#include "image/apt.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {
// Lists older than this are fetched again: a suite like sid moves daily.
constexpr auto kListsMaxAge = std::chrono::hours(24);

}  // namespace

std::string debianMirror() {
    const char* m = std::getenv("KLP_DEBIAN_MIRROR");
    return m && *m ? m : "http://deb.debian.org/debian";
}

Suite::Suite(std::string name, Cache& cache) : name_(std::move(name)), cache_(cache) {
    if (!std::regex_match(name_, std::regex(R"([a-z][a-z0-9-]*)")))
        throw UsageError("not a Debian suite name: '" + name_ + "'");
    dir_ = cache_.dir() / "apt-suites" / name_;
    fs::create_directories(dir_ / "lists" / "partial");
    fs::create_directories(dir_ / "cache" / "archives" / "partial");
    fs::create_directories(dir_ / "preferences.d");
    // Security updates of stable suites live in another archive; the mirror's
    // suite is what the harness fetches kernels and QEMU from.
    writeFile(dir_ / "sources.list", "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " +
                                         debianMirror() + " " + name_ + " main\n");
    const std::string d = dir_.string();
    writeFile(dir_ / "apt.conf", "Dir::Etc::sourcelist \"" + d + "/sources.list\";\n"
                                 "Dir::Etc::sourceparts \"-\";\n"
                                 "Dir::Etc::preferencesparts \"" + d + "/preferences.d\";\n"
                                 "Dir::State::Lists \"" + d + "/lists\";\n"
                                 "Dir::Cache \"" + d + "/cache\";\n"
                                 "APT::Get::List-Cleanup \"false\";\n"
                                 "APT::Sandbox::User \"root\";\n");
}

void Suite::refresh() {
    if (fresh_)
        return;
    FileLock lock(dir_ / "lock");
    const fs::path stamp = dir_ / "updated";
    std::error_code ec;
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(stamp, ec);
    if (ec || age > kListsMaxAge) {
        requireTool("apt-get", "apt");
        progress("fetching the package lists of Debian " + name_ + " (" + debianMirror() + ")");
        try {
            runChecked({"env", "APT_CONFIG=" + (dir_ / "apt.conf").string(), "apt-get", "-q", "update"},
                       dir_ / "update.log", {}, std::chrono::minutes(10));
        } catch (const HarnessError& e) {
            throw HarnessError("cannot fetch Debian " + name_ + "'s package lists from " + debianMirror() + ": " +
                               e.what());
        }
        writeFile(stamp, "");
    }
    fresh_ = true;
}

std::string Suite::aptConfigEnv() {
    refresh();
    return "APT_CONFIG=" + (dir_ / "apt.conf").string();
}

std::string Suite::aptCache(const std::vector<std::string>& args) {
    refresh();
    KeyHasher key;
    key.add("suite", name_).add("updated", std::to_string(fs::last_write_time(dir_ / "updated").time_since_epoch().count()));
    return aptCacheMemo({"APT_CONFIG=" + (dir_ / "apt.conf").string()}, key, args, cache_);
}

std::string Suite::candidate(const std::string& package) {
    // madison lists what the suite's lists offer, newest first; `policy` would also
    // weigh the host's installed version in.
    for (const auto& [pkg, version] : madisonRows(aptCache({"madison", package})))
        if (pkg == package)
            return version;
    return "";
}

}  // namespace klp::image
