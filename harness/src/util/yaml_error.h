// The one-line errors of our YAML files (case files, matrix files): a
// UsageError "FILE:LINE: what" at the node that is wrong.
#pragma once
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "util/error.h"

namespace klp {

// yaml-cpp counts lines from 0; a node it has no position for says line 1.
[[noreturn]] inline void yamlError(const std::filesystem::path& file, const YAML::Node& at, const std::string& what) {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 1;
    throw UsageError(file.string() + ":" + std::to_string(line) + ": " + what);
}

// A mapping key: a plain word, never a list or a mapping.
inline std::string yamlKey(const std::filesystem::path& file, const YAML::Node& k) {
    if (!k.IsScalar())
        yamlError(file, k, "a key must be a plain word");
    return k.Scalar();
}

}  // namespace klp
