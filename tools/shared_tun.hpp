// A Tun that forwards to one held by shared_ptr, for wrappers that take ownership (CaptureTun)
// while the command keeps its own handle for statistics and offload state.
#pragma once

#include <memory>

#include "tuntap/tun.hpp"

namespace tuntap::cli {

class SharedTun final : public Tun {
 public:
  explicit SharedTun(std::shared_ptr<Tun> tun) : tun_(std::move(tun)) {}
  IoResult read(Buffers b, std::span<std::size_t> s, std::size_t off) noexcept override { return tun_->read(b, s, off); }
  IoResult write(Buffers b, std::size_t off) noexcept override { return tun_->write(b, off); }
  std::size_t batch_size() const noexcept override { return tun_->batch_size(); }
  std::size_t min_read_offset() const noexcept override { return tun_->min_read_offset(); }
  std::size_t min_write_offset() const noexcept override { return tun_->min_write_offset(); }
  std::size_t mtu() const noexcept override { return tun_->mtu(); }
  std::string_view name() const noexcept override { return tun_->name(); }
  EventQueue* events() noexcept override { return tun_->events(); }
  void close() noexcept override { tun_->close(); }

 private:
  std::shared_ptr<Tun> tun_;
};

}  // namespace tuntap::cli
