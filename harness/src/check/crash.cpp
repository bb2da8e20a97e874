#include "check/crash.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>

// Forms and titles follow the kernel's own report formats (and, loosely, syzkaller's
// pkg/report titles): the first line of a report names it, a following RIP/NIP line
// names the faulting function. All matching is RE2 (linear time, no recursion) over
// at most kMaxLine bytes of a line.

namespace klp::check {

namespace {

constexpr size_t kMaxLine = 512;    // bytes of a console line the classifier looks at
constexpr int kFollowWindow = 12;   // lines after a report's first line where its oops header may follow
constexpr int kFunctionWindow = 40; // ... where its RIP/NIP line may follow
constexpr int kStackWindow = 80;    // ... where its call trace may name the caller

// Bytes, not UTF-8: console output can hold anything.
RE2::Options reOptions() {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_log_errors(false);
    return o;
}

enum Form {
    StackProtector,
    Panic,
    SoftLockup,
    RcuStall,
    HungTask,
    Lockdep,
    Kasan,
    KasanRange,  // "KASAN: null-ptr-deref in range [...]", printed after a general protection fault
    Kfence,
    Ubsan,
    AtomicSleep,
    NullDeref,
    UnableToHandle,
    KernelBugAt,
    StackGuard,
    ListCorruption,
    DoubleFault,
    PpcDie,      // "Oops: Kernel access of bad area, sig: 11 [#1]"
    X86Die,      // "[Oops: ]invalid opcode: 0000 [#1]", "general protection fault, ...: 0000 [#1]", "Oops: 0002 [#1]"
    OopsBracket, // "Oops[#1]:"
    Bug,
    Warning,
    FormCount
};

struct FormDef {
    Form form;
    const char* kind;
    bool fatal;
    const char* pattern;  // anchored at the start of the line (after the printk prefix)
};

// Order matters: the first form that matches a line classifies it.
constexpr std::array<FormDef, FormCount> kForms = {{
    {StackProtector, "stack-protector", true, R"(Kernel panic - not syncing: stack-protector: )"},
    {Panic, "panic", true, R"(Kernel panic - not syncing)"},
    {SoftLockup, "soft lockup", true, R"((?:(?:NMI )?watchdog: )?BUG: soft lockup)"},
    {RcuStall, "RCU stall", true, R"((?:rcu: )?INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?)"},
    {HungTask, "hung task", true, R"(INFO: task .*:\d+ blocked for more than \d+ seconds)"},
    {Lockdep, "lockdep", false,
     "WARNING: (?:possible circular locking dependency|possible recursive locking|inconsistent lock state|"
     "possible irq lock inversion dependency|suspicious RCU usage|bad unlock balance|held lock freed|"
     "lock held when returning to user space)"},
    {Kasan, "KASAN", false, R"(BUG: KASAN: )"},
    {KasanRange, "KASAN", false, R"(KASAN: )"},
    {Kfence, "KFENCE", false, R"(BUG: KFENCE: )"},
    {Ubsan, "UBSAN", false, R"(UBSAN: )"},
    // might_sleep()'s report (CONFIG_DEBUG_ATOMIC_SLEEP) and the scheduler's: the
    // task goes on, as after a WARNING.
    {AtomicSleep, "sleep in atomic", false,
     R"(BUG: (?:sleeping function called from invalid context|scheduling while atomic))"},
    {NullDeref, "BUG", true, R"((?:BUG: )?(?i:unable to handle )?(?i:kernel NULL pointer dereference))"},
    {UnableToHandle, "BUG", true, R"((?:BUG: )?(?i:unable to handle) )"},
    {KernelBugAt, "BUG", true, R"(kernel BUG at )"},
    {StackGuard, "BUG", true, R"(BUG: (?:\w+ )?stack guard page was hit)"},
    {ListCorruption, "list corruption", true, R"(list_(?:add|del) (?:corruption|double add))"},
    {DoubleFault, "double fault", true, R"((?:traps: )?PANIC: double fault)"},
    {PpcDie, "oops", true, R"(Oops: (.+?, sig: \d+) \[#\d+\])"},
    {X86Die, "oops", true, R"((?:Oops: )?(.+?): [0-9a-f]{4,16} \[#\d+\])"},
    {OopsBracket, "oops", true, R"(Oops\[#\d+\])"},
    {Bug, "BUG", true, R"(BUG: )"},
    // Up to 6.x "WARNING: CPU: 0 PID: 60 at FILE:LINE FN"; 7.x puts the place
    // first: "WARNING: klp_fault.c:140 at trigger_store+0x6c/0x200 [klp_fault], CPU#0: comm/60".
    {Warning, "WARNING", false, R"(WARNING: (?:CPU: \d+ PID: \d+ )?(?:\S+:\d+ )?at )"},
}};

// An x86 die line names its own kind ("general protection fault: 0000 [#1]"),
// over the form's "oops".
constexpr std::array<const char*, 3> kX86DieKinds = {"general protection fault", "invalid opcode", "double fault"};

const std::vector<std::unique_ptr<RE2>>& formRegexes() {
    static const std::vector<std::unique_ptr<RE2>> res = [] {
        std::vector<std::unique_ptr<RE2>> v;
        for (const auto& f : kForms)
            v.push_back(std::make_unique<RE2>(std::string("^") + f.pattern, reOptions()));
        return v;
    }();
    return res;
}

// Cheap test before the regexes: does the line hold anything a form starts with?
bool mayBeCrash(std::string_view s) {
    static constexpr std::string_view keys[] = {"Kernel panic", "BUG", "INFO: ", "WARNING: ", "KASAN: ",
                                                "UBSAN: ",      "nable to handle", "NULL pointer", "list_",
                                                "double fault", "Oops", " [#"};
    for (auto k : keys)
        if (s.find(k) != std::string_view::npos)
            return true;
    return false;
}

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "[ 12.345678]" (timestamp) or "[  T123]" / "[    C1]" (caller id) at s[i]: the index after it, or npos.
size_t bracketEnd(std::string_view s, size_t i, bool caller) {
    if (i >= s.size() || s[i] != '[')
        return std::string_view::npos;
    size_t j = i + 1;
    while (j < s.size() && s[j] == ' ')
        j++;
    if (caller) {
        if (j >= s.size() || (s[j] != 'T' && s[j] != 'C'))
            return std::string_view::npos;
        j++;
    }
    auto digits = [&] {
        size_t d = j;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
            j++;
        return j > d;
    };
    if (!digits())
        return std::string_view::npos;
    if (!caller) {
        if (j >= s.size() || s[j] != '.')
            return std::string_view::npos;
        j++;
        if (!digits())
            return std::string_view::npos;
    }
    if (j >= s.size() || s[j] != ']')
        return std::string_view::npos;
    return j + 1;
}

// A console line as the kernel wrote it: at most kMaxLine bytes, without the printk
// prefix ("<6>", the timestamp, the caller id) and the line end.
std::string_view stripLine(std::string_view raw) {
    std::string_view s = raw.substr(0, kMaxLine);
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    size_t i = 0;
    if (!s.empty() && s[0] == '<') {
        size_t j = 1;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
            j++;
        if (j > 1 && j < s.size() && s[j] == '>')
            i = j + 1;
    }
    size_t t = bracketEnd(s, i, false);
    if (t == std::string_view::npos)
        return s.substr(i);
    i = t;
    if (i < s.size() && s[i] == ' ')
        i++;
    size_t c = bracketEnd(s, i, true);
    if (c != std::string_view::npos) {
        i = c;
        if (i < s.size() && s[i] == ' ')
            i++;
    }
    return s.substr(i);
}

// Printable ASCII only (titles go into JSON, JUnit XML and terminals), no trailing blanks.
std::string printable(std::string s) {
    for (auto& ch : s)
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
            ch = '?';
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

// What differs from run to run of the same kernel and module: CPU/PID numbers,
// +0x12/0x40 offsets (and the [module] after them), absolute paths of out-of-tree
// builds (they hold a cache key): cut to the file name.
std::string tidy(std::string_view line) {
    static const RE2 cpuPid(R"(CPU: \d+ PID: \d+ )", reOptions());
    static const RE2 offset(R"(\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+(?: \[[^\]\s]+\])?)", reOptions());
    static const RE2 absPath(R"((^|[\s(])/\S*/([^/\s]+:\d+))", reOptions());
    std::string s(line);
    RE2::GlobalReplace(&s, cpuPid, "");
    RE2::GlobalReplace(&s, offset, "");
    RE2::GlobalReplace(&s, absPath, "\\1\\2");
    return printable(std::move(s));
}

// Kernel addresses and other long hex numbers: never stable.
std::string dropAddresses(std::string s, const char* with) {
    static const RE2 hex(R"(\b(?:0x)?[0-9a-fA-F]{8,16}\b)", reOptions());
    RE2::GlobalReplace(&s, hex, with);
    return s;
}

// s up to the first of stops found at or after `from`, without trailing blanks, dots, commas.
std::string cutAtFirst(std::string s, std::initializer_list<std::string_view> stops, size_t from = 0) {
    size_t cut = s.size();
    for (auto stop : stops)
        cut = std::min(cut, s.find(stop, std::min(from, s.size())));
    s.resize(cut);
    while (!s.empty() && (s.back() == ' ' || s.back() == '.' || s.back() == ','))
        s.pop_back();
    return s;
}

// Lines of the console text, read forward. Nothing is kept per line: a console of
// millions of lines costs no memory, and a look ahead reads only the lines it needs.
class LineReader {
public:
    LineReader(std::string_view text, size_t pos) : text_(text), pos_(pos) {}
    bool done() const { return pos_ >= text_.size(); }
    // The next line, stripped (stripLine), and the position after it.
    std::string_view next() {
        size_t nl = text_.find('\n', pos_);
        size_t end = nl == std::string_view::npos ? text_.size() : nl;
        std::string_view raw = text_.substr(pos_, end - pos_);
        pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
        return stripLine(raw);
    }
private:
    std::string_view text_;
    size_t pos_;
};

bool endsReport(std::string_view s) { return startsWith(s, "---[ end "); }

// The faulting function, from the RIP (x86), NIP (powerpc) or pc (arm64) line that
// follows a report's first line, before its call trace. "" when there is none.
std::string faultFunction(LineReader after) {
    static const RE2 ip(
        R"(^(?:RIP|EIP|IP|NIP|pc) *:? *(?:[0-9a-f]{4}:)?(?:\[<?[0-9a-f]+>?\] +)*)"
        R"(([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-f]+/0x[0-9a-f]+)",
        reOptions());
    for (int n = 0; n < kFunctionWindow && !after.done(); n++) {
        std::string_view s = after.next();
        if (startsWith(s, "Call Trace") || endsReport(s))
            break;
        std::string fn;
        if (s.find("+0x") != std::string_view::npos && RE2::PartialMatch(s, ip, &fn))
            return fn;
    }
    return "";
}

// The first reliable caller in the report's call trace that is not the reporting
// machinery itself (list debugging, BUG/WARN and trap handling).
std::string firstCaller(LineReader after) {
    static const RE2 frame(
        R"(^ *(\? )?(?:\[[0-9a-f]+\] \[[0-9a-f]+\] )?([A-Za-z_][A-Za-z0-9_.]*)\+0x[0-9a-f]+/0x[0-9a-f]+)", reOptions());
    static constexpr std::string_view skip[] = {"__list_", "list_", "__warn", "warn_", "report_bug", "__report_bug",
                                                "dump_stack", "panic", "__bug", "handle_bug", "do_trap",
                                                "do_error_trap", "exc_", "asm_exc_", "program_check", "die",
                                                "__die", "oops_", "check_data_corruption"};
    bool inTrace = false;
    for (int n = 0; n < kStackWindow && !after.done(); n++) {
        std::string_view s = after.next();
        if (endsReport(s))
            break;
        if (startsWith(s, "Call Trace")) {
            inTrace = true;
            continue;
        }
        std::string unreliable, fn;
        if (!inTrace || s.find("+0x") == std::string_view::npos || !RE2::PartialMatch(s, frame, &unreliable, &fn))
            continue;
        if (!unreliable.empty() || s.find("(unreliable)") != std::string_view::npos)
            continue;
        bool machinery = false;
        for (auto p : skip)
            machinery |= startsWith(fn, p);
        if (!machinery)
            return fn;
    }
    return "";
}

std::string in(std::string title, const std::string& fn) { return fn.empty() ? title : title + " in " + fn; }

// "list_del corruption. next->prev should be ffff888003a4b000, but was ... (next=...)."
// -> "list_del corruption in <caller>: next->prev should be entry".
std::string listTitle(std::string_view s, const LineReader& after) {
    static const RE2 head(R"(^(list_(?:add|del)) (corruption|double add)[.,:]? *(.*))", reOptions());
    std::string op, what, rest;
    RE2::PartialMatch(s, head, &op, &what, &rest);
    // In list_del reports the addresses left before the cut are the entry's own.
    rest = dropAddresses(cutAtFirst(rest, {" (", ", but was", ": ", "="}), "entry");
    std::string title = in(op + " " + what, firstCaller(after));
    if (what == "corruption" && !rest.empty())
        title += ": " + rest;
    return printable(title);
}

struct Classified {
    Form form;
    std::string kind;
    bool fatal;
};

std::optional<Classified> classify(std::string_view s) {
    if (!mayBeCrash(s))
        return std::nullopt;
    const auto& res = formRegexes();
    for (size_t i = 0; i < kForms.size(); i++) {
        if (!RE2::PartialMatch(s, *res[i]))
            continue;
        Classified c{kForms[i].form, kForms[i].kind, kForms[i].fatal};
        if (c.form == X86Die) {
            std::string str;
            RE2::PartialMatch(s, *res[i], &str);
            for (const char* kind : kX86DieKinds)
                if (startsWith(str, kind)) {
                    c.kind = kind;
                    break;
                }
        }
        return c;
    }
    return std::nullopt;
}

// `after` reads the lines that follow the report's first line s.
std::string titleOf(const Classified& c, std::string_view s, const LineReader& after) {
    const auto& re = *formRegexes()[c.form];
    switch (c.form) {
    case StackProtector: {
        // "... corrupted in: fault_stackprot+0x7a/0x80 [klp_fault]"; a bare address when
        // the kernel could not name the function.
        return dropAddresses(tidy(s), "?");
    }
    case SoftLockup: {
        static const RE2 comm(R"(stuck for \d+s! \[(.*):\d+\])", reOptions());
        std::string name;
        if (RE2::PartialMatch(s, comm, &name))
            return printable("watchdog: BUG: soft lockup [" + name + "]");
        return tidy(s);
    }
    case RcuStall: {
        static const RE2 stall(
            R"(^((?:rcu: )?INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?(?: on CPUs?(?:/tasks)?)?))",
            reOptions());
        std::string t;
        RE2::PartialMatch(s, stall, &t);
        return printable(t);
    }
    case HungTask: {
        static const RE2 task(R"(^INFO: task (.*):\d+ blocked for more than (\d+) seconds)", reOptions());
        std::string comm, secs;
        RE2::PartialMatch(s, task, &comm, &secs);
        return printable("INFO: task " + comm + " blocked for more than " + secs + " seconds");
    }
    case Kasan:
    case Kfence:
        return dropAddresses(cutAtFirst(tidy(s), {" at addr ", " on address ", " ["}), "?");
    case KasanRange:
        return cutAtFirst(tidy(s), {" ["});
    case NullDeref:
        return in("BUG: kernel NULL pointer dereference", faultFunction(after));
    case UnableToHandle: {
        // x86 "BUG: unable to handle page fault for address: ffffc900...",
        // powerpc "BUG: Unable to handle kernel data access on write at 0xdead000000000000",
        // arm64 "Unable to handle kernel paging request at virtual address ...".
        std::string t = tidy(s);
        t = dropAddresses(cutAtFirst(t, {" at ", " for address", ": ", " ("}, t.find("nable to handle")), "");
        return in(cutAtFirst(t, {}), faultFunction(after));
    }
    case StackGuard: {
        // x86 "BUG: TASK stack guard page was hit at ffffc900... (stack is ...)"
        std::string t = tidy(s);
        return in(cutAtFirst(t, {" at "}), faultFunction(after));
    }
    case ListCorruption:
        return listTitle(s, after);
    case DoubleFault:
        return in("PANIC: double fault", faultFunction(after));
    case PpcDie: {
        std::string str;
        RE2::PartialMatch(s, re, &str);
        return in(printable("Oops: " + str), faultFunction(after));
    }
    case X86Die: {
        std::string str;
        RE2::PartialMatch(s, re, &str);
        if (c.kind != "oops")
            str = c.kind;  // "general protection fault, probably for non-canonical address 0x...": its kind
        return in(dropAddresses(tidy(str), "?"), faultFunction(after));
    }
    case OopsBracket:
        return in("Oops", faultFunction(after));
    case Bug:
        return dropAddresses(tidy(s), "?");
    case AtomicSleep:  // "... at kernel/time/sleep_timeout.c:NNN" (stable); "...: comm/PID/0x00000002" (not)
        return cutAtFirst(tidy(s), {": "}, std::string_view("BUG: ").size());
    default:  // Panic, Lockdep, Ubsan, KernelBugAt, Warning: the line itself
        return tidy(s);
    }
}

// Reports whose first line is followed by the arch's oops header ("Oops: ... [#1]",
// "invalid opcode: 0000 [#1]"): that header is part of the same report.
bool expectsDie(Form f) {
    return f == NullDeref || f == UnableToHandle || f == KernelBugAt || f == StackGuard || f == ListCorruption ||
           f == DoubleFault;
}

bool isDie(Form f) { return f == PpcDie || f == X86Die || f == OopsBracket; }

struct Incident {
    size_t crash = 0;  // index in the output
    Form form = Bug;
    int start = 0;
    bool die = false;        // its oops header was seen
    bool bugOrWarn = false;  // list corruption: its BUG or WARNING was seen
};

}  // namespace

std::vector<Crash> findCrashes(std::string_view console) {
    std::vector<Crash> out;
    LineReader reader(console, 0);
    Incident open;  // the report being read: later lines of it add no crash
    bool isOpen = false;
    // A soft lockup is reported again every few seconds while it lasts, the same CPU
    // and task "stuck for" more seconds each time: one incident.
    static const RE2 stuck(R"(CPU#(\d+) stuck for (\d+)s! \[(.*)\])", reOptions());
    std::string lockupWho;  // "<cpu> <comm:pid>" of the last soft lockup reported
    long lockupSecs = -1;
    for (int i = 0; !reader.done(); i++) {
        std::string_view s = reader.next();
        if (isOpen && endsReport(s)) {
            isOpen = false;
            continue;
        }
        auto c = classify(s);
        if (!c)
            continue;
        if (c->form == SoftLockup) {
            std::string cpu, secs, task;
            if (RE2::PartialMatch(s, stuck, &cpu, &secs, &task)) {
                long n = std::strtol(secs.c_str(), nullptr, 10);
                bool again = lockupSecs >= 0 && lockupWho == cpu + " " + task && n > lockupSecs;
                lockupWho = cpu + " " + task;
                lockupSecs = n;
                if (again)
                    continue;
            }
        }
        if (isOpen && i - open.start <= kFollowWindow) {
            Crash& first = out[open.crash];
            if (isDie(c->form) && expectsDie(open.form) && !open.die) {
                open.die = true;
                first.fatal = true;
                continue;
            }
            if ((c->form == KernelBugAt || c->form == Warning) && open.form == ListCorruption && !open.bugOrWarn &&
                !open.die) {
                // CONFIG_BUG_ON_DATA_CORRUPTION makes it a BUG, else it is a WARNING
                // and the kernel goes on (the list operation is skipped).
                open.bugOrWarn = true;
                first.fatal = c->form == KernelBugAt;
                continue;
            }
            if (c->form == KasanRange && open.form == X86Die)
                continue;
        }
        out.push_back({c->kind, titleOf(*c, s, reader), i, c->fatal});
        open = Incident{out.size() - 1, c->form, i};
        isOpen = true;
    }
    return out;
}

const std::vector<std::string>& crashKinds() {
    static const std::vector<std::string> kinds = [] {
        std::vector<std::string> v;
        auto add = [&v](const std::string& kind) {
            if (std::find(v.begin(), v.end(), kind) == v.end())
                v.push_back(kind);
        };
        for (const auto& f : kForms)
            add(f.kind);
        for (const char* kind : kX86DieKinds)
            add(kind);
        return v;
    }();
    return kinds;
}

}  // namespace klp::check
