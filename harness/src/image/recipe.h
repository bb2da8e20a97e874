// A recipe of images/: where it is, what of it goes into a cache key, and how it
// is run with the KLP_* variables that carry arch facts to it (images/lib.sh).
#pragma once
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "util/files.h"
#include "util/paths.h"

namespace klp::image {

// Variable name and value, in the order they go into the key and the environment.
using RecipeEnv = std::vector<std::pair<std::string, std::string>>;

class Recipe {
public:
    // `script`: a file name in images/, e.g. "own-kernel.sh".
    explicit Recipe(const std::string& script, RecipeEnv env = {})
        : path_(projectDir() / "images" / script), env_(std::move(env)) {}

    const std::filesystem::path& path() const { return path_; }

    // A helper script of images/ the recipe runs (e.g. "apply-patches.sh"): keyed too.
    Recipe& uses(const std::string& helper) {
        helpers_.push_back(path_.parent_path() / helper);
        return *this;
    }

    // Into `key`: the script, images/lib.sh which every recipe sources, and the
    // environment: a change to any of them makes a new entry.
    void addTo(KeyHasher& key) const {
        key.addFile("recipe", path_).addFile("recipe-lib", path_.parent_path() / "lib.sh");
        for (const auto& h : helpers_)
            key.addFile("helper " + h.filename().string(), h);
        for (const auto& [name, value] : env_)
            key.add(name, value);
    }

    // The argv that runs it with `args`: env(1) sets the variables, so the recipe
    // runs through the same runChecked (timeouts, logs) as every host command.
    // `unkeyed`: "NAME=VALUE" settings that name where, not what (APT_CONFIG).
    std::vector<std::string> command(const std::vector<std::string>& args,
                                     const std::vector<std::string>& unkeyed = {}) const {
        std::vector<std::string> argv = {"env"};
        argv.insert(argv.end(), unkeyed.begin(), unkeyed.end());
        for (const auto& [name, value] : env_)
            argv.push_back(name + "=" + value);
        argv.push_back(path_.string());
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

private:
    std::filesystem::path path_;
    RecipeEnv env_;
    std::vector<std::filesystem::path> helpers_;
};

}  // namespace klp::image
