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

void logLines(Writer& w, const Outcome& o) {
    if (o.logLines.empty())
        return;
    w.add("    log:");
    for (const auto& l : o.logLines)
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
        switch (op.kind) {
        case OpKind::Load:
        case OpKind::LoadFailing:
        case OpKind::LoadTarget: {
            const PatchSpec* p = findPatch(op.module);
            bool failing = op.kind == OpKind::LoadFailing && p && !p->failParam.empty();
            w.add(std::string(o.accepted ? "  - load: " : "  - load-fail: ") + op.module);
            w.add(comment);
            if (failing)
                w.add("    params: " + yamlQuote(p->failingParams()));
            if (!o.accepted)
                w.add(errnoLine);
            break;
        }
        case OpKind::Disable:
            if (o.accepted) {
                w.add("  - disable: " + op.module);
            } else {
                w.add("  - write: /sys/kernel/livepatch/" + op.module + "/enabled");
                w.add("    value: \"0\"");
            }
            w.add(comment);
            if (!o.accepted)
                w.add(errnoLine);
            break;
        case OpKind::Unload:
        case OpKind::UnloadTarget:
            w.add(std::string(o.accepted ? "  - unload: " : "  - unload-fail: ") + op.module);
            w.add(comment);
            if (!o.accepted)
                w.add(errnoLine);
            break;
        }
        logLines(w, o);

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
        auto sysfs = model.sysfsPatches();
        for (const auto& p : patches) {
            auto it = std::find_if(sysfs.begin(), sysfs.end(), [&](const auto& e) { return e.first == p; });
            if (it != sysfs.end()) {
                w.add("  - expect-sysfs: /sys/kernel/livepatch/" + p + "/enabled");
                w.add(std::string("    value: \"") + (it->second ? "1" : "0") + "\"");
            } else {
                w.add("  - expect-sysfs: /sys/kernel/livepatch/" + p);
                w.add("    absent: true");
            }
        }
    }
    if (g.lineOp.empty())  // nothing to run: a case needs a step
        w.add("  - read: /proc/cmdline");
    g.yaml = w.text();
    return g;
}

}  // namespace klp::explore
