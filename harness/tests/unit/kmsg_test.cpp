// The kernel log by record sequence numbers, on records recorded from a real
// guest (x86_64 debian-6.12): `klp-kmsg follow` kept every /dev/kmsg record
// while 6,000 lines wrapped the ring buffer; marker A (seq 363) was printed
// before the flood, marker B (seq 6372) after klp_basic was loaded. At B the
// ring began at "klp-flood 2163": `dmesg` printed 364 lines at A and 3846 at B,
// so a window counted in dmesg lines (364..3846) would have started inside the
// flood and a second flood would have left it empty.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "check/kmsg.h"

using namespace klp::check;

namespace {
std::string recorded() {
    std::ifstream in(std::string(KLP_FIXTURES) + "/kmsg/x86_64-debian-6.12-flood.records");
    return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST(Kmsg, ARecordLineIsReadAsDmesgShowsIt) {
    auto r = parseKmsgRecord("5,6371,9812906,-;livepatch: 'klp_basic': patching complete\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->seq, 6371u);
    EXPECT_EQ(dmesgLine(*r), "[    9.812906] livepatch: 'klp_basic': patching complete");
    // Extra header fields (caller ids on kernels with PRINTK_CALLER) and \xNN escapes.
    r = parseKmsgRecord("6,33,1500000,-,caller=T1;a\\x5cb\\x09c");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "a\\b\tc");
    EXPECT_FALSE(parseKmsgRecord(" SUBSYSTEM=virtio"));  // a dictionary line
    EXPECT_FALSE(parseKmsgRecord("6,x,1,-;text"));
    EXPECT_FALSE(parseKmsgRecord(""));
}

TEST(Kmsg, TheWindowBetweenTwoMarkersIsExactAfterTheRingWrapped) {
    std::string text = recorded();
    auto w = kmsgWindow(text, 363, 6372);
    EXPECT_EQ(w.lost, 0u) << "the follower kept up: no sequence number missing";
    ASSERT_EQ(w.lines.size(), 6372u - 363u - 1u);
    EXPECT_EQ(w.lines.front().substr(15), "klp-flood 0") << "the window starts right after marker A";
    EXPECT_EQ(w.lines.back().substr(15), "livepatch: 'klp_basic': patching complete");
    for (const auto& l : w.lines)
        EXPECT_EQ(l.find("klp-harness: mark"), std::string::npos) << "markers are no log lines";

    // The step after the flood: only what it printed.
    auto load = kmsgWindow(text, 6366, 6372);
    ASSERT_EQ(load.lines.size(), 5u);
    EXPECT_NE(load.lines.front().find("klp_basic: tainting kernel"), std::string::npos);
}

TEST(Kmsg, RecordsTheRingDroppedBeforeTheyWereReadAreCounted) {
    std::string text = "6,10,1,-;a\n6,11,1,-;b\n6,15,1,-;c\n";  // 12..14 overwritten before the read
    auto w = kmsgWindow(text, 9, 16);
    EXPECT_EQ(w.lines.size(), 3u);
    EXPECT_EQ(w.lost, 3u);
}
