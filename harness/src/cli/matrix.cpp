#include "cli/matrix.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "image/kernel_catalog.h"
#include "util/error.h"
#include "util/files.h"
#include "util/yaml_error.h"
#include "vm/arch.h"

namespace klp::cli {
namespace fs = std::filesystem;

namespace {

// A matrix file is a few dozen lines; a huge one is a mistake.
constexpr uintmax_t kMaxMatrixBytes = 1024 * 1024;

const char* kRowKeys = "arches, kernels, cases, filter, cpus, memory, repeat, cmdline, accel";
const char* kDefaultKeys = "cpus, memory, repeat, cmdline, accel";

struct Reader {
    fs::path file;

    [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const { yamlError(file, at, what); }
    std::string key(const YAML::Node& k) const { return yamlKey(file, k); }

    // `key:` with nothing after it. Said at the key: yaml-cpp places an empty
    // value on the line after it. Returns false (for use in conditions).
    template <class KeyValue>
    bool noValue(const KeyValue& kv) const {
        if (kv.second.IsNull())
            fail(kv.first, "'" + key(kv.first) + "' has no value");
        return false;
    }

    // A list of words, or a single word standing for a list of one.
    std::vector<YAML::Node> items(const YAML::Node& n, const std::string& k) const {
        std::vector<YAML::Node> out;
        if (n.IsScalar())
            out.push_back(n);
        else if (n.IsSequence())
            for (const auto& item : n) {
                if (!item.IsScalar())
                    fail(item, "'" + k + "' must list plain values");
                out.push_back(item);
            }
        else
            fail(n, "'" + k + "' must be a value or a list");
        if (out.empty())
            fail(n, "'" + k + "' is empty");
        return out;
    }

    std::vector<std::string> words(const YAML::Node& n, const std::string& k) const {
        std::vector<std::string> out;
        for (const auto& item : items(n, k))
            out.push_back(item.Scalar());
        return out;
    }

    int number(const YAML::Node& n, const std::string& k, int lo, int hi) const {
        int v = 0;
        const std::string s = n.IsScalar() ? n.Scalar() : "";
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size())
            fail(n, "'" + k + "' must be a whole number");
        if (v < lo || v > hi)
            fail(n, "'" + k + "' must be " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " + s + ")");
        return v;
    }

    // A guest setting, in a row or in defaults; false for any other key.
    bool setting(const std::string& k, const YAML::Node& v, MatrixEntry& e) const {
        if (k == "cpus")
            e.cpus = number(v, k, 1, 64);
        else if (k == "memory")
            e.memory = number(v, k, 128, 65536);
        else if (k == "repeat")
            e.repeat = number(v, k, 1, 10000);
        else if (k == "cmdline") {
            if (!v.IsScalar())
                fail(v, "'cmdline' must be a single value");
            e.cmdline = v.Scalar();
        } else if (k == "accel") {
            if (!v.IsScalar() || (v.Scalar() != "auto" && v.Scalar() != "kvm" && v.Scalar() != "tcg"))
                fail(v, "'accel' must be auto, kvm or tcg");
            e.accel = v.Scalar();
        } else
            return false;
        return true;
    }

    void checkArches(const YAML::Node& n) const {
        auto known = vm::knownArches();
        std::string names;
        for (const auto& a : known)
            names += (names.empty() ? "" : ", ") + a;
        for (const auto& item : items(n, "arches"))
            if (std::find(known.begin(), known.end(), item.Scalar()) == known.end())
                fail(item, "unknown arch '" + item.Scalar() + "' (" + names + ")");
    }

    // Case paths relative to the matrix file's folder, globs expanded (sorted,
    // as glob(3) gives them); one that matches nothing is an error, not a row
    // that silently runs fewer cases.
    std::vector<std::string> casePaths(const YAML::Node& n) const {
        std::vector<std::string> out;
        for (const auto& item : items(n, "cases")) {
            fs::path p = item.Scalar();
            std::string pattern = (p.is_absolute() ? p : file.parent_path() / p).string();
            glob_t g{};
            int rc = glob(pattern.c_str(), 0, nullptr, &g);
            if (rc == 0)
                out.insert(out.end(), g.gl_pathv, g.gl_pathv + g.gl_pathc);
            globfree(&g);
            if (rc == GLOB_NOMATCH)
                fail(item, "'" + item.Scalar() + "' matches no case file or folder (looked for " + pattern + ")");
            if (rc != 0)
                fail(item, "'" + item.Scalar() + "': cannot read " + pattern);
        }
        return out;
    }

    MatrixEntry row(const YAML::Node& n, const MatrixEntry& defaults) const {
        if (!n.IsMap())
            fail(n, std::string("a matrix row is a mapping (") + kRowKeys + ")");
        MatrixEntry e = defaults;
        e.arches = {"x86_64"};
        e.line = n.Mark().line + 1;
        bool kernels = false, cases = false;
        for (const auto& kv : n) {
            std::string k = key(kv.first);
            const YAML::Node& v = kv.second;
            noValue(kv);
            if (k == "arches") {
                checkArches(v);
                e.arches = words(v, k);
            } else if (k == "kernels") {
                e.kernels = words(v, k);
                kernels = true;
            } else if (k == "cases") {
                e.paths = casePaths(v);
                cases = true;
            } else if (k == "filter") {
                e.filters = words(v, k);
            } else if (!setting(k, v, e)) {
                fail(kv.first, "unknown key '" + k + "' (" + kRowKeys + ")");
            }
        }
        if (!kernels)
            fail(n, "the row names no kernels ('kernels:')");
        if (!cases)
            fail(n, "the row names no cases ('cases:')");
        return e;
    }

    std::vector<MatrixEntry> matrix(const YAML::Node& root) const {
        if (!root.IsMap())
            fail(root, "a matrix file is a mapping with 'matrix:' (and 'defaults:')");
        MatrixEntry defaults;
        std::optional<YAML::Node> rows;  // a copy shares the node (yaml-cpp nodes are handles)
        for (const auto& kv : root) {
            std::string k = key(kv.first);
            if (k == "matrix") {
                rows.emplace(kv.second);
            } else if (k == "defaults") {
                if (!kv.second.IsMap())
                    fail(kv.second, std::string("'defaults' is a mapping (") + kDefaultKeys + ")");
                for (const auto& d : kv.second)
                    if (!noValue(d) && !setting(key(d.first), d.second, defaults))
                        fail(d.first, "unknown key '" + key(d.first) + "' in defaults (" + kDefaultKeys + ")");
            } else if (k == "kernels-file") {
                // Kernel entries of the user's own (image/kernel_catalog.h), relative to this file.
                std::vector<fs::path> files;
                for (const auto& f : items(kv.second, k)) {
                    fs::path p = f.Scalar();
                    files.push_back(p.is_relative() ? file.parent_path() / p : p);
                    if (!fs::is_regular_file(files.back()))
                        fail(f, "no such kernel file: " + files.back().string());
                }
                image::addKernelFiles(files);
            } else {
                fail(kv.first, "unknown key '" + k + "' (defaults, matrix, kernels-file)");
            }
        }
        if (!rows)
            fail(root, "no 'matrix:' list of rows");
        if (!rows->IsSequence() || rows->size() == 0)
            fail(*rows, "'matrix' must be a non-empty list of rows");
        // Rows after defaults, wherever the file puts them: every row starts
        // from the defaults.
        std::vector<MatrixEntry> out;
        for (const auto& r : *rows)
            out.push_back(row(r, defaults));
        return out;
    }
};

}  // namespace

std::vector<MatrixEntry> loadMatrix(const fs::path& file) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec)
        throw UsageError(file.string() + ": cannot read: " + ec.message());
    if (size > kMaxMatrixBytes)
        throw UsageError(file.string() + ": " + std::to_string(size) + " bytes; a matrix file is at most 1 MiB");
    std::string text;
    try {
        text = readFile(file);
    } catch (const std::exception&) {
        throw UsageError(file.string() + ": cannot read");
    }
    Reader r{file};
    try {
        return r.matrix(YAML::Load(text));
    } catch (const YAML::Exception& e) {
        throw UsageError(file.string() + ":" + std::to_string(e.mark.line >= 0 ? e.mark.line + 1 : 1) + ": " + e.msg);
    }
}

}  // namespace klp::cli
