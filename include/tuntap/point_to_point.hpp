// Two Tuns joined both ways: what A reads goes to B, what B reads goes to A (a tunnel's shape).
#pragma once

#include <memory>
#include <mutex>

#include "tuntap/export.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// Two Forwarders, A to B and B to A, sharing the ends. Swapping an end replaces it in both
/// directions before closing the old one, so neither direction mistakes the swap for the end
/// going away for good. The Forwarder rules hold for each direction (see forwarder.hpp).
///
/// An end whose device is deleted (errc::device_gone) carries nothing more either way. The
/// direction reading it counts that in its stats' ends_gone as soon as its read fails (the other
/// direction when it next writes there): a caller that sees a_to_b().ends_gone + b_to_a().ends_gone
/// grow replaces the end (set_a, set_b) or stops.
class TUNTAP_API Point2Point {
 public:
  /// Either end may be nullptr (set it later). Starts two threads; throws tuntap::Error if it cannot.
  Point2Point(std::shared_ptr<Tun> a, std::shared_ptr<Tun> b, ForwarderConfig config = {});
  ~Point2Point();
  Point2Point(const Point2Point&) = delete;
  Point2Point& operator=(const Point2Point&) = delete;

  /// Install a new end (nullptr unsets it), close the old one unless it is the same, return it.
  std::shared_ptr<Tun> set_a(std::shared_ptr<Tun> a);
  /// set_a() for end b.
  std::shared_ptr<Tun> set_b(std::shared_ptr<Tun> b);
  /// End a.
  std::shared_ptr<Tun> a() const { return a_to_b_.source(); }
  /// End b.
  std::shared_ptr<Tun> b() const { return b_to_a_.source(); }

  /// Closes both ends and joins both threads. Idempotent, any thread.
  void stop() noexcept;
  /// Counters of the a-to-b direction.
  ForwarderStats a_to_b() const noexcept { return a_to_b_.stats(); }
  /// Counters of the b-to-a direction.
  ForwarderStats b_to_a() const noexcept { return b_to_a_.stats(); }

 private:
  std::mutex swap_mutex_;  ///< one swap at a time, so both forwarders agree on each end
  Forwarder a_to_b_;
  Forwarder b_to_a_;
};

}  // namespace tuntap
