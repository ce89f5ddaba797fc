// Non-owning, bounds-checked views over IPv4/IPv6 packets and their TCP, UDP and ICMP headers.
//
//     std::error_code ec;
//     auto ip = tuntap::IpPacket::parse(std::span(buf).first(n), ec);
//     if (ec && ec != tuntap::errc::truncated_packet) return;     // nothing to look at
//     if (ip.transport_protocol() == tuntap::ipproto::tcp) {
//       auto tcp = tuntap::TcpView::parse(ip, ec);
//       ...tcp.dst_port(), tcp.flags(), tcp.verify_checksum(ip)...
//     }
//     std::puts(tuntap::describe(ip).c_str());   // "IPv4 60 tcp 10.0.0.1:443 > 10.0.0.2:5555 flags=SA"
//
// A view holds a pointer into the caller's bytes and a few offsets: it is cheap to copy, never
// allocates, and is valid only as long as the bytes are. Parsing checks every length field against
// the bytes present; an accessor never reads outside them. Every accessor of an invalid (default or
// failed) view returns zero or an empty span. Multi-byte fields are returned in host order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"
#include "tuntap/ip.hpp"

namespace tuntap {

/// IANA protocol numbers: the IPv4 protocol field and the IPv6 next-header values.
namespace ipproto {
inline constexpr std::uint8_t hopopts = 0;  ///< IPv6 hop-by-hop options
/// ICMP for IPv4.
inline constexpr std::uint8_t icmp = 1;
/// IGMP.
inline constexpr std::uint8_t igmp = 2;
inline constexpr std::uint8_t ipip = 4;  ///< IPv4 in IP
/// TCP.
inline constexpr std::uint8_t tcp = 6;
/// UDP.
inline constexpr std::uint8_t udp = 17;
inline constexpr std::uint8_t ipv6 = 41;      ///< IPv6 in IP
inline constexpr std::uint8_t routing = 43;   ///< IPv6 routing header
inline constexpr std::uint8_t fragment = 44;  ///< IPv6 fragment header
/// GRE.
inline constexpr std::uint8_t gre = 47;
/// IPsec encapsulating security payload.
inline constexpr std::uint8_t esp = 50;
inline constexpr std::uint8_t ah = 51;  ///< authentication header
/// ICMP for IPv6.
inline constexpr std::uint8_t icmpv6 = 58;
inline constexpr std::uint8_t no_next = 59;  ///< IPv6 "no next header"
inline constexpr std::uint8_t dstopts = 60;  ///< IPv6 destination options
/// SCTP.
inline constexpr std::uint8_t sctp = 132;
inline constexpr std::uint8_t mobility = 135;  ///< IPv6 mobility header
/// UDP-Lite.
inline constexpr std::uint8_t udplite = 136;
inline constexpr std::uint8_t hip = 139;  ///< host identity protocol
/// Shim6.
inline constexpr std::uint8_t shim6 = 140;
}  // namespace ipproto

/// TCP flag bits, as in the 14th byte of the header.
namespace tcp_flags {
/// FIN: no more data from the sender.
inline constexpr std::uint8_t fin = 0x01;
/// SYN: synchronise sequence numbers.
inline constexpr std::uint8_t syn = 0x02;
/// RST: reset the connection.
inline constexpr std::uint8_t rst = 0x04;
/// PSH: push the data to the application.
inline constexpr std::uint8_t psh = 0x08;
/// ACK: the acknowledgment field is significant.
inline constexpr std::uint8_t ack = 0x10;
/// URG: the urgent pointer is significant.
inline constexpr std::uint8_t urg = 0x20;
/// ECE: ECN echo.
inline constexpr std::uint8_t ece = 0x40;
/// CWR: congestion window reduced.
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flags

namespace detail {
/// Big-endian field access for the inline accessors below. The library's own code reaches these
/// through src/packet/wire.hpp, the one wire vocabulary; they live here only because the
/// accessors are inline.
inline std::uint16_t load16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) | std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load32(const std::byte* p) noexcept { return (std::uint32_t{load16(p)} << 16) | load16(p + 2); }
inline void store16(std::byte* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
inline void store32(std::byte* p, std::uint32_t v) noexcept {
  store16(p, static_cast<std::uint16_t>(v >> 16));
  store16(p + 2, static_cast<std::uint16_t>(v));
}
inline std::uint8_t u8(std::byte b) noexcept { return std::to_integer<std::uint8_t>(b); }
/// A temporary that owns its bytes (an rvalue std::vector, std::array...): a view of it would
/// dangle at the end of the statement, so the parse overloads taking one are deleted.
template <class R>
concept owning_temporary = std::ranges::range<R> && !std::ranges::borrowed_range<R>;
}  // namespace detail

/// True for the IPv6 next-header values IpPacket walks past as extension headers: hop-by-hop,
/// routing, fragment, destination options, AH, mobility, HIP and shim6 (RFC 7045). ESP is not one:
/// its contents are encrypted, so it ends the walk like a transport protocol.
constexpr bool is_ipv6_extension_header(std::uint8_t next_header) noexcept {
  switch (next_header) {
    case ipproto::hopopts:
    case ipproto::routing:
    case ipproto::fragment:
    case ipproto::dstopts:
    case ipproto::ah:
    case ipproto::mobility:
    case ipproto::hip:
    case ipproto::shim6: return true;
    default: return false;
  }
}

/// One IPv6 extension header: its type (the next-header value that announced it) and its bytes.
struct TUNTAP_API ExtensionHeader {
  /// The header's type: the next-header value that announced it.
  std::uint8_t type = 0;
  std::span<const std::byte> bytes;  ///< the whole header, its next-header byte first
  /// The next-header field of this header (the type of what follows it).
  std::uint8_t next_header() const noexcept { return detail::u8(bytes[0]); }
};

/// An IP packet, v4 or v6.
///
/// parse() sets ec to one of:
///   {}                 a whole packet;
///   errc::short_read     no bytes, or fewer than the fixed header: 20 or 40 (the view is invalid);
///   errc::not_ip_packet  the version nibble (checked first, from the first byte) is neither 4 nor
///                        6 (the view is invalid);
///   errc::malformed      the header contradicts itself: IHL < 5, IPv4 total length < IHL * 4 (the
///                        header runs past the end of the packet), an IPv6 extension header that
///                        runs past the payload length (the view is invalid);
///   errc::truncated_packet  the header says the packet is longer than the bytes present, as when a
///                        read buffer was too small. The view is VALID: every accessor works on the
///                        bytes that are there (bytes(), header(), options(), payload() are clipped to
///                        them), total_length() says how long the packet really is and truncated() is
///                        true. If the cut falls inside the IPv6 extension headers, the walk stops at
///                        the first header that is not wholly present: transport_protocol() names it
///                        and payload() starts with its partial bytes.
/// Bytes after the packet's own length (Ethernet padding) are not an error: bytes() ends where the
/// length field says. Jumbograms (RFC 2675) are not supported: an IPv6 payload length of 0 means an
/// empty payload. The header checksum is not checked by parse(): see verify_header_checksum().
/// parse() of an owning temporary (IpPacket::parse(make_bytes(), ec)) does not compile: the view
/// would dangle at the end of the statement.
class TUNTAP_API IpPacket {
 public:
  static constexpr std::size_t ipv4_header_length = 20;  ///< without options
  static constexpr std::size_t ipv6_header_length = 40;  ///< without extension headers

  /// An invalid, empty view.
  constexpr IpPacket() noexcept = default;

  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static IpPacket parse(std::span<const std::byte> bytes, std::error_code& ec) noexcept;
  /// Throws Error on any error, truncated_packet included (use the error_code form to look at those).
  static IpPacket parse(std::span<const std::byte> bytes);
  template <detail::owning_temporary R>
  static IpPacket parse(R&&, std::error_code&) = delete;
  template <detail::owning_temporary R>
  static IpPacket parse(R&&) = delete;

  /// False for a default view and after an error other than truncated_packet.
  bool valid() const noexcept { return version_ != 0; }
  /// The same as valid().
  explicit operator bool() const noexcept { return valid(); }

  /// 4 or 6; 0 when invalid.
  unsigned version() const noexcept { return version_; }
  /// True for an IPv4 packet.
  bool is_v4() const noexcept { return version_ == 4; }
  /// True for an IPv6 packet.
  bool is_v6() const noexcept { return version_ == 6; }
  /// The packet's family.
  Family family() const noexcept { return is_v6() ? Family::v6 : Family::v4; }

  /// The packet: its first min(total_length(), bytes given) bytes.
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  /// Bytes of the view (what was parsed, possibly more than the header's length says).
  std::size_t size() const noexcept { return size_; }
  /// The length the header claims: IPv4 total length, or 40 + IPv6 payload length.
  std::size_t total_length() const noexcept { return total_; }
  /// Fewer bytes are present than total_length() (parse gave errc::truncated_packet).
  bool truncated() const noexcept { return size_ < total_; }

  /// The IP header up to the transport header: IHL * 4 for IPv4; 40 plus every extension header
  /// for IPv6 (up to a fragment header, for a fragment other than the first).
  std::size_t header_length() const noexcept { return header_len_; }
  /// The IP header: options (IPv4) or extension headers (IPv6) included, clipped to the bytes.
  std::span<const std::byte> header() const noexcept { return {data_, clip(header_len_)}; }
  /// The transport protocol: IPv4 protocol field, or the next-header value after the last
  /// extension header (ipproto::tcp, ipproto::udp, ipproto::icmpv6...).
  std::uint8_t transport_protocol() const noexcept { return protocol_; }
  /// The transport bytes (TCP, UDP, ICMP header and data): after header_length(), up to the end
  /// of bytes(). For a non-first fragment these are fragment data, not a transport header.
  std::span<const std::byte> payload() const noexcept {
    auto h = clip(header_len_);
    return {data_ + h, size_ - h};
  }
  /// total_length() - header_length(): the transport length the header claims (what the pseudo-
  /// header of a TCP/UDP/ICMPv6 checksum uses); larger than payload().size() when truncated.
  std::size_t transport_length() const noexcept { return total_ - header_len_; }

  /// Source address.
  IpAddress src() const noexcept { return address(src_offset()); }
  /// Destination address.
  IpAddress dst() const noexcept { return address(src_offset() + address_size()); }
  /// The raw address bytes (4 or 16) as they sit in the packet: what pseudo_header() takes.
  std::span<const std::byte> src_bytes() const noexcept {
    if (!valid()) return {};
    return {data_ + src_offset(), address_size()};
  }
  /// The destination address's bytes, in network order.
  std::span<const std::byte> dst_bytes() const noexcept {
    if (!valid()) return {};
    return {data_ + src_offset() + address_size(), address_size()};
  }

  /// IPv4 TTL or IPv6 hop limit.
  std::uint8_t ttl() const noexcept { return valid() ? detail::u8(data_[is_v4() ? 8 : 7]) : 0; }
  /// The same as ttl() (the IPv6 name).
  std::uint8_t hop_limit() const noexcept { return ttl(); }
  /// IPv4 TOS byte or IPv6 traffic class; DSCP is its upper six bits, ECN its lower two.
  std::uint8_t traffic_class() const noexcept {
    if (is_v4()) return detail::u8(data_[1]);
    if (is_v6()) return static_cast<std::uint8_t>(detail::load16(data_) >> 4);
    return 0;
  }
  /// The same as traffic_class() (the IPv4 name).
  std::uint8_t tos() const noexcept { return traffic_class(); }
  /// The DSCP: the upper six bits of the traffic class.
  std::uint8_t dscp() const noexcept { return traffic_class() >> 2; }
  /// The ECN bits: the lower two bits of the traffic class.
  std::uint8_t ecn() const noexcept { return traffic_class() & 3; }

  // --- IPv4 only (0, false or empty for IPv6) ---
  /// The header length in 32-bit words (5..15).
  unsigned ihl() const noexcept { return is_v4() ? detail::u8(data_[0]) & 0xfu : 0; }
  /// The IPv4 options: the header after its first 20 bytes.
  std::span<const std::byte> options() const noexcept {
    if (!is_v4()) return {};
    return {data_ + ipv4_header_length, clip(header_len_) - ipv4_header_length};
  }
  /// IPv4 identification field (0 for IPv6).
  std::uint16_t identification() const noexcept { return is_v4() ? detail::load16(data_ + 4) : 0; }
  /// IPv4 don't-fragment flag (false for IPv6).
  bool dont_fragment() const noexcept { return is_v4() && (detail::u8(data_[6]) & 0x40) != 0; }
  /// IPv4 header checksum field (0 for IPv6).
  std::uint16_t header_checksum() const noexcept { return is_v4() ? detail::load16(data_ + 10) : 0; }
  /// IPv4: the header (whole, with options) sums to zero. False if the header is cut short.
  /// IPv6 has no header checksum: true.
  bool verify_header_checksum() const noexcept;

  // --- IPv6 only (0 or empty for IPv4) ---
  /// IPv6 flow label (0 for IPv4).
  std::uint32_t flow_label() const noexcept { return is_v6() ? detail::load32(data_) & 0xfffffu : 0; }
  /// The next-header field of the fixed header (for IPv4, the protocol field).
  std::uint8_t next_header() const noexcept { return valid() ? detail::u8(data_[is_v4() ? 9 : 6]) : 0; }
  /// True when an IPv6 fragment header is present.
  bool has_fragment_header() const noexcept { return frag_off_ != 0; }
  /// The extension headers parse() walked, in order (empty for IPv4).
  class ExtensionHeaders;
  /// The IPv6 extension headers, in order (empty for IPv4).
  ExtensionHeaders extension_headers() const noexcept;

  // --- fragments, both families ---
  /// More-fragments flag (IPv4 flags, or the IPv6 fragment header's M bit).
  bool more_fragments() const noexcept {
    if (is_v4()) return (detail::u8(data_[6]) & 0x20) != 0;
    if (is_v6() && frag_off_ != 0) return (detail::u8(data_[frag_off_ + 3]) & 1) != 0;
    return false;
  }
  /// The fragment offset in BYTES (the header field times 8).
  std::uint16_t fragment_offset() const noexcept {
    if (is_v4()) return static_cast<std::uint16_t>((detail::load16(data_ + 6) & 0x1fffu) * 8u);
    if (is_v6() && frag_off_ != 0) return static_cast<std::uint16_t>(detail::load16(data_ + frag_off_ + 2) & 0xfff8u);
    return 0;
  }
  /// The datagram identification: IPv4 ID, or the IPv6 fragment header's 32-bit ID (0 without one).
  std::uint32_t fragment_id() const noexcept {
    if (is_v4()) return identification();
    if (is_v6() && frag_off_ != 0) return detail::load32(data_ + frag_off_ + 4);
    return 0;
  }
  /// A piece of a fragmented datagram: more fragments follow or the offset is not 0. The first
  /// fragment carries the transport header; the others only data.
  bool is_fragment() const noexcept { return more_fragments() || fragment_offset() != 0; }

 protected:
  // For MutableIpPacket: how the view finds its fields. Not part of the reference.
  /// @cond internal
  std::size_t clip(std::size_t n) const noexcept { return n < size_ ? n : size_; }
  std::size_t address_size() const noexcept { return is_v6() ? 16 : (is_v4() ? 4 : 0); }
  std::size_t src_offset() const noexcept { return is_v6() ? 8 : 12; }
  IpAddress address(std::size_t offset) const noexcept;

  const std::byte* data_ = nullptr;
  std::uint32_t size_ = 0;        ///< bytes().size()
  std::uint32_t total_ = 0;       ///< length per the header
  std::uint32_t header_len_ = 0;  ///< up to the transport header
  std::uint32_t frag_off_ = 0;    ///< IPv6: offset of the (first) fragment header; 0 if none
  std::uint8_t version_ = 0;      ///< 0 = invalid
  std::uint8_t protocol_ = 0;
  /// @endcond
};

/// The IPv6 extension headers of a packet, as a range of ExtensionHeader.
class TUNTAP_API IpPacket::ExtensionHeaders {
 public:
  /// Walks the extension headers, first to last.
  class iterator {
   public:
    /// What the iterator yields.
    using value_type = ExtensionHeader;
    /// Iterator distance.
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    /// The current header.
    ExtensionHeader operator*() const noexcept;
    /// Moves to the next header.
    iterator& operator++() noexcept;
    /// Moves to the next header; returns the iterator as it was.
    iterator operator++(int) noexcept {
      auto old = *this;
      ++*this;
      return old;
    }
    /// Equal when both point at the same header.
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.off_ == b.off_; }

   private:
    friend class IpPacket;
    iterator(const std::byte* data, std::size_t off, std::uint8_t type) noexcept
        : data_(data), off_(off), type_(type) {}
    const std::byte* data_ = nullptr;
    std::size_t off_ = 0;
    std::uint8_t type_ = 0;
  };
  /// The first header.
  iterator begin() const noexcept { return begin_; }
  /// Past the last header.
  iterator end() const noexcept { return end_; }
  /// True when the packet has no extension header.
  bool empty() const noexcept { return begin_ == end_; }

 private:
  friend class IpPacket;
  ExtensionHeaders(iterator b, iterator e) noexcept : begin_(b), end_(e) {}
  iterator begin_, end_;
};

/// An IpPacket over writable bytes, with setters that keep checksums right. It is an IpPacket
/// (every accessor works; pass it where an IpPacket is wanted).
class TUNTAP_API MutableIpPacket : public IpPacket {
 public:
  constexpr MutableIpPacket() noexcept = default;
  /// As IpPacket::parse.
  static MutableIpPacket parse(std::span<std::byte> bytes, std::error_code& ec) noexcept;

  /// The packet's bytes, writable.
  std::span<std::byte> mutable_bytes() const noexcept { return {mutable_data(), size_}; }
  /// The bytes after the IP header, writable.
  std::span<std::byte> mutable_payload() const noexcept {
    auto h = clip(header_len_);
    return {mutable_data() + h, size_ - h};
  }

  /// TTL / hop limit; the IPv4 header checksum is updated incrementally.
  void set_ttl(std::uint8_t ttl) noexcept;
  /// Replace an address with one of the same family (else errc::invalid_argument, nothing changes).
  /// The IPv4 header checksum and the TCP, UDP or ICMPv6 checksum (when its field is present and
  /// the packet is not a non-first fragment) are updated incrementally (RFC 1624); an IPv4 UDP
  /// checksum of 0 (none) stays 0.
  void set_src(const IpAddress& address, std::error_code& ec) noexcept;
  /// set_src() for the destination address.
  void set_dst(const IpAddress& address, std::error_code& ec) noexcept;
  /// Recompute the IPv4 header checksum from scratch (no-op for IPv6 or a cut header).
  void update_header_checksum() noexcept;
  /// Recompute the TCP, UDP, ICMP or ICMPv6 checksum from scratch. False (nothing changed) when the
  /// packet is truncated or a fragment, its transport header is too short, or the protocol is
  /// another one.
  bool update_transport_checksum() noexcept;

 private:
  std::byte* mutable_data() const noexcept { return const_cast<std::byte*>(data_); }
  void set_address(std::size_t offset, const IpAddress& address, std::error_code& ec) noexcept;
};

/// The TCP header and data of a segment.
///
/// parse(ip, ec) takes the transport bytes of an IpPacket whose transport protocol is TCP (else
/// errc::invalid_argument) and that is not a non-first fragment (else errc::unsupported). Errors:
/// errc::malformed when the IP packet is too short for a TCP header or the data offset is < 5 or
/// points past the segment; errc::truncated_packet when the IP packet was truncated: the view is
/// valid if the 20-byte fixed header is present (options() and payload() clipped), invalid if not.
/// parse(bytes, ec) takes a bare segment: errc::short_read under 20 bytes, errc::truncated_packet
/// (valid view) when the data offset points past the bytes.
class TUNTAP_API TcpView {
 public:
  /// The TCP header without options, in bytes.
  static constexpr std::size_t min_header_length = 20;

  constexpr TcpView() noexcept = default;
  /// The TCP segment of an IP packet (the errors are described above).
  static TcpView parse(const IpPacket& ip, std::error_code& ec) noexcept;
  /// A bare TCP segment (the errors are described above).
  static TcpView parse(std::span<const std::byte> segment, std::error_code& ec) noexcept;
  template <detail::owning_temporary R>
  static TcpView parse(R&&, std::error_code&) = delete;

  /// True when the segment parsed (a default-made view is not valid).
  bool valid() const noexcept { return !bytes_.empty(); }
  /// The same as valid().
  explicit operator bool() const noexcept { return valid(); }

  /// Source port.
  std::uint16_t src_port() const noexcept { return field16(0); }
  /// Destination port.
  std::uint16_t dst_port() const noexcept { return field16(2); }
  /// Sequence number.
  std::uint32_t seq() const noexcept { return valid() ? detail::load32(bytes_.data() + 4) : 0; }
  /// Acknowledgment number.
  std::uint32_t ack() const noexcept { return valid() ? detail::load32(bytes_.data() + 8) : 0; }
  /// The data offset field: header length in 32-bit words (5..15).
  unsigned data_offset() const noexcept { return valid() ? detail::u8(bytes_[12]) >> 4 : 0; }
  /// The header length in bytes: data_offset() * 4.
  std::size_t header_length() const noexcept { return data_offset() * 4u; }
  /// The flag byte (tcp_flags::syn | tcp_flags::ack ...).
  std::uint8_t flags() const noexcept { return valid() ? detail::u8(bytes_[13]) : 0; }
  /// All of the flags in mask are set.
  bool has_flags(std::uint8_t mask) const noexcept { return (flags() & mask) == mask; }
  /// Receive window.
  std::uint16_t window() const noexcept { return field16(14); }
  /// Checksum field.
  std::uint16_t checksum() const noexcept { return field16(16); }
  /// Urgent pointer.
  std::uint16_t urgent_pointer() const noexcept { return field16(18); }
  /// The options: the header bytes after the first 20.
  std::span<const std::byte> options() const noexcept;
  /// The data after the header.
  std::span<const std::byte> payload() const noexcept;
  /// The segment as present: header and data.
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  /// The checksum over ip's pseudo-header and the whole segment is right. False when the segment
  /// is not whole (ip truncated or fragmented) or is not ip.payload().
  bool verify_checksum(const IpPacket& ip) const noexcept;

 private:
  std::uint16_t field16(std::size_t off) const noexcept { return valid() ? detail::load16(bytes_.data() + off) : 0; }
  std::span<const std::byte> bytes_;
};

/// The UDP header and data of a datagram. Errors as TcpView; besides, a UDP length field < 8 is
/// errc::malformed, and one larger than the IP payload is errc::malformed (errc::truncated_packet,
/// valid view, if the IP packet was truncated or for a bare datagram). Bytes after the UDP length
/// inside the IP payload are ignored.
class TUNTAP_API UdpView {
 public:
  /// The UDP header, in bytes.
  static constexpr std::size_t header_length = 8;

  constexpr UdpView() noexcept = default;
  /// The UDP datagram of an IP packet; `ec` says why it could not be parsed.
  static UdpView parse(const IpPacket& ip, std::error_code& ec) noexcept;
  /// A bare UDP datagram; `ec` says why it could not be parsed.
  static UdpView parse(std::span<const std::byte> datagram, std::error_code& ec) noexcept;
  template <detail::owning_temporary R>
  static UdpView parse(R&&, std::error_code&) = delete;

  /// True when the datagram parsed (a default-made view is not valid).
  bool valid() const noexcept { return !bytes_.empty(); }
  /// The same as valid().
  explicit operator bool() const noexcept { return valid(); }

  /// Source port.
  std::uint16_t src_port() const noexcept { return field16(0); }
  /// Destination port.
  std::uint16_t dst_port() const noexcept { return field16(2); }
  /// The UDP length field: header plus data.
  std::uint16_t length() const noexcept { return field16(4); }
  /// Checksum field (0: none, IPv4 only).
  std::uint16_t checksum() const noexcept { return field16(6); }
  /// A checksum of 0 means "none" (allowed on IPv4 only).
  bool has_checksum() const noexcept { return checksum() != 0; }
  /// The data after the header, up to the UDP length.
  std::span<const std::byte> payload() const noexcept { return valid() ? bytes_.subspan(header_length) : bytes_; }
  /// Header and data, up to the UDP length (clipped to the bytes present).
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  /// The checksum is right; on IPv4 a checksum of 0 (none) passes, on IPv6 it fails. False when
  /// the datagram is not whole (ip truncated or fragmented) or is not from ip.payload().
  bool verify_checksum(const IpPacket& ip) const noexcept;

 private:
  std::uint16_t field16(std::size_t off) const noexcept { return valid() ? detail::load16(bytes_.data() + off) : 0; }
  std::span<const std::byte> bytes_;
};

/// ICMP and ICMPv6 message types.
namespace icmp {
// ICMPv4 types.
inline constexpr std::uint8_t echo_reply = 0;               ///< ICMPv4 echo reply
inline constexpr std::uint8_t destination_unreachable = 3;  ///< ICMPv4 destination unreachable
inline constexpr std::uint8_t redirect = 5;                 ///< ICMPv4 redirect
inline constexpr std::uint8_t echo_request = 8;             ///< ICMPv4 echo request
inline constexpr std::uint8_t time_exceeded = 11;           ///< ICMPv4 time exceeded
inline constexpr std::uint8_t parameter_problem = 12;       ///< ICMPv4 parameter problem
// ICMPv6 types.
inline constexpr std::uint8_t v6_destination_unreachable = 1;   ///< ICMPv6 destination unreachable
inline constexpr std::uint8_t v6_packet_too_big = 2;            ///< ICMPv6 packet too big
inline constexpr std::uint8_t v6_time_exceeded = 3;             ///< ICMPv6 time exceeded
inline constexpr std::uint8_t v6_parameter_problem = 4;         ///< ICMPv6 parameter problem
inline constexpr std::uint8_t v6_echo_request = 128;            ///< ICMPv6 echo request
inline constexpr std::uint8_t v6_echo_reply = 129;              ///< ICMPv6 echo reply
inline constexpr std::uint8_t v6_router_solicitation = 133;     ///< ICMPv6 router solicitation
inline constexpr std::uint8_t v6_router_advertisement = 134;    ///< ICMPv6 router advertisement
inline constexpr std::uint8_t v6_neighbor_solicitation = 135;   ///< ICMPv6 neighbor solicitation
inline constexpr std::uint8_t v6_neighbor_advertisement = 136;  ///< ICMPv6 neighbor advertisement
}  // namespace icmp

/// An ICMPv4 or ICMPv6 message: type, code, checksum, the 4-byte rest of header, and the body.
/// parse(ip, ec) wants ipproto::icmp on IPv4 or ipproto::icmpv6 on IPv6 (else invalid_argument);
/// errors otherwise as TcpView, with an 8-byte minimum (every defined message has it).
class TUNTAP_API IcmpView {
 public:
  /// The ICMP header, in bytes.
  static constexpr std::size_t header_length = 8;

  constexpr IcmpView() noexcept = default;
  /// The ICMP or ICMPv6 message of an IP packet; `ec` says why it could not be parsed.
  static IcmpView parse(const IpPacket& ip, std::error_code& ec) noexcept;
  /// A bare message; family says ICMPv4 or ICMPv6.
  static IcmpView parse(std::span<const std::byte> message, Family family, std::error_code& ec) noexcept;
  template <detail::owning_temporary R>
  static IcmpView parse(R&&, Family, std::error_code&) = delete;

  /// True when the message parsed (a default-made view is not valid).
  bool valid() const noexcept { return !bytes_.empty(); }
  /// The same as valid().
  explicit operator bool() const noexcept { return valid(); }
  /// True for ICMPv6.
  bool is_v6() const noexcept { return v6_; }
  /// ipproto::icmp or ipproto::icmpv6.
  std::uint8_t protocol() const noexcept { return v6_ ? ipproto::icmpv6 : ipproto::icmp; }

  /// Message type.
  std::uint8_t type() const noexcept { return valid() ? detail::u8(bytes_[0]) : 0; }
  /// Message code.
  std::uint8_t code() const noexcept { return valid() ? detail::u8(bytes_[1]) : 0; }
  /// Checksum field.
  std::uint16_t checksum() const noexcept { return field16(2); }
  /// Bytes 4..7: identifier and sequence of an echo, MTU of "packet too big", pointer of a
  /// parameter problem, gateway of a redirect...
  std::uint32_t rest_of_header() const noexcept { return valid() ? detail::load32(bytes_.data() + 4) : 0; }
  /// An echo request (ping) of either family.
  bool is_echo_request() const noexcept {
    return valid() && type() == (v6_ ? icmp::v6_echo_request : icmp::echo_request);
  }
  /// An echo reply of either family.
  bool is_echo_reply() const noexcept { return valid() && type() == (v6_ ? icmp::v6_echo_reply : icmp::echo_reply); }
  /// An echo request or reply.
  bool is_echo() const noexcept { return is_echo_request() || is_echo_reply(); }
  /// An error message (destination unreachable, time exceeded...): its body quotes the packet
  /// that caused it.
  bool is_error() const noexcept;
  /// Echo identifier and sequence (bytes 4..5 and 6..7, whatever the type).
  std::uint16_t echo_id() const noexcept { return field16(4); }
  /// Echo sequence number (bytes 6..7).
  std::uint16_t echo_sequence() const noexcept { return field16(6); }
  /// The bytes after the 8-byte header: echo data, or the quoted packet of an error.
  std::span<const std::byte> payload() const noexcept { return valid() ? bytes_.subspan(header_length) : bytes_; }
  /// The whole message.
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  /// The packet an error message quotes, parsed (usually errc::truncated_packet: errors quote only
  /// the start of it). errc::invalid_argument if this is not an error message.
  IpPacket quoted_packet(std::error_code& ec) const noexcept;
  /// ICMPv4: the message sums to zero. ICMPv6: with the pseudo-header of ip. False when the
  /// message is not whole.
  bool verify_checksum(const IpPacket& ip) const noexcept;

 private:
  std::uint16_t field16(std::size_t off) const noexcept { return valid() ? detail::load16(bytes_.data() + off) : 0; }
  std::span<const std::byte> bytes_;
  bool v6_ = false;
};

/// Names. protocol_keyword(): the IANA keyword in lower case ("tcp", "udp", "icmp", "ipv6-icmp",
/// "gre", "esp"...) or "" when unnamed; protocol_name(): the keyword or the decimal number.
TUNTAP_API std::string_view protocol_keyword(std::uint8_t protocol) noexcept;
/// The same as protocol_keyword(), or the decimal number when unnamed.
TUNTAP_API std::string protocol_name(std::uint8_t protocol);

/// ICMP names for protocol ipproto::icmp or ipproto::icmpv6: the type ("destination unreachable"),
/// the code within it ("port unreachable"), "" when unknown or when the type has no named codes.
TUNTAP_API std::string_view icmp_type_name(std::uint8_t protocol, std::uint8_t type) noexcept;
/// The name of an ICMP code within its type (see icmp_type_name()).
TUNTAP_API std::string_view icmp_code_name(std::uint8_t protocol, std::uint8_t type, std::uint8_t code) noexcept;
/// "echo request", "destination unreachable / port unreachable", "time exceeded / code 9",
/// "type 77 code 1".
TUNTAP_API std::string icmp_message_name(std::uint8_t protocol, std::uint8_t type, std::uint8_t code);

/// The set TCP flags as letters, in bit order F S R P A U E C: "SA" for SYN+ACK, "" for none.
TUNTAP_API std::string tcp_flags_string(std::uint8_t flags);

/// One line about a packet, for logs and the dump tool (allocates):
///   "IPv4 84 icmp 10.0.0.1 > 10.0.0.2 echo request id=1 seq=2"
///   "IPv6 60 tcp [fd00::1]:443 > [fd00::2]:5555 flags=SA"
///   "IPv4 33 udp 10.0.0.1:1234 > 10.0.0.2:53 len=5"
/// The number is total_length(). Fragments add "frag id=.. off=.." (and "+" when more follow);
/// truncated packets end with "(truncated: N of M bytes)"; an unreadable transport header adds
/// "[bad tcp header: ...]". An invalid view is "invalid packet".
TUNTAP_API std::string describe(const IpPacket& packet);

}  // namespace tuntap
