#!/bin/sh
# `klp-harness report RUN --kcidb FILE` on a recorded run, validated against the
# KCIDB I/O schema (a transcription of kcidb-io's, in fixtures/kcidb), with and
# without log URLs. Also checks what the schema cannot: every build's checkout
# and every test's build is in the file, ids are unique, and date-times are
# RFC 3339 (jsonschema checks "date-time" only with a package Debian 12 lacks).
#   kcidb_validate.sh KLP_HARNESS RUN_DIR SCHEMA
set -eu
bin=$1 run=$2 schema=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `report` re-renders the reports beside results.json: never in the source tree.
cp -r "$run" "$tmp/run"
"$bin" -q report "$tmp/run" --kcidb "$tmp/with-logs.json" --kcidb-log-base 'https://ci.example.org/klp/run-1/' >/dev/null
"$bin" -q report "$tmp/run" --kcidb "$tmp/no-logs.json" --kcidb-origin klp_nightly >/dev/null

# Debian's python3 has python3-jsonschema and python3-rfc3987 (scripts/install-deps.sh);
# a python3 earlier on PATH (pyenv, a venv) may have neither.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" - "$schema" "$tmp/with-logs.json" "$tmp/no-logs.json" <<'PY'
import json, re, sys
import jsonschema
try:
    import rfc3987  # noqa: F401  without it jsonschema skips "format": "uri"
except ImportError:
    sys.exit("kcidb_validate: python3-rfc3987 is missing (scripts/install-deps.sh): URLs would go unchecked")

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
failed = False
for path in sys.argv[2:]:
    data = json.load(open(path))
    problems = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(data)]
    checkouts = {c["id"] for c in data.get("checkouts", [])}
    builds = {b["id"] for b in data.get("builds", [])}
    tests = [t["id"] for t in data.get("tests", [])]
    problems += ["build %s: no checkout %s" % (b["id"], b["checkout_id"])
                 for b in data["builds"] if b["checkout_id"] not in checkouts]
    problems += ["test %s: no build %s" % (t["id"], t["build_id"]) for t in data["tests"] if t["build_id"] not in builds]
    if len(set(tests)) != len(tests) or len(builds) != len(data["builds"]) or len(checkouts) != len(data["checkouts"]):
        problems.append("ids are not unique")
    for kind in ("checkouts", "builds", "tests"):
        for o in data[kind]:
            if "start_time" in o and not stamp.match(o["start_time"]):
                problems.append("%s %s: start_time %r is not RFC 3339" % (kind, o["id"], o["start_time"]))
    if not data["tests"]:
        problems.append("no tests")
    for p in problems:
        print("%s: %s" % (path, p))
    failed |= bool(problems)
    print("%s: %d checkouts, %d builds, %d tests: %s" % (path.rsplit("/", 1)[-1], len(checkouts), len(builds),
                                                      len(tests), "INVALID" if problems else "valid"))
sys.exit(1 if failed else 0)
PY
