// A run's own modules (`--module PATH`, repeatable): a .ko as it is, or a
// source dir that kbuild builds against each kernel under test (cached like
// ours). They join ours in the guest's /lib/klp/, so a case names them like ours.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "image/cache.h"
#include "image/kernels.h"
#include "image/module_info.h"
#include "image/modules.h"

namespace klp::image {

struct UserModule {
    std::filesystem::path path;      // as given
    bool source = false;             // a source dir, built per kernel
    bool patch = false;              // a source patch, made a module per kernel by klp-build (--patch)
    std::vector<std::string> names;  // the modules it brings
};

// Checks each path and says which modules it brings, without building: a
// .ko's modinfo name, a source dir's obj-m (Kbuild, else Makefile). Two paths
// bringing the same name, or one of ours, are refused. Throws UsageError naming the path.
// `patches` (--patch) bring livepatch-<file stem> each (image/klp_patch.h).
std::vector<UserModule> inspectUserModules(const std::vector<std::string>& paths,
                                           const std::vector<std::string>& ourNames,
                                           const std::vector<std::string>& patches = {});

// The names `obj-m` lists in a Kbuild file or Makefile ("obj-m += a.o b.o").
// Throws UsageError "<file>:<line>: ..." for one it cannot read literally.
std::vector<std::string> objmNames(const std::filesystem::path& kbuildFile);

// Checks a module against the kernel it is for, before any guest boots: its ELF
// machine against `arch`, its vermagic against `kernelVermagic` (what a module
// built for this kernel carries). Throws UsageError naming the file.
void checkModuleFits(const ModuleInfo& m, const std::string& arch, const std::string& kernelName,
                     const std::string& kernelVermagic);

}  // namespace klp::image
