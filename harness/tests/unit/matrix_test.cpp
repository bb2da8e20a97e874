// Matrix files: the format of cli/matrix.h, and every malformed one a one-line
// "FILE:LINE: message" before anything runs.
#include <gtest/gtest.h>

#include "cli/matrix.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {

// A matrix file's folder with case files beside it.
struct MatrixDir : test::TempDir {
    MatrixDir() {
        for (const char* f : {"cases/catalog/state/a.yaml", "cases/catalog/sysfs/b.yaml", "cases/extra/x.yaml",
                              "cases/extra/y.yaml", "cases/extra/notes.txt"}) {
            fs::create_directories((path / f).parent_path());
            writeFile(path / f, "title: t\n");
        }
    }
    std::vector<cli::MatrixEntry> load(const std::string& text) const {
        writeFile(path / "m.yaml", text);
        return cli::loadMatrix(path / "m.yaml");
    }
};

struct BadMatrix {
    const char* name;
    std::string text;
    const char* error;  // after "<file>:"
};
void PrintTo(const BadMatrix& b, std::ostream* os) { *os << b.name; }

const std::string row = "matrix:\n  - kernels: [debian-6.1]\n    cases: [cases/catalog]\n";

std::vector<BadMatrix> badMatrices() {
    return {
        {"not_yaml", "matrix: [unclosed\n", "2: end of sequence flow not found"},
        {"empty_file", "", "1: a matrix file is a mapping with 'matrix:'"},
        {"not_a_mapping", "- kernels: [a]\n", "1: a matrix file is a mapping with 'matrix:'"},
        {"no_matrix", "defaults: {cpus: 2}\n", "1: no 'matrix:' list of rows"},
        {"empty_matrix", "matrix: []\n", "1: 'matrix' must be a non-empty list of rows"},
        {"matrix_mapping", "matrix: {kernels: a}\n", "1: 'matrix' must be a non-empty list of rows"},
        {"unknown_top_key", row + "nightly: true\n", "4: unknown key 'nightly' (defaults, matrix, kernels-file)"},
        {"row_not_mapping", "matrix:\n  - x86_64\n", "2: a matrix row is a mapping (arches, kernels, cases"},
        {"unknown_row_key", row + "    kernel: [debian-6.12]\n", "4: unknown key 'kernel' (arches, kernels, cases, filter"},
        {"map_as_key", row + "    {a: 1}: 2\n", "4: a key must be a plain word"},
        {"unknown_arch", row + "    arches: [x86_64, mips]\n", "4: unknown arch 'mips' (x86_64, ppc64le)"},
        {"no_kernels", "matrix:\n  - cases: [cases/catalog]\n", "2: the row names no kernels ('kernels:')"},
        {"no_cases", "matrix:\n  - kernels: [debian-6.1]\n", "2: the row names no cases ('cases:')"},
        {"empty_kernels", "matrix:\n  - kernels: []\n    cases: [cases]\n", "2: 'kernels' is empty"},
        {"kernels_mapping", "matrix:\n  - kernels: {a: b}\n    cases: [cases]\n", "2: 'kernels' must be a value or a list"},
        {"kernels_nested", "matrix:\n  - kernels: [[a]]\n    cases: [cases]\n", "2: 'kernels' must list plain values"},
        {"filter_null", row + "    filter:\n", "4: 'filter' has no value"},
        {"defaults_null", "defaults:\n  cpus:\n" + row, "2: 'cpus' has no value"},
        {"cpus_zero", row + "    cpus: 0\n", "4: 'cpus' must be 1..64 (got 0)"},
        {"cpus_65", row + "    cpus: 65\n", "4: 'cpus' must be 1..64 (got 65)"},
        {"cpus_word", row + "    cpus: two\n", "4: 'cpus' must be a whole number"},
        {"cpus_fraction", row + "    cpus: 1.5\n", "4: 'cpus' must be a whole number"},
        {"cpus_list", row + "    cpus: [1]\n", "4: 'cpus' must be a whole number"},
        {"cpus_huge", row + "    cpus: 99999999999999\n", "4: 'cpus' must be a whole number"},
        {"memory_small", row + "    memory: 64\n", "4: 'memory' must be 128..65536 (got 64)"},
        {"memory_large", row + "    memory: 70000\n", "4: 'memory' must be 128..65536 (got 70000)"},
        {"repeat_zero", row + "    repeat: 0\n", "4: 'repeat' must be 1..10000 (got 0)"},
        {"repeat_large", row + "    repeat: 10001\n", "4: 'repeat' must be 1..10000 (got 10001)"},
        {"cmdline_list", row + "    cmdline: [a, b]\n", "4: 'cmdline' must be a single value"},
        {"accel_unknown", row + "    accel: hvf\n", "4: 'accel' must be auto, kvm or tcg"},
        {"glob_matches_nothing", "matrix:\n  - kernels: [k]\n    cases:\n      - cases/catalog\n      - cases/*/*.yml\n",
         "5: 'cases/*/*.yml' matches no case file or folder"},
        {"missing_path", "matrix:\n  - kernels: [k]\n    cases: [cases/nope]\n",
         "3: 'cases/nope' matches no case file or folder"},
        {"defaults_not_mapping", "defaults: 3\n" + row, "1: 'defaults' is a mapping (cpus, memory, repeat, cmdline, accel)"},
        {"defaults_unknown_key", "defaults:\n  arches: [x86_64]\n" + row,
         "2: unknown key 'arches' in defaults (cpus, memory, repeat, cmdline, accel)"},
        {"defaults_bad_memory", "defaults: {memory: 1}\n" + row, "1: 'memory' must be 128..65536 (got 1)"},
        {"binary_garbage", std::string("\x00\xff\xfe matrix\x01: \x02\n", 14), ""},
    };
}

}  // namespace

TEST(Matrix, TheDocumentedExample) {
    MatrixDir dir;
    auto m = dir.load(R"(# nightly.yaml
defaults: {cpus: 2, memory: 512, repeat: 3, cmdline: ""}
matrix:
  - arches: [x86_64]
    kernels: [debian-6.1, debian-6.12]
    cases: [cases/catalog]
    filter: ["state/*"]
    cmdline: "loglevel=7"
    memory: 768
  - arches: ppc64le
    kernels: [own-6.1, own-6.12]
    cases: [cases/catalog/state/a.yaml, "cases/extra/*.yaml"]
    repeat: 1
  - kernels: debian-6.12
    cases: cases/extra
)");
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].arches, (std::vector<std::string>{"x86_64"}));
    EXPECT_EQ(m[0].kernels, (std::vector<std::string>{"debian-6.1", "debian-6.12"}));
    EXPECT_EQ(m[0].paths, (std::vector<std::string>{(dir.path / "cases/catalog").string()}));
    EXPECT_EQ(m[0].filters, (std::vector<std::string>{"state/*"}));
    EXPECT_EQ(m[0].cmdline, "loglevel=7");
    EXPECT_EQ(m[0].memory, 768);
    EXPECT_EQ(m[0].cpus, 2);    // from defaults
    EXPECT_EQ(m[0].repeat, 3);  // from defaults
    EXPECT_EQ(m[0].line, 4);
    EXPECT_EQ(m[1].arches, (std::vector<std::string>{"ppc64le"}));
    EXPECT_EQ(m[1].paths, (std::vector<std::string>{(dir.path / "cases/catalog/state/a.yaml").string(),
                                                    (dir.path / "cases/extra/x.yaml").string(),
                                                    (dir.path / "cases/extra/y.yaml").string()}));
    EXPECT_EQ(m[1].repeat, 1);
    EXPECT_EQ(m[1].memory, 512);
    EXPECT_EQ(m[1].cmdline, "");
    EXPECT_EQ(m[1].line, 10);
    EXPECT_EQ(m[2].arches, (std::vector<std::string>{"x86_64"}));  // the default arch
    EXPECT_EQ(m[2].kernels, (std::vector<std::string>{"debian-6.12"}));
    EXPECT_TRUE(m[2].filters.empty());
    EXPECT_EQ(m[2].accel, "");  // --accel's
}

TEST(Matrix, AccelPerRowOverDefaults) {
    MatrixDir dir;
    auto m = dir.load("defaults: {accel: tcg}\nmatrix:\n  - kernels: [k]\n    cases: [cases/extra]\n"
                      "  - kernels: [k]\n    cases: [cases/extra]\n    accel: kvm\n");
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].accel, "tcg");
    EXPECT_EQ(m[1].accel, "kvm");
}

TEST(Matrix, DefaultsMayComeAfterTheRowsAndAbsolutePathsStay) {
    MatrixDir dir;
    auto m = dir.load("matrix:\n  - kernels: [k]\n    cases: [" + (dir.path / "cases/extra").string() +
                      "]\ndefaults:\n  cpus: 4\n");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].cpus, 4);
    EXPECT_EQ(m[0].paths, (std::vector<std::string>{(dir.path / "cases/extra").string()}));
}

TEST(Matrix, MissingFileIsNamed) {
    MatrixDir dir;
    try {
        cli::loadMatrix(dir.path / "none.yaml");
        ADD_FAILURE() << "loaded a missing file";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()).rfind((dir.path / "none.yaml").string() + ": cannot read", 0), 0u) << e.what();
    }
}

class BadMatrixFile : public ::testing::TestWithParam<BadMatrix> {};

TEST_P(BadMatrixFile, OneLineWithFileAndLine) {
    MatrixDir dir;
    std::string file = (dir.path / "m.yaml").string();
    try {
        dir.load(GetParam().text);
        ADD_FAILURE() << "accepted:\n" << GetParam().text;
    } catch (const UsageError& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg.rfind(file + ":" + GetParam().error, 0), 0u) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

INSTANTIATE_TEST_SUITE_P(Table, BadMatrixFile, ::testing::ValuesIn(badMatrices()),
                         [](const auto& info) { return std::string(info.param.name); });
