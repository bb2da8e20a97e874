// The kernel log as /dev/kmsg gives it: records with the kernel's sequence
// numbers, as the guest's `klp-kmsg follow` keeps them (one line a record:
// "PRI,SEQ,TS_USEC,FLAGS[,...];text"). A window by sequence numbers is exact
// however much the kernel printed, where counting `dmesg` lines fails once the
// ring buffer wraps. Pure: text in, records out.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

struct KmsgRecord {
    uint64_t seq = 0;
    uint64_t usec = 0;  // since boot
    std::string text;   // the kernel's \xNN escapes undone, as dmesg shows it
};

// One record line; nullopt for anything else (a truncated line, noise).
std::optional<KmsgRecord> parseKmsgRecord(std::string_view line);

// "[    1.234567] text", as dmesg prints the record.
std::string dmesgLine(const KmsgRecord& r);

// The text of the harness's own step markers (`klp-kmsg mark`).
bool isMarker(const KmsgRecord& r);

struct KmsgWindow {
    std::vector<std::string> lines;  // dmesg lines of the records with from < seq < to, markers left out
    uint64_t lost = 0;               // sequence numbers in that range with no record: overwritten before read
};

// The records of `text` (record lines) between two markers' sequence numbers.
KmsgWindow kmsgWindow(std::string_view text, uint64_t from, uint64_t to);

}  // namespace klp::check
