// Watches one interface for link changes (rtnetlink group RTNLGRP_LINK) and pushes them into an
// EventQueue: up when the link becomes operationally up (administratively up and running: for a
// TUN/TAP device, while a process holds it open), down when it stops being so, mtu_update when
// its MTU changes. Only real changes are reported, in the order the kernel made them, and only for
// the interface it was started on: it is followed by index, so a rename does not lose it.
//
// The monitor runs its own thread; stop() (or the destructor) ends it promptly and releases its
// descriptors. The queue must outlive the monitor. No event describes the state at start: read it
// with netlink::link() if needed (the monitor subscribes before it reads the state, so nothing that
// happens after start is missed). If the interface is deleted, a down event is pushed (when it was
// up) and the monitor goes quiet.
#pragma once

#include <memory>
#include <string_view>
#include <system_error>

#include "tuntap/events.hpp"
#include "tuntap/export.hpp"

namespace tuntap {

namespace detail {
struct LinkMonitorState;
}

/// Watches one interface (rtnetlink) and pushes its up, down and MTU changes to an EventQueue until
/// it is destroyed. Move-only.
class TUNTAP_API LinkMonitor {
 public:
  /// Starts watching; fails with not_found when there is no such interface.
  static LinkMonitor start(std::string_view name, EventQueue& queue);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static LinkMonitor start(std::string_view name, EventQueue& queue, std::error_code& ec);
  /// start() by interface index; throws tuntap::Error on failure.
  static LinkMonitor start(unsigned ifindex, EventQueue& queue);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static LinkMonitor start(unsigned ifindex, EventQueue& queue, std::error_code& ec);

  LinkMonitor() noexcept;  ///< not running
  ~LinkMonitor();          ///< stops
  /// Takes over what `other` holds; the moved-from object is left empty.
  LinkMonitor(LinkMonitor&&) noexcept;
  /// Releases what this object holds, then takes over what the other holds.
  LinkMonitor& operator=(LinkMonitor&&) noexcept;
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

  /// True from start() until stop().
  bool active() const noexcept;
  /// The watched interface's index.
  unsigned ifindex() const noexcept;
  /// Ends the thread and closes the descriptors; idempotent, callable from any thread but the
  /// monitor's own. The queue is left open (other producers may share it).
  void stop() noexcept;

 private:
  explicit LinkMonitor(std::unique_ptr<detail::LinkMonitorState> state) noexcept;
  std::unique_ptr<detail::LinkMonitorState> state_;
};

}  // namespace tuntap
