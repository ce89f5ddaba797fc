// UdpLink: a Tun whose other side is a UDP socket to one peer host, so two Tuns on two machines
// joined by a Forwarder each make a tunnel: every IP packet travels as exactly one UDP datagram.
//
// NO ENCRYPTION AND NO AUTHENTICATION. Packets cross the network in clear text, and the only check
// on incoming datagrams is their source address and port, which anyone on the path can forge. Use
// it inside a trusted network, or carry it over something that encrypts (WireGuard, IPsec, TLS).
//
// Batching: read uses recvmmsg and, where the kernel has it, UDP GRO (one receive may bring many
// equal-sized datagrams, split here by the segment size the kernel reports); write uses sendmmsg
// and, where available, UDP GSO for runs of equal-sized packets (one send, the kernel cuts it into
// datagrams). If the kernel refuses GSO at send time it is switched off and the send retried
// without it: offloads degrade, never break. gso_active()/gro_active() tell which path is in use.
//
// What read accepts: one IPv4 or IPv6 packet per datagram, from the configured peer, whose length
// field matches the datagram and that fits mtu(). Everything else is dropped and counted (stats()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"
#include "tuntap/ip.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// An IP address and a UDP port.
struct TUNTAP_API UdpEndpoint {
  /// The address.
  IpAddress address;
  /// The port, in host order.
  std::uint16_t port = 0;
  /// "10.0.0.1:4000", "[fd00::1]:4000".
  std::string to_string() const;
  /// Equal when every field is.
  friend bool operator==(const UdpEndpoint&, const UdpEndpoint&) = default;
};

/// Bytes the outer IP and UDP headers add to each packet: 28 over IPv4, 48 over IPv6.
constexpr std::size_t udp_overhead(Family outer) noexcept { return (outer == Family::v4 ? 20 : 40) + 8; }

/// The largest UDP payload: 65507 bytes over IPv4, 65527 over IPv6 (without jumbograms).
constexpr std::size_t udp_max_payload(Family outer) noexcept {
  return outer == Family::v4 ? 65535 - 20 - 8 : 65535 - 8;
}

/// The MTU to give the inner TUN (and the link) so that each encapsulated packet still fits the
/// outer path MTU and is never fragmented: 1472 for a 1500-byte IPv4 path, 1452 over IPv6. 0 if the
/// path is too small to carry anything.
constexpr std::size_t udp_inner_mtu(std::size_t outer_path_mtu, Family outer) noexcept {
  return outer_path_mtu > udp_overhead(outer) ? outer_path_mtu - udp_overhead(outer) : 0;
}

/// How a UdpLink binds, whom it talks to and which offloads it tries.
struct TUNTAP_API UdpLinkConfig {
  /// Where packets go and the only source accepted. Required (address and port).
  UdpEndpoint peer;
  /// Local address to bind; default: the wildcard of the peer's family (0.0.0.0 or ::).
  std::optional<IpAddress> bind_address;
  /// Local port; 0 lets the kernel choose (see local_endpoint()).
  std::uint16_t bind_port = 0;
  /// Largest IP packet carried; 0 means udp_inner_mtu(1500, peer family). At most udp_max_payload.
  std::size_t mtu = 0;
  /// Packets per recvmmsg/sendmmsg (1..1024).
  std::size_t batch_size = 64;
  /// read/write return errc::not_ready instead of waiting.
  bool non_blocking = false;
  /// Try UDP GSO on write and UDP GRO on read (used only where the kernel offers them).
  bool gso = true;
  /// Ask the kernel for coalesced receives (UDP GRO); off when it refuses.
  bool gro = true;
  /// Set DF (IP_PMTUDISC_DO): a packet too big for the path fails with jumbo_packet instead of
  /// being fragmented. Off by default, so a wrong MTU costs speed, not connectivity.
  bool dont_fragment = false;
  /// SO_SNDBUF and SO_RCVBUF in bytes, forced past net.core.[rw]mem_max when privileged (else
  /// capped there by the kernel); 0 keeps the kernel's default (about 200 KiB), which overflows
  /// under a TCP stream through the tunnel: the 4 MiB default removed those losses in our tests.
  int socket_buffer = 4 << 20;
  /// What name() returns; default "udp:<peer>".
  std::string name;
};

/// Counters since open; read them from any thread.
struct TUNTAP_API UdpLinkStats {
  std::uint64_t rx_packets = 0;  ///< packets returned by read
  /// Bytes of those packets.
  std::uint64_t rx_bytes = 0;
  std::uint64_t rx_gro_batches = 0;      ///< received datagrams that held several coalesced ones (GRO)
  std::uint64_t dropped_foreign = 0;     ///< datagrams from an address or port other than the peer
  std::uint64_t dropped_too_short = 0;   ///< empty, or shorter than its IP header
  std::uint64_t dropped_not_ip = 0;      ///< version neither 4 nor 6
  std::uint64_t dropped_bad_length = 0;  ///< IP length fields disagree with the datagram
  std::uint64_t dropped_too_long = 0;    ///< larger than mtu() or than the caller's buffer
  std::uint64_t tx_packets = 0;          ///< packets sent by write (one datagram each on the wire)
  /// Bytes of those packets.
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_gso_batches = 0;  ///< sends that carried several packets with UDP GSO
  std::uint64_t gso_fallbacks = 0;   ///< times the kernel refused GSO and it was switched off

  /// Datagrams dropped for their contents (too short, not IP, bad length, too long).
  std::uint64_t dropped_malformed() const noexcept {
    return dropped_too_short + dropped_not_ip + dropped_bad_length + dropped_too_long;
  }
};

namespace detail {
struct UdpLinkState;
}

/// A Tun whose packets travel as UDP datagrams to and from one peer: one end of a tunnel.
class TUNTAP_API UdpLink final : public Tun {
 public:
  /// Creates the socket, binds it and probes the offloads. Errors say which step failed:
  /// "udp link: bind 127.0.0.1:4000: Address already in use".
  static std::unique_ptr<UdpLink> open(const UdpLinkConfig& config);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static std::unique_ptr<UdpLink> open(const UdpLinkConfig& config, std::error_code& ec);

  ~UdpLink() override;
  UdpLink(const UdpLink&) = delete;
  UdpLink& operator=(const UdpLink&) = delete;

  /// Packets from the peer into bufs[i][offset..]. Give each buffer at least mtu() bytes after
  /// offset: a packet that does not fit is dropped and counted as too long. Segments of a GRO
  /// batch that do not fit this call's buffers are returned by the next read (before any new
  /// receive). Blocks until a packet is there (or errc::not_ready when non-blocking).
  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  /// Each bufs[i][offset..] as one datagram to the peer. An empty packet is invalid_argument and
  /// one larger than mtu() is jumbo_packet; either stops the batch there (count = packets sent).
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;

  std::size_t batch_size() const noexcept override;
  std::size_t mtu() const noexcept override;
  std::string_view name() const noexcept override;
  /// Idempotent, any thread: blocked calls return errc::closed promptly; the socket is released
  /// once they have returned.
  void close() noexcept override;
  Readiness readiness() noexcept override;

  /// The bound address and port (the port the kernel chose, if 0 was asked for).
  UdpEndpoint local_endpoint() const noexcept;
  /// The peer datagrams go to and are accepted from.
  const UdpEndpoint& peer() const noexcept;
  /// True while sends use UDP GSO.
  bool gso_active() const noexcept;
  /// True while receives use UDP GRO.
  bool gro_active() const noexcept;
  /// The counters so far.
  UdpLinkStats stats() const noexcept;
  /// The socket, for poll/epoll (-1 once closed). It is non-blocking whatever the mode.
  int fd() const noexcept;

 private:
  explicit UdpLink(std::unique_ptr<detail::UdpLinkState> state) noexcept;
  std::unique_ptr<detail::UdpLinkState> state_;
};

}  // namespace tuntap
