#include "image/apt.h"

#include <sys/stat.h>

#include <regex>
#include <sstream>

#include "util/files.h"
#include "util/process.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {
std::string stamp(const char* path) {
    struct stat st {};
    if (stat(path, &st) != 0)
        return "-";
    return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
           std::to_string(st.st_size);
}
}  // namespace

std::string aptCache(const std::vector<std::string>& args, Cache& cache) {
    KeyHasher key;
    // apt-get update replaces files in lists/ (the dir's mtime moves); installs
    // change the candidate versions through dpkg's status.
    key.add("lists", stamp("/var/lib/apt/lists")).add("status", stamp("/var/lib/dpkg/status"));
    return aptCacheMemo({}, key, args, cache);
}

std::string aptCacheMemo(const std::vector<std::string>& env, KeyHasher key, const std::vector<std::string>& args,
                         Cache& cache) {
    requireTool("apt-cache", "apt");
    for (const auto& a : args)
        key.add("arg", a);
    fs::path memo = cache.dir() / "apt" / (key.hex().substr(0, 24) + ".txt");
    std::error_code ec;
    if (fs::exists(memo, ec))
        return readFile(memo);
    std::vector<std::string> argv = {"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back("apt-cache");
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out = runProcess(argv, "/dev/null", std::chrono::minutes(5)).output;
    if (!out.empty()) {  // never memoise "nothing": the lists may be missing
        fs::create_directories(memo.parent_path(), ec);
        writeFile(memo, out);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> madisonRows(const std::string& text) {
    static const std::regex row(R"(^\s*(\S+)\s*\|\s*(\S+)\s*\|)");
    std::vector<std::pair<std::string, std::string>> out;
    std::istringstream in(text);
    std::smatch m;
    for (std::string l; std::getline(in, l);)
        if (std::regex_search(l, m, row))
            out.emplace_back(m[1], m[2]);
    return out;
}

}  // namespace klp::image
