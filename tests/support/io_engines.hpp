// The I/O engines NativeTun's system tests run over (TunOptions::io): each test parametrized by
// them runs once with threads and once with io_uring, the same assertions for both.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "support/ci.hpp"
#include "tuntap/native_tun.hpp"

namespace tuntap::test {

inline auto io_engines() { return ::testing::Values(IoEngine::threads, IoEngine::uring); }

inline std::string io_name(const ::testing::TestParamInfo<IoEngine>& info) {
  return std::string(to_string(info.param));
}

using ModeAndIo = std::tuple<OffloadMode, IoEngine>;

inline std::string mode_and_io_name(const ::testing::TestParamInfo<ModeAndIo>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" + std::string(to_string(std::get<1>(info.param)));
}

// Empty if `tun` runs on `asked`; else why not. A uring test that silently ran on threads would test
// nothing new: in CI (liburing installed, io_uring allowed) that is a failure, elsewhere a skip.
inline std::string engine_missing(const NativeTun& tun, IoEngine asked) {
  auto state = tun.io_state();
  if (state.engine == asked) return {};
  return std::string("asked for io ") + std::string(to_string(asked)) + ", running " +
         std::string(to_string(state.engine)) + ": " + state.fallback_reason;
}

}  // namespace tuntap::test

// In a test body: fail (CI) or skip (elsewhere) unless `tun` runs on `asked`.
#define TUNTAP_REQUIRE_ENGINE(tun, asked)                                                  \
  do {                                                                                     \
    if (auto missing = ::tuntap::test::engine_missing((tun), (asked)); !missing.empty()) { \
      if (::tuntap::test::in_ci()) FAIL() << missing;                                      \
      GTEST_SKIP() << missing;                                                             \
    }                                                                                      \
  } while (false)
