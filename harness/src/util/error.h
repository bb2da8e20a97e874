// Errors the harness reports to users: one line, naming what was wrong.
#pragma once
#include <stdexcept>
#include <string>

namespace klp {

// Something the user can fix (bad argument, missing file or tool). Exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The harness or its environment failed (libvirt, SSH, a recipe). Exit code 2.
struct HarnessError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A wait ran out of time.
struct TimeoutError : HarnessError {
    using HarnessError::HarnessError;
};

}  // namespace klp
