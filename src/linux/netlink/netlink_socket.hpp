// An rtnetlink socket (libmnl) that sends one request at a time and checks its reply: sequence
// number, port id, ACK, and the kernel's extended-ACK text. Requests are built with libmnl's
// attribute helpers in a fixed buffer; replies are parsed by netlink_reply.hpp.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "netlink/netlink_reply.hpp"

namespace tuntap::detail::nl {

// What went wrong, with the words for it: the code, the request ("RTM_NEWADDR tt0 10.0.0.1/24") and
// the explanation (the kernel's extended ACK, or a hint of ours). The first failure sticks.
struct Failure {
  std::error_code ec;
  std::string what;
  std::string hint;

  explicit operator bool() const noexcept { return static_cast<bool>(ec); }
  // Records a failure unless one is already there; returns false so callers can `return f.fail(...)`.
  bool fail(std::error_code code, std::string request, std::string explanation = {});
  // For the throwing forms.
  void throw_if() const;
};

// A request message under construction. Each put_* reports overflow through ok(), so a request that
// did not fit is never sent half-built.
class Request {
 public:
  Request(std::uint16_t type, std::uint16_t flags);
  // The family header (ifinfomsg, ifaddrmsg, rtmsg) right after the netlink header, zeroed.
  template <class T>
  T& family_header() {
    return *static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }
  void put_u8(std::uint16_t type, std::uint8_t value);
  void put_u32(std::uint16_t type, std::uint32_t value);
  void put_string(std::uint16_t type, std::string_view text);
  void put_bytes(std::uint16_t type, std::span<const std::uint8_t> bytes);

  bool ok() const noexcept { return ok_; }
  nlmsghdr* header() noexcept { return nlh_; }

 private:
  alignas(nlmsghdr) std::array<std::byte, 1024> buf_{};
  nlmsghdr* nlh_;
  bool ok_ = true;
};

class Socket {
 public:
  Socket() = default;
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Opens and binds a NETLINK_ROUTE socket (close-on-exec) joined to the RTMGRP_* groups, with
  // extended ACKs on and capped ACKs (the kernel does not echo the request back).
  std::error_code open(unsigned groups = 0);
  bool is_open() const noexcept { return sock_ != nullptr; }
  void close() noexcept;
  int fd() const noexcept;
  std::uint32_t portid() const noexcept { return portid_; }

  // Sends the request (NLM_F_REQUEST | NLM_F_ACK, the next sequence number) and receives until
  // its ACK, error or NLMSG_DONE; data messages go to on_data.
  ReplyStatus transact(Request& request, const MessageFn& on_data = {});

  // Receives one datagram from the kernel without waiting: its bytes, or empty with ec (not_ready
  // when none, malformed when it was larger than the buffer, exhausted when the kernel dropped
  // notifications because we were slow: ENOBUFS).
  std::span<const std::byte> receive(std::error_code& ec);

 private:
  mnl_socket* sock_ = nullptr;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
  std::vector<std::byte> buffer_;
};

// How to explain (and maybe rename) one error of a request when the kernel says nothing itself.
struct Hint {
  std::error_code code;     // the code as errno_code maps the kernel's errno
  std::string_view text;    // the explanation
  std::error_code as = {};  // the code to report instead, when the errno has no tuntap name
};

// Opens a socket, runs the request and records a failure as `what`: the kernel's extended-ACK text
// explains it when there is one, else the matching hint. Returns true on success.
bool run(Request& request, std::string_view what, Failure& f, const MessageFn& on_data = {},
         std::initializer_list<Hint> hints = {});

}  // namespace tuntap::detail::nl
