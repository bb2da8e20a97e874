// Running host programs: output line by line as it arrives, a last line without
// a newline included, and the child in a process group of its own (so the
// cleanup on Ctrl-C can end it with everything it started).
#include "util/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

using namespace klp;

TEST(Process, OnLineSeesEveryLineIncludingAnUnterminatedLast) {
    std::vector<std::string> lines;
    std::string out = runChecked({"sh", "-c", "printf 'one\\ntwo\\n'; sleep 0.1; printf 'three'"}, {},
                                 [&](std::string_view l) { lines.emplace_back(l); });
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
    EXPECT_EQ(out, "one\ntwo\nthree");
}

TEST(Process, ChildRunsInAGroupOfItsOwn) {
    // ps prints the child's process group and its parent's (the guard, which
    // leads the group so one kill ends everything the command started).
    auto r = runProcess({"sh", "-c", "ps -o pgid= -p $$; ps -o pid= -p $PPID"});
    std::istringstream in(r.output);
    long pgid = 0, guard = 0;
    in >> pgid >> guard;
    EXPECT_GT(pgid, 0);
    EXPECT_EQ(pgid, guard);
    EXPECT_NE(pgid, static_cast<long>(getpgrp()));
}

TEST(Process, MissingCrossCompilerNamesItsDebianPackage) {
    try {
        requireCompiler("nosuch-linux-gnu-gcc");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("install the Debian package gcc-nosuch-linux-gnu"), std::string::npos)
            << e.what();
    }
    EXPECT_NO_THROW(requireCompiler("gcc"));
}
