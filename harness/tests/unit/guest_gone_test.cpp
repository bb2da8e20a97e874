// Titles for a guest that went away, from its console's last words.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "check/guest_gone.h"

using namespace klp::check;

TEST(GuestGone, TheConsolesLastRebootLineNamesWhatHappened) {
    EXPECT_EQ(guestGoneTitle("[    9.1] klp_target: loaded\n[   10.2] reboot: Restarting system\n"),
              "guest rebooted (reboot: Restarting system)");
    EXPECT_EQ(guestGoneTitle("[   10.2] reboot: Power down\n"), "guest powered off (reboot: Power down)");
    EXPECT_EQ(guestGoneTitle("[   10.2] reboot: System halted\n"), "guest halted (reboot: System halted)");
    // The last one counts (a console that saw a reboot, then a power-off).
    EXPECT_EQ(guestGoneTitle("reboot: Restarting system\n...\n[T1] reboot: Power down\n"),
              "guest powered off (reboot: Power down)");
    EXPECT_EQ(guestGoneTitle("[    3.0] Run /init as init process\n"), "") << "killed from outside: no words";
}

TEST(GuestGone, TheTransportsErrorsAreALostConnection) {
    EXPECT_EQ(connectionLostTitle("SSH: cannot run 'klp-syscall load /lib/klp/x.ko': read_packet(): Packet len too "
                                  "high(1431655765 6bbe0c9a)"),
              "SSH connection to the guest lost: read_packet(): Packet len too high(1431655765 6bbe0c9a)");
    EXPECT_EQ(connectionLostTitle("SSH: connection to the guest lost: Socket error: disconnected"),
              "SSH connection to the guest lost: Socket error: disconnected");
    EXPECT_EQ(connectionLostTitle("SFTP: cannot open /tmp/x: permission denied"),
              "SSH connection to the guest lost: cannot open /tmp/x: permission denied");
    EXPECT_EQ(connectionLostTitle("cannot read the guest's kernel log"), "");
}

TEST(GuestGone, LastLinesSkipBlankOnesAndKeepOrder) {
    EXPECT_EQ(lastLines("a\nb\n\nc\r\nd\n\n", 3), "b\nc\nd\n");
    EXPECT_EQ(lastLines("only", 5), "only\n");
    EXPECT_EQ(lastLines("", 5), "");
}

// Consoles recorded from real guests (x86_64 debian-6.12) that ran `reboot -f`
// and `poweroff -f` in a case (tests/cases/gone).
TEST(GuestGone, RecordedConsoles) {
    auto read = [](const std::string& name) {
        std::ifstream in(std::string(KLP_FIXTURES) + "/gone/" + name);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    EXPECT_EQ(guestGoneTitle(read("x86_64-debian-6.12-reboot.txt")), "guest rebooted (reboot: Restarting system)");
    EXPECT_EQ(guestGoneTitle(read("x86_64-debian-6.12-poweroff.txt")), "guest powered off (reboot: Power down)");
}
