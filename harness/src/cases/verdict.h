// What a unit of work comes to, in KCIDB's words.
#pragma once
#include <optional>
#include <string>

namespace klp::cases {

// PASS, FAIL (the kernel did not do what the case expects), ERROR (the case or
// its guest broke: crash, hang), SKIP (not applicable), MISS (the harness could
// not run it); and FLAKY: repeated runs of one case disagreed (never the
// verdict of a single run).
enum class Verdict { Pass, Fail, Error, Skip, Miss, Flaky };
const char* verdictName(Verdict v);
// "PASS" -> Verdict::Pass; nullopt for a word that is none.
std::optional<Verdict> verdictFromName(const std::string& name);
// PASS or SKIP: what a run counts as fine.
inline bool isGood(Verdict v) { return v == Verdict::Pass || v == Verdict::Skip; }

}  // namespace klp::cases
