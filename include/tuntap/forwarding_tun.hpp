// The base of wrappers that change only what crosses read and write (CallbackTun, CaptureTun):
// everything else passes straight through to the wrapped Tun.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>

#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// Holder owns the wrapped Tun: std::shared_ptr<Tun> when the caller keeps a handle of its own,
/// std::unique_ptr<Tun> when the wrapper is the only owner.
template <typename Holder>
class TUNTAP_API ForwardingTun : public Tun {
 public:
  std::size_t batch_size() const noexcept override { return inner_->batch_size(); }
  std::size_t min_read_offset() const noexcept override { return inner_->min_read_offset(); }
  std::size_t min_write_offset() const noexcept override { return inner_->min_write_offset(); }
  std::size_t mtu() const noexcept override { return inner_->mtu(); }
  std::string_view name() const noexcept override { return inner_->name(); }
  EventQueue* events() noexcept override { return inner_->events(); }
  void close() noexcept override { inner_->close(); }
  /// The wrapped Tun's: a wrapper holds no packets between calls.
  Readiness readiness() noexcept override { return inner_->readiness(); }

  /// The wrapped Tun.
  Tun& inner() const noexcept { return *inner_; }

 protected:
  /// Wraps `inner`, which the wrapper then holds.
  explicit ForwardingTun(Holder inner) noexcept : inner_(std::move(inner)) {}

  /// The wrapped Tun.
  Holder inner_;
};

}  // namespace tuntap
