// Test seams (not installed): make the next coalesced writes of a NativeTun fail as some kernels
// do (EINVAL for a GSO write), to exercise the fallback without such a kernel; and say how its
// blocking reads decide whether to wait first.
#pragma once

#include "tuntap/native_tun.hpp"

namespace tuntap::testing {

void fail_next_gso_writes(NativeTun& tun, int count) noexcept;
// True if blocking reads always try the device before waiting (no ReadPredictor).
bool reads_always_first(const NativeTun& tun) noexcept;

}  // namespace tuntap::testing
