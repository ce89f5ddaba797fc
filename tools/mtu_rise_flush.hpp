// Spares the namespaces of our devices a kernel trap: when a device's MTU dips below
// net.ipv4.route.min_pmtu, the namespace learns a locked path MTU that a raised MTU does not undo
// for 10 minutes (docs/faults.md). When a watched device's MTU rises, its namespace's IPv4 route
// cache is flushed, as `ip route flush cache` would.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tuntap/native_tun.hpp"

namespace tuntap::cli {

class MtuRiseFlush {
 public:
  // netns: the named namespace the device lives in ("" for the caller's own). The device's link
  // events (NativeTun::events()) are consumed here, so a dip shorter than the checks is seen too.
  void watch(std::shared_ptr<NativeTun> tun, std::string netns);
  // Call now and then: flushes where an MTU rose since the last call, and says so (one line each).
  std::vector<std::string> check();

 private:
  struct Watched {
    std::shared_ptr<NativeTun> tun;
    std::string netns;
    std::uint32_t mtu;
  };
  std::vector<Watched> watched_;
};

}  // namespace tuntap::cli
