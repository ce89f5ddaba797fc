// Parsing of rtnetlink replies over plain bytes: no socket, no syscalls, so the unit tests and the
// fuzzer drive exactly the code the library runs on what the kernel sends.
//
// Every length in the input is checked before it is used: a header, a length field or an attribute
// that runs past the end is errc::malformed, never a read past the buffer. Fields are copied out with
// memcpy, so the buffer needs no particular alignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "tuntap/netlink.hpp"

namespace tuntap::detail::nl {

using Bytes = std::span<const std::byte>;

// One netlink message: its header fields and the bytes after the header (nlmsg_len bounds them).
struct Message {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t portid = 0;
  Bytes payload;
};

// Calls fn for each message of a received datagram, in order; stops at the first error fn returns.
// A header shorter than 16 bytes or an nlmsg_len outside [16, remaining bytes] is malformed.
using MessageFn = std::function<std::error_code(const Message&)>;
std::error_code for_each_message(Bytes datagram, const MessageFn& fn);

// Calls fn(type, payload) for each attribute of a run of attributes (nlattr TLVs, 4-byte aligned).
// The type has the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits cleared. An attribute whose length is
// below 4 or runs past the end is malformed.
using AttributeFn = std::function<std::error_code(std::uint16_t type, Bytes payload)>;
std::error_code for_each_attribute(Bytes attributes, const AttributeFn& fn);

// The attributes of a run indexed by type (the last one wins); types beyond the table are ignored.
std::error_code collect_attributes(Bytes attributes, std::span<std::optional<Bytes>> table);

// The state of one request's reply after some datagrams.
struct ReplyStatus {
  bool finished = false;       // the ACK, the error or NLMSG_DONE arrived: stop receiving
  std::error_code ec;          // the kernel's errno (errno_code), or malformed
  std::string kernel_message;  // the extended ACK text (NLMSGERR_ATTR_MSG), if the kernel sent one
};

// Processes one datagram of the reply to request (seq, portid): data messages go to on_data; an
// NLMSG_ERROR (ACK when its error is 0) or NLMSG_DONE finishes the reply. A message with another
// sequence number or port id, a short error message or an out-of-range errno is malformed.
ReplyStatus process_reply(Bytes datagram, std::uint32_t seq, std::uint32_t portid, const MessageFn& on_data);

// RTM_NEWLINK / RTM_DELLINK. malformed when the ifinfomsg is cut short or a known attribute has the
// wrong size.
std::error_code parse_link(const Message& message, netlink::LinkInfo& link);
// RTM_NEWADDR / RTM_DELADDR. Sets `address` only for IPv4 and IPv6 (other families are skipped).
std::error_code parse_address(const Message& message, std::optional<netlink::Address>& address);
// RTM_NEWROUTE / RTM_DELROUTE, IPv4 and IPv6 only, like parse_address.
std::error_code parse_route(const Message& message, std::optional<netlink::Route>& route);

}  // namespace tuntap::detail::nl
