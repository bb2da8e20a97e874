// A scratch directory for one test, removed when it goes out of scope.
#pragma once
#include <stdlib.h>

#include <filesystem>

namespace klp::test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/klp-unit-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace klp::test
