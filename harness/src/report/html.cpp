#include <algorithm>
#include <map>
#include <vector>

#include "report/writers.h"

namespace klp::report {

std::string htmlEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '&': o += "&amp;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&#39;"; break;  // attributes here are single-quoted too
        default: o += c;
        }
    }
    return o;
}

namespace {

std::string esc(const std::string& s) { return htmlEscape(s); }

std::string anchor(const Json& r) {
    std::string a = "c-" + groupOf(r) + "-" + std::string(r["case"]);
    for (char& c : a)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '-')
            c = '-';
    return a;
}

std::string num(double v, int prec = 1) {
    char b[32];
    std::snprintf(b, sizeof b, "%.*f", prec, v);
    return b;
}

// One transition as an SVG timeline: the transition bar, then one bar per task
// that held it up, from the start until it switched (or the end).
std::string timeline(const Json& t) {
    double start = t["start_ms"], end = t["end_ms"];
    double last = end >= 0 ? end : start + 1000;
    for (const auto& b : t["blockers"])
        last = std::max<double>(last, b["switch_ms"] >= 0 ? double(b["switch_ms"]) : last);
    double span = std::max(last - start, 100.0);
    const int W = 960, left = 340, rowH = 22;
    int rows = 1 + static_cast<int>(t["blockers"].size());
    int H = rows * rowH + 30;
    auto x = [&](double ms) { return left + (ms - start) / span * (W - left - 10); };
    std::string s = "<svg class=tl width='" + std::to_string(W) + "' height='" + std::to_string(H) +
                    "' viewBox='0 0 " + std::to_string(W) + " " + std::to_string(H) + "'>";
    // Axis with ticks every second (or every 5 s for long transitions), and never
    // more than 50 ticks: a transition of days (or a bogus end_ms) stays one small SVG.
    double step = span > 20000 ? 5000 : 1000;
    while (span / step > 50)
        step *= 10;
    for (double ms = 0; ms <= span; ms += step) {
        double px = x(start + ms);
        s += "<line x1='" + num(px) + "' y1='0' x2='" + num(px) + "' y2='" + std::to_string(H - 18) +
             "' class=grid />";
        s += "<text x='" + num(px) + "' y='" + std::to_string(H - 4) + "' class=tick>" + num(ms / 1000, 0) + " s</text>";
    }
    std::string dir = t["direction"];
    s += "<text x='4' y='15' class=lbl>" + esc(std::string(t["patch"]) + " " + dir) + "</text>";
    s += "<rect x='" + num(x(start)) + "' y='4' width='" + num(std::max(2.0, x(last) - x(start))) +
         "' height='14' class='bar " + (end >= 0 ? "done" : "open") + "'><title>" + esc(t["summary"]) + "</title></rect>";
    int row = 1;
    for (const auto& b : t["blockers"]) {
        double until = b["switch_ms"] >= 0 ? double(b["switch_ms"]) : last;
        int y = 4 + row * rowH;
        std::string label = std::string(b["comm"]) + " (" + std::to_string(int(b["pid"])) + ") in " + std::string(b["function"]);
        s += "<text x='4' y='" + std::to_string(y + 11) + "' class=lbl>" + esc(label) + "</text>";
        s += "<rect x='" + num(x(start)) + "' y='" + std::to_string(y) + "' width='" +
             num(std::max(2.0, x(until) - x(start))) + "' height='14' class='bar blk'><title>" + esc(label) +
             ": held the transition " + num((until - start) / 1000, 2) + " s" +
             (b["switch_ms"] >= 0 ? ", then switched" : end >= 0 ? ", switched as it completed" : ", never switched") +
             "</title></rect>";
        if (b["switch_ms"] >= 0)
            s += "<text x='" + num(x(until) + 4) + "' y='" + std::to_string(y + 11) + "' class=tick>switched at " +
                 num((until - start) / 1000, 2) + " s</text>";
        row++;
    }
    return s + "</svg>";
}

const char* css = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222}
h1{font-size:20px} h2{font-size:16px;margin-top:28px;border-top:1px solid #ccc;padding-top:12px}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.PASS{background:#c8ecc8}.FAIL{background:#f7c1c1}.ERROR{background:#f39c7a}.SKIP{background:#e4e4e4}.MISS{background:#f3e08a}
.FLAKY{background:repeating-linear-gradient(135deg,#dcc6f2 0 8px,#f7c1c1 8px 16px)}
td.v a{color:#222;text-decoration:none;font-weight:600;display:block}
pre{background:#f7f7f7;border:1px solid #e2e2e2;padding:8px;overflow:auto;max-height:420px;font-size:12px}
.meta{color:#555} .bar.done{fill:#6a9fd8}.bar.open{fill:#d8a06a}.bar.blk{fill:#d85a5a}
.grid{stroke:#eee}.tick{font-size:10px;fill:#666}.lbl{font-size:11px;fill:#222}
svg.tl{border:1px solid #ddd;background:#fff;margin:4px 0}
)";

// A repeated result's attempts, one row each: what a FLAKY verdict is made of.
std::string attemptsTable(const Json& r) {
    std::string counts = repeatSummary(r);
    if (counts.empty() && !r.contains("attempts"))
        return "";
    std::string h = "<p class=meta>repeated: " + esc(counts) + "</p>";
    if (!r.contains("attempts"))
        return h;
    h += "<table><tr><th>attempt</th><th>verdict</th><th>time</th><th>reason</th><th>logs</th></tr>";
    int i = 0;
    for (const auto& a : r["attempts"]) {
        std::string v = a["verdict"], logs = a.value("logs", "");
        h += "<tr><td>" + std::to_string(++i) + "</td><td class='" + esc(v) + "'>" + esc(v) + "</td><td>" +
             num(a.value("seconds", 0.0)) + " s</td><td>" + esc(a.value("reason", "")) + "</td><td>" +
             (logs.empty() ? "" : "<a href='" + esc(logs) + "'>" + esc(logs) + "</a>") + "</td></tr>";
    }
    return h + "</table>";
}

}  // namespace

// Cases sharing a `compare:` label (one scenario per kernel API), a row a label:
// per kernel the case that ran there, its verdict and its title.
std::string sideBySide(const Json& doc) {
    CompareRows rows = compareRows(doc);
    if (rows.labels.empty() || rows.groups.size() < 2)
        return "";
    std::string h = "<h2>Side by side</h2><p class=meta>cases sharing <code>compare:</code>: the same scenario as "
                    "each kernel's API lets a patch be written; a kernel runs the cases its API allows</p>"
                    "<table><tr><th>scenario</th>";
    for (const auto& g : rows.groups)
        h += "<th>" + esc(g) + "</th>";
    h += "</tr>";
    for (const auto& label : rows.labels) {
        h += "<tr><td>" + esc(label) + "</td>";
        for (const auto& g : rows.groups) {
            std::string cellText;
            for (const Json* r : rows.cells[label][g]) {
                if (r->value("verdict", "") == "SKIP")
                    continue;
                std::string v = r->value("verdict", "");
                cellText += "<p><a class='" + esc(v) + "' style='padding:1px 6px' href='#" + anchor(*r) + "'>" + esc(v) +
                            "</a> " + esc(r->value("case", "")) + "<br>" + esc(r->value("title", "")) + "</p>";
            }
            h += "<td>" + (cellText.empty() ? std::string("&mdash;") : cellText) + "</td>";
        }
        h += "</tr>";
    }
    return h + "</table>";
}

std::string toHtml(const Json& doc) {
    std::vector<std::string> groups, casesOrder;
    std::map<std::pair<std::string, std::string>, const Json*> cell;
    std::map<std::string, int> counts;
    for (const auto& r : doc["results"]) {
        std::string g = groupOf(r), c = r["case"];
        if (std::find(groups.begin(), groups.end(), g) == groups.end())
            groups.push_back(g);
        if (std::find(casesOrder.begin(), casesOrder.end(), c) == casesOrder.end())
            casesOrder.push_back(c);
        cell[{c, g}] = &r;
        counts[r["verdict"]]++;
    }
    const Json& run = doc["run"];
    std::string h = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>klp-harness report</title><style>" +
                    std::string(css) + "</style></head><body>";
    h += "<h1>klp-harness report</h1><p class=meta>" + esc(run["harness"].value("name", "")) + " " +
         esc(run["harness"].value("version", "")) + " on " + esc(run.value("host", "")) + " &middot; " +
         esc(run.value("qemu", "")) + " &middot; " + esc(run.value("backend", "")) + "<br>started " +
         esc(run.value("started", "")) + (run.contains("finished") ? ", finished " + esc(run["finished"]) : " (unfinished)") +
         "</p>";
    if (run.contains("accel") && run["accel"].is_object())
        for (const auto& [label, a] : run["accel"].items())
            h += "<p class=meta>accel " + esc(label) + ": " + esc(a.value("used", "")) + " (" + esc(a.value("why", "")) +
                 ")</p>";
    if (run.contains("emulators") && run["emulators"].is_object())
        for (const auto& [arch, qemu] : run["emulators"].items())
            if (qemu.is_string())
                h += "<p class=meta>" + esc(arch) + " guests: " + esc(qemu.get<std::string>()) + "</p>";
    h += "<p>";
    for (const char* v : {"PASS", "FAIL", "FLAKY", "ERROR", "SKIP", "MISS"})
        if (counts[v])
            h += "<span class='" + std::string(v) + "' style='padding:2px 8px;margin-right:6px'>" + v + " " +
                 std::to_string(counts[v]) + "</span>";
    h += "</p><table><tr><th>kernel</th><th>release / version</th></tr>";
    for (const auto& k : doc["kernels"])
        h += "<tr><td>" + esc(std::string(k["arch"]) + "/" + std::string(k["name"])) + "</td><td>" +
             esc(k.value("release", "")) + " &middot; " + esc(k.value("version", "")) + "</td></tr>";
    h += "</table><h2>Matrix</h2><table><tr><th>case</th>";
    for (const auto& g : groups)
        h += "<th>" + esc(g) + "</th>";
    h += "</tr>";
    for (const auto& c : casesOrder) {
        h += "<tr><td>" + esc(c) + "</td>";
        for (const auto& g : groups) {
            auto it = cell.find({c, g});
            if (it == cell.end()) {
                h += "<td></td>";
                continue;
            }
            const Json& r = *it->second;
            std::string v = r["verdict"], counts = repeatSummary(r);
            // A repeated result shows its passes ("3/5") beside the verdict, the rest in the tooltip.
            std::string tip = counts.empty() ? r.value("reason", "") : counts + ". " + r.value("reason", "");
            h += "<td class='v " + esc(v) + "'><a href='#" + anchor(r) + "' title='" + esc(tip) + "'>" + esc(v) +
                 (counts.empty() ? "" : " " + esc(counts.substr(0, counts.find(' ')))) +
                 " <span style='font-weight:400'>" + num(r.value("seconds", 0.0)) + " s</span></a></td>";
        }
        h += "</tr>";
    }
    h += "</table>" + sideBySide(doc);
    for (const auto& r : doc["results"]) {
        std::string v = esc(r["verdict"]);
        h += "<h2 id='" + anchor(r) + "'><span class='" + v + "' style='padding:1px 6px'>" + esc(verdictText(r)) + "</span> " +
             esc(r["case"]) + " &middot; " + esc(groupOf(r)) + " &middot; " + num(r.value("seconds", 0.0)) + " s</h2>";
        h += "<p>" + esc(r.value("title", "")) + "</p><p class=meta>proves: ";
        for (const auto& s : r["seeds"])
            h += esc(s) + "; ";
        h += "</p>";
        if (!r.value("reason", "").empty())
            h += "<p><b>" + esc(r["reason"]) + "</b></p>";
        if (!r.value("repro", "").empty())
            h += "<p class=meta>repro: <code>" + esc(r["repro"]) + "</code></p>";
        if (!r.value("detail", "").empty())
            h += "<pre>" + esc(r["detail"]) + "</pre>";
        h += attemptsTable(r);
        if (r.contains("boot"))
            h += "<p class=meta>guest: " + esc(r["boot"]) +
                 (r.contains("boot_seconds") ? ", up in " + num(r["boot_seconds"], 2) + " s" : "") + "</p>";
        for (const auto& t : r["transitions"])
            h += "<div>" + timeline(t) + "<div class=meta>" + esc(t["summary"]) + "</div></div>";
        h += "<table><tr><th>line</th><th>step</th><th>status</th><th>time</th><th>message</th></tr>";
        for (const auto& s : r["steps"]) {
            std::string st = s["status"];
            std::string cls = st == "pass" ? "PASS" : st == "fail" ? "FAIL" : st == "skip" ? "SKIP" : "ERROR";
            std::string msg = s.value("message", "");
            for (const auto& sub : s["subtests"])
                msg += std::string(sub["ok"] ? "ok - " : "not ok - ") + std::string(sub["name"]) + "\n";
            h += "<tr><td>" + std::to_string(int(s["line"])) + "</td><td>" + esc(std::string(s["verb"]) + " " + std::string(s["arg"])) +
                 "</td><td class='" + cls + "'>" + st + "</td><td>" + num(s.value("seconds", 0.0)) + " s</td><td>" +
                 (msg.empty() ? "" : "<pre>" + esc(msg) + "</pre>") + "</td></tr>";
        }
        h += "</table><p class=meta>logs:";
        for (const char* k : {"steps", "kernel", "console", "transitions"}) {
            std::string p = r["logs"].value(k, "");
            if (!p.empty())
                h += " <a href='" + esc(p) + "'>" + k + "</a>";
        }
        h += "</p>";
    }
    return h + "</body></html>\n";
}

}  // namespace klp::report
