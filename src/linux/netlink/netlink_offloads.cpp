// Active offloads of an interface, as `ethtool -k` shows them.
//
// Read through the SIOCETHTOOL ioctl rather than the ethtool generic-netlink family: three fixed
// requests (count the feature names, fetch them, fetch the bit blocks) against resolving a genetlink
// family and parsing nested bitsets, for the same bits.
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "linux/netlink/netlink_internal.hpp"

namespace tuntap::netlink {
namespace {

using detail::nl::Failure;

// The kernel has well under 100 feature bits; anything far beyond is not a feature list.
constexpr std::uint32_t kMaxFeatures = 1024;

class EthtoolSocket {
 public:
  EthtoolSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~EthtoolSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  EthtoolSocket(const EthtoolSocket&) = delete;
  EthtoolSocket& operator=(const EthtoolSocket&) = delete;
  int fd() const { return fd_; }

  // SIOCETHTOOL with the request in `buffer`; returns 0 or errno.
  int call(std::string_view name, void* buffer) const {
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), name.size());
    ifr.ifr_data = static_cast<char*>(buffer);
    return ::ioctl(fd_, SIOCETHTOOL, &ifr) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

template <class T>
void put(std::vector<std::uint64_t>& buf, std::size_t offset, T value) {
  std::memcpy(reinterpret_cast<std::byte*>(buf.data()) + offset, &value, sizeof value);
}
template <class T>
T get(const std::vector<std::uint64_t>& buf, std::size_t offset) {
  T value;
  std::memcpy(&value, reinterpret_cast<const std::byte*>(buf.data()) + offset, sizeof value);
  return value;
}
std::vector<std::uint64_t> buffer_of(std::size_t bytes) { return std::vector<std::uint64_t>((bytes + 7) / 8, 0); }

Offloads query(std::string_view name, Failure& f) {
  Offloads out;
  netlink::LinkInfo link;
  if (!detail::nl::query_link(name, link, f)) return out;
  std::string what = "SIOCETHTOOL " + std::string(name);
  EthtoolSocket sock;
  if (sock.fd() < 0) {
    f.fail(errno_code(errno), what, "socket for the ioctl");
    return out;
  }
  auto fail = [&](int err, const char* step) { f.fail(errno_code(err), what + " " + step); };

  // 1. How many feature names (struct ethtool_sset_info: cmd, reserved, sset_mask, data[1]).
  auto info = buffer_of(24);
  put<std::uint32_t>(info, 0, ETHTOOL_GSSET_INFO);
  put<std::uint64_t>(info, 8, std::uint64_t{1} << ETH_SS_FEATURES);
  if (int err = sock.call(name, info.data())) {
    fail(err, "ETHTOOL_GSSET_INFO");
    return out;
  }
  auto count = get<std::uint32_t>(info, 16);
  if (get<std::uint64_t>(info, 8) == 0 || count == 0 || count > kMaxFeatures) {
    f.fail(errc::unsupported, what, "the interface reports no feature list");
    return out;
  }

  // 2. Their names (struct ethtool_gstrings: cmd, string_set, len, then len * 32 bytes).
  auto strings = buffer_of(12 + std::size_t{count} * ETH_GSTRING_LEN);
  put<std::uint32_t>(strings, 0, ETHTOOL_GSTRINGS);
  put<std::uint32_t>(strings, 4, ETH_SS_FEATURES);
  put<std::uint32_t>(strings, 8, count);
  if (int err = sock.call(name, strings.data())) {
    fail(err, "ETHTOOL_GSTRINGS");
    return out;
  }
  count = std::min(count, get<std::uint32_t>(strings, 8));

  // 3. The bits (struct ethtool_gfeatures: cmd, size, then blocks of available/requested/active/never).
  std::uint32_t blocks = (count + 31) / 32;
  auto features = buffer_of(8 + std::size_t{blocks} * 16);
  put<std::uint32_t>(features, 0, ETHTOOL_GFEATURES);
  put<std::uint32_t>(features, 4, blocks);
  if (int err = sock.call(name, features.data())) {
    fail(err, "ETHTOOL_GFEATURES");
    return out;
  }

  const auto* names = reinterpret_cast<const char*>(strings.data()) + 12;
  for (std::uint32_t i = 0; i < count; ++i) {
    const char* text = names + std::size_t{i} * ETH_GSTRING_LEN;
    std::string_view feature(text, ::strnlen(text, ETH_GSTRING_LEN));
    auto active = get<std::uint32_t>(features, 8 + std::size_t{i / 32} * 16 + 8);
    bool on = (active >> (i % 32)) & 1U;
    if (feature == "tx-checksum-ip-generic") out.tx_checksum = on;
    else if (feature == "tx-scatter-gather") out.scatter_gather = on;
    else if (feature == "tx-tcp-segmentation") out.tso4 = on;
    else if (feature == "tx-tcp6-segmentation") out.tso6 = on;
    else if (feature == "tx-tcp-ecn-segmentation") out.tso_ecn = on;
    else if (feature == "tx-udp-segmentation") out.uso = on;
    else if (feature == "tx-generic-segmentation") out.gso = on;
    else if (feature == "rx-gro") out.gro = on;
  }
  return out;
}

}  // namespace

Offloads offloads(std::string_view name) {
  return detail::nl::throwing([&](Failure& f) { return query(name, f); });
}
Offloads offloads(std::string_view name, std::error_code& ec) {
  return detail::nl::with_code(ec, [&](Failure& f) { return query(name, f); });
}

}  // namespace tuntap::netlink
