// Rules both forwarding loops keep (Forwarder, NativeBridge), so they cannot drift apart.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "single_writer.hpp"
#include "tuntap/error.hpp"
#include "tuntap/forwarder.hpp"

namespace tuntap::detail {

// Packets per read: ForwarderConfig::batch_size, or the source's own when 0, within 1-1024.
inline std::size_t batch_for(const ForwarderConfig& config, std::size_t source_batch) noexcept {
  constexpr std::size_t most = 1024;
  return std::clamp<std::size_t>(config.batch_size != 0 ? config.batch_size : source_batch, 1, most);
}

// An end reporting one of these will not work again.
inline bool end_is_gone(std::error_code ec) noexcept { return ec == errc::closed || ec == errc::device_gone; }

// Counts an end that is gone (end_is_gone(ec)) as ForwarderStats defines: closed is how stop() and
// a swap end an end's use, so it counts nothing; a deleted device is an error and an end gone.
inline void count_gone(std::error_code ec, std::atomic<std::uint64_t>& errors,
                       std::atomic<std::uint64_t>& ends_gone) noexcept {
  if (ec != errc::device_gone) return;
  bump(errors);
  bump(ends_gone);
}

}  // namespace tuntap::detail
