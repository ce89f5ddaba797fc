#include "compose/udp_receive.hpp"

#include <algorithm>
#include <cstring>

#include "packet/wire.hpp"

namespace tuntap::detail {

DatagramVerdict check_datagram(std::span<const std::byte> packet, std::size_t mtu) noexcept {
  const std::size_t n = packet.size();
  if (n > mtu) return DatagramVerdict::too_long;
  if (n == 0) return DatagramVerdict::too_short;
  const unsigned version = wire::ip_version(packet);
  if (version == 0) return DatagramVerdict::not_ip;
  if (n < (version == 4 ? wire::ipv4_header_length : wire::ipv6_header_length)) return DatagramVerdict::too_short;
  // The length field must cover exactly the datagram. (An IPv6 payload length of 0 would mean a
  // jumbogram: never one on a UDP link.)
  if (wire::declared_ip_length(packet) != n) return DatagramVerdict::bad_length;
  if (version == 4) {
    const std::size_t header = (wire::u8(packet[0]) & 0x0fu) * 4u;
    if (header < wire::ipv4_header_length || header > n) return DatagramVerdict::bad_length;
  }
  return DatagramVerdict::ok;
}

void count_drop(RxTally& t, DatagramVerdict v) noexcept {
  switch (v) {
    case DatagramVerdict::ok: break;
    case DatagramVerdict::too_short: ++t.too_short; break;
    case DatagramVerdict::not_ip: ++t.not_ip; break;
    case DatagramVerdict::bad_length: ++t.bad_length; break;
    case DatagramVerdict::too_long: ++t.too_long; break;
  }
}

bool accept_datagram(const RxDatagram& d, std::size_t mtu, RxTally& t) noexcept {
  if (!d.from_peer) {
    ++t.foreign;
    return false;
  }
  if (d.truncated) {
    ++t.too_long;
    return false;
  }
  auto verdict = check_datagram(d.data, mtu);
  if (verdict != DatagramVerdict::ok) {
    count_drop(t, verdict);
    return false;
  }
  ++t.packets;
  t.bytes += d.data.size();
  return true;
}

std::size_t deliver_datagrams(std::span<const RxDatagram> received, RxCursor& cursor, Buffers bufs,
                              std::span<std::size_t> sizes, std::size_t offset, std::size_t mtu, RxTally& t) noexcept {
  std::size_t k = 0;
  while (cursor.next < received.size() && k < bufs.size()) {
    const RxDatagram& d = received[cursor.next];
    const std::size_t len = d.data.size();
    std::size_t segment = d.segment;
    if (cursor.offset == 0) {
      // Judge the whole datagram once: its source first (a stranger's datagram is foreign, even
      // an empty one), then whether it is empty or the kernel cut it.
      std::size_t datagrams = segment == 0 || len == 0 ? 1 : (len + segment - 1) / segment;
      bool drop = false;
      if (!d.from_peer) {
        t.foreign += datagrams;
        drop = true;
      } else if (len == 0) {
        ++t.too_short;
        drop = true;
      } else if (d.truncated) {
        t.too_long += datagrams;
        drop = true;
      } else if (segment != 0 && segment < len) {
        ++t.gro;
      }
      if (drop) {
        ++cursor.next;
        continue;
      }
    }
    if (segment == 0 || segment > len) segment = len;
    while (cursor.offset < len && k < bufs.size()) {
      std::size_t n = std::min(segment, len - cursor.offset);
      const std::byte* p = d.data.data() + cursor.offset;
      cursor.offset += n;
      auto verdict = check_datagram({p, n}, mtu);
      if (verdict == DatagramVerdict::ok && (bufs[k].size() < offset || bufs[k].size() - offset < n))
        verdict = DatagramVerdict::too_long;
      if (verdict != DatagramVerdict::ok) {
        count_drop(t, verdict);
        continue;
      }
      std::memcpy(bufs[k].data() + offset, p, n);
      sizes[k++] = n;
      ++t.packets;
      t.bytes += n;
    }
    if (cursor.offset >= len) {
      ++cursor.next;
      cursor.offset = 0;
    }
  }
  return k;
}

}  // namespace tuntap::detail
