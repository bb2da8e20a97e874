// `klp-harness explore`'s pure parts: the seeded generator, sequences as case
// files (parsed by the normal case loader), and ddmin shrinking with a fake
// predicate. No guest.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "cases/case_file.h"
#include "explore/generate.h"
#include "explore/shrink.h"
#include "explore/to_case.h"

using namespace klp::explore;

namespace {

bool sameOps(const std::vector<Op>& a, const std::vector<Op>& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const Op& x, const Op& y) {
               return x.kind == y.kind && x.module == y.module;
           });
}

klp::cases::Case parsed(const GeneratedCase& g) {
    return klp::cases::parseCaseText(g.yaml, "gen.yaml", "gen", nullptr);
}

const klp::cases::Step* stepAt(const klp::cases::Case& c, int line) {
    for (const auto& s : c.steps)
        if (s.line == line)
            return &s;
    return nullptr;
}

}  // namespace

TEST(ExploreGenerate, SameSeedSameSequences) {
    std::mt19937_64 a(7), b(7), c(8);
    for (int i = 0; i < 20; i++) {
        auto x = randomSequence(a, 10, defaultPool());
        auto y = randomSequence(b, 10, defaultPool());
        EXPECT_TRUE(sameOps(x, y));
        EXPECT_EQ(x.size(), 10u);
    }
    std::mt19937_64 a2(7);
    EXPECT_FALSE(sameOps(randomSequence(a2, 10, defaultPool()), randomSequence(c, 10, defaultPool())));
}

TEST(ExploreGenerate, PoolIsOursAndKindsFitTheModule) {
    for (const auto& m : defaultPool())
        EXPECT_TRUE(isTarget(m) || findPatch(m)) << m;
    std::mt19937_64 rng(1);
    std::set<std::string> seen;
    for (const auto& op : randomSequence(rng, 2000, defaultPool())) {
        seen.insert(op.module);
        if (isTarget(op.module)) {
            bool hold = op.kind == OpKind::Hold || op.kind == OpKind::Release || op.kind == OpKind::AddItem ||
                        op.kind == OpKind::ReadItems || op.kind == OpKind::DestroyItems;
            EXPECT_TRUE(op.kind == OpKind::LoadTarget || op.kind == OpKind::UnloadTarget ||
                        (hold && op.module == "klp_target"))
                << opText(op);
            continue;
        }
        EXPECT_TRUE(op.kind != OpKind::LoadTarget && op.kind != OpKind::UnloadTarget) << op.module;
        if (op.kind == OpKind::LoadFailing) {
            EXPECT_FALSE(findPatch(op.module)->failParam.empty()) << op.module;
        }
    }
    EXPECT_EQ(seen.size(), defaultPool().size());
    EXPECT_THROW(randomSequence(rng, 3, {"klp_nonesuch"}), std::invalid_argument);
}

TEST(ExploreGenerate, HazardsAreLeftOut) {
    // Holding a target that is not there, unloading the one whose held kthread
    // blocks a transition, releasing what is not held: nothing a step can run.
    std::vector<Op> ops = {{OpKind::Hold, "klp_target"},         {OpKind::LoadTarget, "klp_target"},
                           {OpKind::Hold, "klp_target"},         {OpKind::Load, "klp_state_v1"},
                           {OpKind::UnloadTarget, "klp_target"}, {OpKind::Release, "klp_target"},
                           {OpKind::Release, "klp_target"},      {OpKind::Disable, "klp_state_v1"}};
    auto kept = withoutHazards(ops);
    ASSERT_EQ(kept.size(), 5u);
    EXPECT_EQ(opText(kept[0]), "load-target klp_target");
    EXPECT_EQ(opText(kept[2]), "load klp_state_v1");
    EXPECT_EQ(opText(kept[3]), "release klp_target");
    EXPECT_EQ(opText(kept[4]), "disable klp_state_v1");
}

// Items: writes of 1 and 0, and a read whose expected output is the model's
// (the shadow values a shadow patch's describe gives, allocating missing ones).
TEST(ExploreToCase, ItemsAreWrittenAndRead) {
    std::vector<Op> ops = {{OpKind::LoadTarget, "klp_target"}, {OpKind::AddItem, "klp_target"},
                           {OpKind::Load, "klp_shadow"},        {OpKind::ReadItems, "klp_target"},
                           {OpKind::DestroyItems, "klp_target"}};
    auto g = toCase(ops, {});
    auto c = parsed(g);
    const std::string& y = g.yaml;
    EXPECT_NE(y.find("  - write: /sys/kernel/klp_target/items\n    value: \"1\"\n"), std::string::npos) << y;
    EXPECT_NE(y.find("  - read: /sys/kernel/klp_target/items\n    expect: \"item 1 shadow 100 (klp_shadow)\"\n"),
              std::string::npos);
    EXPECT_NE(y.find("      - \"klp_shadow: shadow ctor: item 1 value 100\""), std::string::npos);
    EXPECT_NE(y.find("  - write: /sys/kernel/klp_target/items\n    value: \"0\"\n"), std::string::npos);
    EXPECT_NE(y.find("      - \"klp_shadow: shadow dtor: item 1 value 100\""), std::string::npos);
}

// A held kthread: the load that it blocks does not wait, the transition shows in
// sysfs, and the release is followed by the wait for the transition's end with
// the callbacks it runs; a case never ends with the kthread held.
TEST(ExploreToCase, HeldTransitionsAreWaitedFor) {
    std::vector<Op> ops = {{OpKind::LoadTarget, "klp_target"}, {OpKind::Hold, "klp_target"},
                           {OpKind::Load, "klp_state_v1"},      {OpKind::Release, "klp_target"},
                           {OpKind::Hold, "klp_target"},        {OpKind::Disable, "klp_state_v1"}};
    auto g = toCase(ops, {});
    auto c = parsed(g);
    const std::string& y = g.yaml;
    EXPECT_NE(y.find("  - load-nowait: klp_state_v1\n"), std::string::npos) << y;
    EXPECT_NE(y.find("  - expect-sysfs: /sys/kernel/livepatch/klp_state_v1/transition\n    value: \"1\""),
              std::string::npos);
    EXPECT_NE(y.find("  - wait-transition: klp_state_v1\n"), std::string::npos);
    EXPECT_NE(y.find("      - \"klp_state_v1: post_patch: state 1 version 1: loglevel 4 -> 8\""), std::string::npos);
    EXPECT_NE(y.find("  - disable: klp_state_v1\n    wait: none\n"), std::string::npos);
    EXPECT_NE(y.find("expect-re: \"^8\\\\s\""), std::string::npos);  // the loglevel the state sets
    EXPECT_EQ(y.rfind("  - release: klp_target\n"), y.size() - std::string("  - release: klp_target\n").size());
}

TEST(ExploreToCase, StepsAndObservationsFollowTheModel) {
    std::vector<Op> ops = {{OpKind::Load, "klp_replace_a"},   {OpKind::Load, "klp_replace_a"},
                           {OpKind::LoadTarget, "klp_target"}, {OpKind::Unload, "klp_replace_a"},
                           {OpKind::Load, "klp_replace_b"},   {OpKind::Disable, "klp_replace_a"},
                           {OpKind::LoadFailing, "klp_callbacks"}};
    CaseHeader h;
    h.comments = {"a comment"};
    h.seedNote = "klp-harness explore --seed 1 sequence 2";
    auto g = toCase(ops, h);
    auto c = parsed(g);
    EXPECT_EQ(g.yaml.rfind("# a comment\n", 0), 0u);
    ASSERT_EQ(g.lineOp.size(), ops.size());
    EXPECT_NE(c.seeds.front().find("--seed 1 sequence 2"), std::string::npos);
    EXPECT_EQ(c.kernelHas, (std::vector<std::string>{"object-callbacks"}));

    std::vector<const klp::cases::Step*> opSteps;
    for (const auto& [line, index] : g.lineOp) {
        opSteps.push_back(stepAt(c, line));
        ASSERT_TRUE(opSteps.back()) << line;
        EXPECT_EQ(index, static_cast<int>(opSteps.size()) - 1);
    }
    EXPECT_EQ(opSteps[0]->verb, "load");
    ASSERT_EQ(opSteps[0]->log.size(), 1u);
    EXPECT_EQ(opSteps[1]->verb, "load-fail");
    EXPECT_EQ(opSteps[1]->at("errno").errnoName, "EEXIST");
    EXPECT_EQ(opSteps[2]->verb, "load");
    EXPECT_EQ(opSteps[2]->arg, "klp_target");
    EXPECT_EQ(opSteps[3]->verb, "unload-fail");
    EXPECT_EQ(opSteps[3]->at("errno").errnoName, "EAGAIN");
    EXPECT_EQ(opSteps[4]->verb, "load");  // cumulative: replaces klp_replace_a
    EXPECT_EQ(opSteps[5]->verb, "write");  // replaced: no sysfs dir
    EXPECT_EQ(opSteps[5]->arg, "/sys/kernel/livepatch/klp_replace_a/enabled");
    EXPECT_EQ(opSteps[5]->at("value").text, "0");
    EXPECT_EQ(opSteps[5]->at("errno").errnoName, "ENOENT");
    EXPECT_EQ(opSteps[6]->verb, "load-fail");
    EXPECT_EQ(opSteps[6]->opt("params"), "pre_patch_ret=22");
    EXPECT_EQ(opSteps[6]->at("errno").errnoName, "EINVAL");

    // After the first op: /proc/cmdline is the patch's, and its sysfs `enabled` reads 1.
    const auto& s = c.steps;
    auto first = std::find_if(s.begin(), s.end(), [&](const auto& x) { return &x == opSteps[0]; });
    ASSERT_NE(first, s.end());
    EXPECT_EQ(first[1].verb, "read");
    EXPECT_EQ(first[1].arg, "/proc/cmdline");
    EXPECT_EQ(first[1].opt("expect"), "klp_replace_a");
    EXPECT_EQ(first[2].verb, "expect-sysfs");
    EXPECT_EQ(first[2].arg, "/sys/kernel/livepatch/klp_replace_a/enabled");
    EXPECT_EQ(first[2].opt("value"), "1");
    // At the end: klp_replace_b on top, the target reads its unpatched value
    // (klp_replace_b patches vmlinux only), klp_replace_a's dir is gone.
    EXPECT_EQ(s[s.size() - 5].opt("expect"), "klp_replace_b");
    EXPECT_EQ(s[s.size() - 4].arg, "/sys/kernel/klp_target/value");
    EXPECT_EQ(s[s.size() - 4].opt("expect"), "original");
    EXPECT_EQ(s[s.size() - 3].arg, "/sys/kernel/livepatch/klp_replace_a");
    EXPECT_EQ(s[s.size() - 3].opt("absent"), "true");
}

TEST(ExploreToCase, UnpatchedCmdlineMatchesTheBootLine) {
    auto c = parsed(toCase({{OpKind::Disable, "klp_stack_a"}}, {}));
    ASSERT_GE(c.steps.size(), 3u);
    EXPECT_EQ(c.steps[0].verb, "write");
    EXPECT_EQ(c.steps[1].opt("expect-re"), "console=");
    EXPECT_EQ(c.steps[2].opt("absent"), "true");
    EXPECT_TRUE(c.kernelHas.empty());
}

// Every generated case is a valid case file for the normal loader, module names checked.
TEST(ExploreToCase, RandomSequencesAreValidCases) {
    std::mt19937_64 rng(3);
    auto names = klp::cases::ourCaseNames();
    for (int i = 0; i < 300; i++) {
        auto ops = withoutHazards(randomSequence(rng, 12, defaultPool()));
        auto g = toCase(ops, {});
        klp::cases::Case c;
        ASSERT_NO_THROW(c = klp::cases::parseCaseText(g.yaml, "gen.yaml", "gen", &names)) << g.yaml;
        EXPECT_EQ(g.lineOp.size(), ops.size());
    }
}

TEST(ExploreShrink, FindsTheTwoOperationsThatMatter) {
    std::vector<Op> ops;
    for (int i = 0; i < 9; i++)
        ops.push_back({OpKind::Load, "m" + std::to_string(i)});
    // Fails when m2 comes before m7 in the sequence.
    Predicate fails = [](const std::vector<Op>& s) {
        auto a = std::find_if(s.begin(), s.end(), [](const Op& o) { return o.module == "m2"; });
        auto b = std::find_if(s.begin(), s.end(), [](const Op& o) { return o.module == "m7"; });
        return a != s.end() && b != s.end() && a < b;
    };
    auto r = shrink(ops, fails);
    ASSERT_EQ(r.ops.size(), 2u);
    EXPECT_EQ(r.ops[0].module, "m2");
    EXPECT_EQ(r.ops[1].module, "m7");
    EXPECT_FALSE(r.budgetHit);
    EXPECT_GT(r.rounds, 0);
}

TEST(ExploreShrink, BatchesAndBudget) {
    std::vector<Op> ops;
    for (int i = 0; i < 8; i++)
        ops.push_back({OpKind::Load, "m" + std::to_string(i)});
    int batches = 0;
    BatchPredicate one = [&](const std::vector<std::vector<Op>>& cs) {
        batches++;
        std::vector<bool> out;
        for (const auto& c : cs)
            out.push_back(std::any_of(c.begin(), c.end(), [](const Op& o) { return o.module == "m5"; }));
        return out;
    };
    auto r = shrink(ops, one);
    ASSERT_EQ(r.ops.size(), 1u);
    EXPECT_EQ(r.ops[0].module, "m5");
    EXPECT_EQ(r.rounds, batches);

    BatchPredicate never = [](const std::vector<std::vector<Op>>& cs) { return std::vector<bool>(cs.size(), false); };
    auto n = shrink(ops, never);
    EXPECT_TRUE(sameOps(n.ops, ops));  // nothing smaller fails: the input stays
    EXPECT_FALSE(n.budgetHit);
    auto b = shrink(ops, never, 5);
    EXPECT_TRUE(b.budgetHit);
    EXPECT_LE(b.tested, 5);
}

// cli.explore_planted (integration/cli_explore_test.sh) runs seed 26's first
// sequence over this pool: it must reach the planted defect, a restore by
// klp_state_planted's pre_unpatch. A generator change that moves it fails here
// in milliseconds instead of there after a guest run: pick another seed for both.
TEST(ExploreGenerate, PlantedTestSeedReachesTheDefect) {
    std::mt19937_64 rng(26);
    auto ops = randomSequence(rng, 5, {"klp_state_planted", "klp_replace_a"});
    Model model;
    bool restores = false;
    for (const auto& op : ops)
        for (const auto& line : model.apply(op).logLines)
            restores = restores || line == "klp_state_planted: pre_unpatch: state 1 version 1: loglevel 8 -> 4 (original)";
    EXPECT_TRUE(restores);
}
