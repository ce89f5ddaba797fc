#include "mtu_rise_flush.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <system_error>
#include <utility>

#include "netns_switch.hpp"
#include "tuntap/events.hpp"
#include "tuntap/netlink.hpp"

namespace tuntap::cli {

void MtuRiseFlush::watch(std::shared_ptr<NativeTun> tun, std::string netns) {
  auto mtu = static_cast<std::uint32_t>(tun->mtu());
  watched_.push_back({std::move(tun), std::move(netns), mtu});
}

std::vector<std::string> MtuRiseFlush::check() {
  std::vector<std::string> said;
  for (auto& w : watched_) {
    EventQueue* events = w.tun->events();
    if (events == nullptr) continue;
    // The lowest MTU since the last check, and the last one: a rise from the low point flushes.
    std::uint32_t low = w.mtu, now = w.mtu;
    while (auto e = events->try_pop()) {
      if (e->kind != EventKind::mtu_update) continue;
      now = e->mtu;
      low = std::min(low, now);
    }
    w.mtu = now;
    if (now <= low) continue;
    const std::uint32_t before = low;
    std::string where = w.netns.empty() ? "" : " of namespace " + w.netns;
    std::error_code ec;
    try {
      NetnsSwitch in_ns(w.netns);
      netlink::flush_route_cache(ec);
    } catch (const std::system_error& e) {
      ec = e.code();
    }
    if (ec)
      said.push_back(fmt::format("MTU of {} rose from {} to {}; flushing the route cache{} failed: {}", w.tun->name(),
                                 before, now, where, ec.message()));
    else
      said.push_back(fmt::format("MTU of {} rose from {} to {}: flushed the route cache{} (path MTUs learnt "
                                 "below it stay locked otherwise)",
                                 w.tun->name(), before, now, where));
  }
  return said;
}

}  // namespace tuntap::cli
