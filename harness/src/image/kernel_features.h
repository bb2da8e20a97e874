// What a kernel's livepatch API offers, read from its own headers. Cases name
// these in `requires: kernel-has:` and SKIP on a kernel without one; our module
// Kbuild makes the same choice when it builds (guest/modules/Kbuild).
#pragma once
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "image/kernels.h"

namespace klp::image {

struct KernelFeature {
    std::string name;   // what a case writes: "state-callbacks"
    std::string about;  // one line for a SKIP reason and `list`
};

// Every feature a case may require, in the order `list` shows them.
const std::vector<KernelFeature>& kernelFeatureTable();

// The feature called `name`, or nullptr.
const KernelFeature* findKernelFeature(const std::string& name);

// The features of `kernel`, from include/linux/livepatch.h of its headers or
// build tree; nullopt when it has none to read (a bare image).
std::optional<std::set<std::string>> kernelFeatures(const KernelImage& kernel);

// Of `livepatch.h`'s text: what the table's probes find (split out for tests).
std::set<std::string> featuresOfLivepatchHeader(const std::string& text);

}  // namespace klp::image
