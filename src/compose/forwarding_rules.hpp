// Rules both forwarding loops keep (Forwarder, NativeBridge), so they cannot drift apart.
#pragma once

#include <algorithm>
#include <cstddef>
#include <system_error>

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

}  // namespace tuntap::detail
