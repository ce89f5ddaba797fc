// Test seam (not installed): make the next coalesced writes of a NativeTun fail as some kernels
// do (EINVAL for a GSO write), to exercise the fallback without such a kernel.
#pragma once

#include "tuntap/native_tun.hpp"

namespace tuntap::testing {

void fail_next_gso_writes(NativeTun& tun, int count) noexcept;

}  // namespace tuntap::testing
