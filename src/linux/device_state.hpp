// What a Device holds (not installed): shared by the files that implement Device.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <system_error>

#include "linux/closable_fd.hpp"
#include "linux/read_predictor.hpp"
#include "tuntap/device.hpp"

namespace tuntap::detail {

struct DeviceState {
  ClosableFd fd;
  DeviceConfig config;  // as requested, with the kernel's actual name; used to open more queues
  std::string name;
  unsigned ifindex = 0;
  int vnet_hdr_size = 10;  // sizeof(struct virtio_net_hdr), the kernel's default
  std::atomic<bool> non_blocking{false};
  // Whether blocking reads wait before reading (see ReadPredictor). Written by the reading thread
  // on every read: a cache line of its own, away from the writer's.
  alignas(64) ReadPredictor read_predictor;
  bool read_first = false;  // ignore the predictor (see DeviceAccess::always_read_first)
  // Names seen after a rename, newest last. name() hands out references, so each name it has
  // returned stays where it is until the device goes (a deque; one entry per distinct name).
  std::mutex renames_mutex;
  std::deque<std::string> renames;

  DeviceState(int raw_fd, std::error_code& ec) : fd(raw_fd, ec) {}
};

// The error a failed read/write on a TUN descriptor means to the caller (errno in, code out), for
// every engine that makes those calls.
std::error_code device_io_error(int err) noexcept;

// Sets the header layout the library expects on a device opened or adopted with IFF_VNET_HDR: the
// size, and the host's byte order where the kernel lets it be chosen. Reports which call failed.
std::error_code set_vnet_layout(int fd, int size, const char*& failed_call) noexcept;

}  // namespace tuntap::detail
