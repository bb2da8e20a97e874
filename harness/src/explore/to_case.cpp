#include "explore/to_case.h"

#include <algorithm>
#include <set>

#include "explore/generate.h"

namespace klp::explore {

std::string yamlQuote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

namespace {

struct Writer {
    std::vector<std::string> lines;
    void add(const std::string& l) { lines.push_back(l); }
    int next() const { return static_cast<int>(lines.size()) + 1; }
    std::string text() const {
        std::string out;
        for (const auto& l : lines)
            out += l + "\n";
        return out;
    }
};

void logLines(Writer& w, const std::vector<std::string>& lines) {
    if (lines.empty())
        return;
    w.add("    log:");
    for (const auto& l : lines)
        w.add("      - " + yamlQuote(l));
}

std::string defaultTitle(const std::vector<Op>& ops) {
    std::string t = "explore:";
    for (size_t i = 0; i < ops.size(); i++)
        t += std::string(i ? "," : "") + " " + opText(ops[i]);
    return t;
}

}  // namespace

GeneratedCase toCase(const std::vector<Op>& ops, const CaseHeader& h) {
    GeneratedCase g;
    std::set<std::string> features;
    for (const auto& op : ops)
        if (const PatchSpec* p = findPatch(op.module))
            features.insert(p->kernelHas.begin(), p->kernelHas.end());
    g.kernelHas.assign(features.begin(), features.end());

    Writer w;
    for (const auto& c : h.comments)
        w.add("# " + c);
    w.add("title: " + yamlQuote(h.title.empty() ? defaultTitle(ops) : h.title));
    w.add("seeds:");
    if (!h.rule.empty())
        w.add("  - " + yamlQuote("breaks " + h.rule));
    w.add("  - " + yamlQuote("explore/model.cpp rules (kernel/livepatch/*.c, kernel/module/main.c)" +
                             (h.seedNote.empty() ? std::string() : "; " + h.seedNote)));
    if (!g.kernelHas.empty()) {
        std::string list;
        for (const auto& f : g.kernelHas)
            list += (list.empty() ? "" : ", ") + f;
        w.add("requires:");
        w.add("  kernel-has: [" + list + "]");
    }
    w.add("steps:");

    Model model;
    std::vector<std::string> targets, patches;  // touched so far, in first-touch order
    for (size_t i = 0; i < ops.size(); i++) {
        const Op& op = ops[i];
        Model trial = model;
        Outcome o = trial.apply(op);
        if (!o.hazard.empty())
            continue;
        model = std::move(trial);
        auto& touched = isTarget(op.module) ? targets : patches;
        if (std::find(touched.begin(), touched.end(), op.module) == touched.end())
            touched.push_back(op.module);

        g.lineOp[w.next()] = static_cast<int>(i);
        const std::string comment = "    comment: " + yamlQuote("op " + std::to_string(i + 1) + ": " + opText(op));
        const std::string errnoLine = "    errno: " + o.errnoName;
        const bool running = model.transitionPatch() == op.module && !op.module.empty();
        switch (op.kind) {
        case OpKind::Load:
        case OpKind::LoadFailing:
        case OpKind::LoadTarget: {
            const PatchSpec* p = findPatch(op.module);
            bool failing = op.kind == OpKind::LoadFailing && p && !p->failParam.empty();
            // A transition the held kthread blocks: `load` would wait for it.
            w.add(std::string(!o.accepted ? "  - load-fail: " : running ? "  - load-nowait: " : "  - load: ") +
                  op.module);
            w.add(comment);
            if (failing)
                w.add("    params: " + yamlQuote(p->failingParams()));
            if (!o.accepted)
                w.add(errnoLine);
            break;
        }
        case OpKind::Disable:
        case OpKind::Enable: {
            bool disable = op.kind == OpKind::Disable;
            if (o.accepted) {
                w.add(std::string(disable ? "  - disable: " : "  - enable: ") + op.module);
                if (running && disable)
                    w.add("    wait: none");  // the held kthread keeps it from ending
            } else {
                w.add("  - write: /sys/kernel/livepatch/" + op.module + "/enabled");
                w.add(std::string("    value: \"") + (disable ? "0" : "1") + "\"");
            }
            w.add(comment);
            if (!o.accepted)
                w.add(errnoLine);
            break;
        }
        case OpKind::Unload:
        case OpKind::UnloadTarget:
            w.add(std::string(o.accepted ? "  - unload: " : "  - unload-fail: ") + op.module);
            w.add(comment);
            if (!o.accepted)
                w.add(errnoLine);
            break;
        case OpKind::AddItem:
        case OpKind::DestroyItems:
            w.add("  - write: /sys/kernel/" + op.module + "/items");
            w.add(std::string("    value: \"") + (op.kind == OpKind::AddItem ? "1" : "0") + "\"");
            w.add(comment);
            break;
        case OpKind::ReadItems:
            w.add("  - read: /sys/kernel/" + op.module + "/items");
            w.add("    expect: " + yamlQuote(o.output));
            w.add(comment);
            break;
        case OpKind::Hold:
        case OpKind::Release:
            w.add(std::string(op.kind == OpKind::Hold ? "  - hold: " : "  - release: ") + op.module);
            w.add(comment);
            break;
        }
        logLines(w, o.logLines);
        if (!o.settled.empty()) {
            // The transition the release let go ends at the kernel's next retry (1 s).
            if (o.settledGone) {
                w.add("  - run: " + yamlQuote("i=0; while [ -d /sys/kernel/livepatch/" + o.settled +
                                              " ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; [ ! -d "
                                              "/sys/kernel/livepatch/" + o.settled + " ]"));
                w.add("    comment: " + yamlQuote("the released transition ends: " + o.settled + " unpatched, gone"));
            } else {
                w.add("  - wait-transition: " + o.settled);
                w.add("    comment: " + yamlQuote("the released transition ends: " + o.settled + " patched"));
            }
            logLines(w, o.settleLines);
        }

        // What a reader sees now.
        w.add("  - read: /proc/cmdline");
        if (model.cmdline() == kOriginalCmdline)
            w.add("    expect-re: \"console=\"");
        else
            w.add("    expect: " + yamlQuote(model.cmdline()));
        for (const auto& t : targets) {
            if (model.loaded(t)) {
                w.add("  - read: /sys/kernel/" + t + "/value");
                w.add("    expect: " + yamlQuote(model.targetValue(t)));
            } else {
                w.add("  - expect-sysfs: /sys/kernel/" + t);
                w.add("    absent: true");
            }
        }
        // The state our state patches change (system-state.rst): the console
        // loglevel, as the document says it must be, not as the callbacks do it.
        bool stateTouched = std::any_of(patches.begin(), patches.end(), [](const std::string& n) {
            const PatchSpec* p = findPatch(n);
            return p && p->family == Family::SystemState;
        });
        if (stateTouched && model.transitionPatch().empty()) {
            w.add("  - read: /proc/sys/kernel/printk");
            w.add("    expect-re: " + yamlQuote("^" + std::to_string(model.documentedLoglevel()) + "\\s"));
        }
        auto sysfs = model.sysfsPatches();
        for (const auto& p : patches) {
            auto it = std::find_if(sysfs.begin(), sysfs.end(), [&](const auto& e) { return e.first == p; });
            if (it != sysfs.end()) {
                w.add("  - expect-sysfs: /sys/kernel/livepatch/" + p + "/enabled");
                w.add(std::string("    value: \"") + (it->second ? "1" : "0") + "\"");
                if (model.transitionPatch() == p) {
                    w.add("  - expect-sysfs: /sys/kernel/livepatch/" + p + "/transition");
                    w.add("    value: \"1\"");
                }
            } else {
                w.add("  - expect-sysfs: /sys/kernel/livepatch/" + p);
                w.add("    absent: true");
            }
        }
    }
    // A held kthread would hold the next case's guest too (a reverted guest
    // starts afresh, a reused one may not): let it go.
    if (model.held())
        w.add("  - release: klp_target");
    if (g.lineOp.empty())  // nothing to run: a case needs a step
        w.add("  - read: /proc/cmdline");
    g.yaml = w.text();
    return g;
}

}  // namespace klp::explore
