// The library's own access to a Device's internals (not installed).
#pragma once

#include <sys/uio.h>

#include <memory>
#include <span>
#include <system_error>

#include "tuntap/device.hpp"

namespace tuntap::detail {

class ClosableFd;

struct DeviceAccess {
  static Device make(std::unique_ptr<DeviceState> state) noexcept;

  // Blocking reads of `device` try the device before waiting on it, every time, instead of
  // following its ReadPredictor. Call before the device is shared with a reading thread.
  static void always_read_first(Device& device) noexcept;
  static bool reads_always_first(const Device& device) noexcept;

  // Waits until either device has a packet to read; errc::closed once either is closed (a close()
  // from another thread wakes the wait). For one thread that serves two devices.
  static std::error_code wait_readable(Device& a, Device& b) noexcept;

  // An ioctl on the device's descriptor, held in use meanwhile (errc::closed once closed); the
  // errno as a code. For the settings that live outside device.cpp (device_knobs.cpp).
  static std::error_code ioctl(const Device& device, unsigned long request, void* arg) noexcept;
  static std::error_code ioctl(const Device& device, unsigned long request, unsigned long arg) noexcept;
  // One read scattered over `iov` (readv), waiting as Device::read does when `wait`. Nothing is
  // checked for a cut packet: the parts must hold the largest the device can return.
  static std::size_t read_parts(Device& device, std::span<const iovec> iov, bool wait, std::error_code& ec) noexcept;
  // The device's descriptor, for an event loop's readiness set (nullptr once moved from).
  static ClosableFd* descriptor(Device& device) noexcept;
};

}  // namespace tuntap::detail
