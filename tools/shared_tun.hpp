// A Tun that forwards to one held by shared_ptr, for wrappers that take ownership (CaptureTun)
// while the command keeps its own handle for statistics and offload state.
#pragma once

#include <memory>

#include "tuntap/forwarding_tun.hpp"

namespace tuntap::cli {

class SharedTun final : public ForwardingTun<std::shared_ptr<Tun>> {
 public:
  explicit SharedTun(std::shared_ptr<Tun> tun) : ForwardingTun(std::move(tun)) {}
  IoResult read(Buffers b, std::span<std::size_t> s, std::size_t off) noexcept override {
    return inner_->read(b, s, off);
  }
  IoResult write(Buffers b, std::size_t off) noexcept override { return inner_->write(b, off); }
};

}  // namespace tuntap::cli
