// Kernel features as cases require them (`requires: kernel-has:`), read from
// livepatch.h: today's struct klp_state, and the one the states series proposes.
#include "image/kernel_features.h"

#include <gtest/gtest.h>

using namespace klp;

namespace {
// The parts of include/linux/livepatch.h the probes look at, as 7.2 has them
// (struct klp_callbacks itself is in livepatch_external.h there).
const char* kToday = R"(
struct klp_object {
	struct klp_callbacks callbacks;
};
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};
)";
// After patches 01-05 of the series.
const char* kProposed = R"(
struct klp_object {
	struct klp_callbacks callbacks;
};
struct klp_state_callbacks {
	int (*pre_patch)(struct klp_patch *patch, struct klp_state *state);
	klp_shadow_dtor_t shadow_dtor;
	bool pre_patch_succeeded;
};
struct klp_state {
	unsigned long id;
	struct klp_state_callbacks callbacks;
	bool block_disable;
	bool is_shadow;
};
)";
}  // namespace

TEST(KernelFeatures, TodaysStatesApiHasVersions) {
    EXPECT_EQ(image::featuresOfLivepatchHeader(kToday), (std::set<std::string>{"object-callbacks", "state-version"}));
}

TEST(KernelFeatures, TheProposedApiHasStateCallbacksAndNoVersion) {
    EXPECT_EQ(image::featuresOfLivepatchHeader(kProposed),
              (std::set<std::string>{"object-callbacks", "state-callbacks"}));
}

// Patch 19 of the series drops the per-object callbacks.
TEST(KernelFeatures, WithoutObjectCallbacks) {
    EXPECT_EQ(image::featuresOfLivepatchHeader("struct klp_state_callbacks {\n"), (std::set<std::string>{"state-callbacks"}));
}

TEST(KernelFeatures, EveryFeatureHasAnExplanation) {
    for (const auto& f : image::kernelFeatureTable()) {
        EXPECT_FALSE(f.about.empty()) << f.name;
        EXPECT_EQ(image::findKernelFeature(f.name), &f);
    }
    EXPECT_EQ(image::findKernelFeature("state-versions"), nullptr);
}

TEST(KernelFeatures, ABareImageTellsNothing) {
    image::KernelImage k;
    k.name = "bare";
    EXPECT_FALSE(image::kernelFeatures(k).has_value());
}
