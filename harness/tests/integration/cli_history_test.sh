#!/usr/bin/env bash
# `report --history` as a team reads it: three nights (the recorded run, with one
# case breaking on night 2 and another failing on night 2 only), rendered and
# opened in a real browser (headless Chromium, DOM after its script ran).
#   cli_history_test.sh KLP_HARNESS_BIN RECORDED_RUN_DIR
set -uo pipefail
bin=$1 recorded=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
browser=$(command -v chromium || command -v chromium-browser) || fail "no chromium (scripts/install-deps.sh installs it)"

for night in 1 2 3; do
    mkdir -p "$tmp/night-$night"
    python3 - "$recorded/results.json" "$tmp/night-$night/results.json" "$night" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
night = int(sys.argv[3])
doc["run"]["started"] = f"2026-12-0{night}T02:00:00Z"
if night >= 2:
    doc["results"][0]["verdict"] = "FAIL"
doc["results"][1]["verdict"] = "FAIL" if night == 2 else "PASS"
json.dump(doc, open(sys.argv[2], "w"))
PY
done
"$bin" report --history "$tmp/night-3" "$tmp/night-1" "$tmp/night-2" --out "$tmp/history" > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; fail "report --history failed"; }
cat "$tmp/out"
grep -q "^2 cases changed verdict, 1 of them more than once" "$tmp/out" || fail "the text summary is wrong"
[ -s "$tmp/history/history.json" ] || fail "no history.json"

# The DOM as the browser built it: the summary is written by the page's script.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
    --dump-dom "file://$tmp/history/history.html" > "$tmp/dom.html" 2> "$tmp/browser.err" ||
    { tail -n 5 "$tmp/browser.err"; fail "chromium could not render the page"; }
cases=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['cases']))" "$tmp/history/history.json")
grep -q "<p id=\"summary\">$cases cases, 2 changed verdict, 1 flip" "$tmp/dom.html" ||
    fail "the page's summary is not what the browser shows: $(grep -o '<p id="summary">[^<]*' "$tmp/dom.html")"
[ "$(grep -o 'class="FAIL first"' "$tmp/dom.html" | wc -l)" -eq 2 ] || fail "the first changed runs are not marked"
grep -q 'href="[^"]*night-1/report.html"' "$tmp/dom.html" || fail "no link to a night's report"
echo "browser: $(grep -o '<p id="summary">[^<]*' "$tmp/dom.html" | sed 's/<p id="summary">//')"
echo "PASS"
