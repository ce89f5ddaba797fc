// Two native TUN devices joined both ways by one thread: what A reads goes to B, and back.
//
//   auto a = tuntap::open_tun({.name = "ta", .offload = tuntap::OffloadMode::passthrough});
//   auto b = tuntap::open_tun({.name = "tb", .offload = tuntap::OffloadMode::passthrough});
//   tuntap::NativeBridge bridge(std::move(a), std::move(b), {.cpus = {0}});
//
// Point2Point does the same with a thread per direction, any Tun at either end, and ends that can
// be swapped while it runs. Where both ends are native devices and both directions share one CPU
// anyway (passthrough: a TCP stream's data one way, its acknowledgements the other), one thread
// that reads each device in turn and sleeps only when both are empty saves the context switches
// and wake-ups of two threads handing the CPU to each other: about a tenth of the forwarding CPU
// at a given rate (docs/benchmarks.md). `tuntap bridge --offload passthrough` runs one per queue.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "tuntap/export.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/native_tun.hpp"

namespace tuntap {

/// Two native TUN (or two TAP) devices joined both ways: what is written to one comes out of the other.
class TUNTAP_API NativeBridge {
 public:
  /// Puts both devices in non-blocking mode (the thread must never sleep in one of them while the
  /// other has packets) and starts the thread, placed by config.cpus; config.batch_size as for a
  /// Forwarder; config.busy_poll: how long the thread keeps trying after the last packet. Throws tuntap::Error:
  /// invalid_argument for a null end or the same object at both ends; as a Forwarder does if the thread cannot start or
  /// be placed.
  NativeBridge(std::shared_ptr<NativeTun> a, std::shared_ptr<NativeTun> b, ForwarderConfig config = {});
  ~NativeBridge();
  NativeBridge(const NativeBridge&) = delete;
  NativeBridge& operator=(const NativeBridge&) = delete;

  /// Closes both devices and joins the thread. Idempotent, any thread. The thread also ends by
  /// itself when either device is closed or goes away (a bridge with one end gone carries nothing).
  void stop() noexcept;
  /// Whether the thread has ended (after stop(), or because an end went away: then the direction
  /// that met the deleted device counts it in ends_gone, so a caller can tell which happened).
  bool stopped() const noexcept;

  /// Per direction, as a Forwarder counts (a deleted device in errors and ends_gone). A packet the
  /// destination refuses (too big, malformed) or has no room for (a full device) is dropped and
  /// counted: one thread serves both directions, so it does not wait on one of them.
  ForwarderStats a_to_b() const noexcept;
  /// The counters of the b-to-a direction.
  ForwarderStats b_to_a() const noexcept;

  /// The first device.
  std::shared_ptr<NativeTun> a() const noexcept { return a_; }
  /// The second device.
  std::shared_ptr<NativeTun> b() const noexcept { return b_; }

 private:
  struct Direction;
  void run() noexcept;

  std::shared_ptr<NativeTun> a_, b_;
  std::unique_ptr<Direction> a_to_b_, b_to_a_;
  std::chrono::microseconds busy_poll_{0};
  std::atomic<bool> ended_{false};
  std::mutex join_mutex_;
  std::thread thread_;
};

}  // namespace tuntap
