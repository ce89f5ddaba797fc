#include "linux/netlink/netlink_socket.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <ctime>

namespace tuntap::detail::nl {
namespace {

// Large enough for any dump batch the kernel builds (it sizes them from what we offered before,
// capped at 32 KiB); a datagram cut short (MSG_TRUNC) is reported, never parsed.
constexpr std::size_t kReceiveBuffer = 64 * 1024;

// A kernel that never answers would hang a setup call forever: give up after this.
constexpr time_t kReplyTimeoutSeconds = 10;

std::error_code last_error() noexcept { return errno_code(errno); }

}  // namespace

bool Failure::fail(std::error_code code, std::string request, std::string explanation) {
  if (!ec) {
    ec = code;
    what = std::move(request);
    hint = std::move(explanation);
  }
  return false;
}

void Failure::throw_if() const {
  if (ec) throw Error(ec, what, hint);
}

Request::Request(std::uint16_t type, std::uint16_t flags) {
  nlh_ = mnl_nlmsg_put_header(buf_.data());
  nlh_->nlmsg_type = type;
  nlh_->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
}

void Request::put_u8(std::uint16_t type, std::uint8_t value) {
  ok_ = ok_ && mnl_attr_put_u8_check(nlh_, buf_.size(), type, value);
}

void Request::put_u32(std::uint16_t type, std::uint32_t value) {
  ok_ = ok_ && mnl_attr_put_u32_check(nlh_, buf_.size(), type, value);
}

void Request::put_string(std::uint16_t type, std::string_view text) {
  // NUL-terminated, as the kernel's NLA_NUL_STRING / IFNAMSIZ policies want.
  std::string copy(text);
  ok_ = ok_ && mnl_attr_put_strz_check(nlh_, buf_.size(), type, copy.c_str());
}

void Request::put_bytes(std::uint16_t type, std::span<const std::uint8_t> bytes) {
  ok_ = ok_ && mnl_attr_put_check(nlh_, buf_.size(), type, bytes.size(), bytes.data());
}

Socket::~Socket() { close(); }

void Socket::close() noexcept {
  if (sock_ != nullptr) mnl_socket_close(sock_);
  sock_ = nullptr;
}

int Socket::fd() const noexcept { return sock_ != nullptr ? mnl_socket_get_fd(sock_) : -1; }

std::error_code Socket::open(unsigned groups) {
  sock_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (sock_ == nullptr) return last_error();
  int on = 1;
  // Without extended ACKs the kernel's explanation ("Invalid prefix length") is lost; without
  // capped ACKs every error echoes the whole request back. Both exist since Linux 4.12/4.3;
  // an older kernel just gives plainer errors.
  mnl_socket_setsockopt(sock_, NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(sock_, NETLINK_CAP_ACK, &on, sizeof on);
  timeval timeout{kReplyTimeoutSeconds, 0};
  ::setsockopt(mnl_socket_get_fd(sock_), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (mnl_socket_bind(sock_, groups, MNL_SOCKET_AUTOPID) < 0) {
    auto ec = last_error();
    mnl_socket_close(sock_);
    sock_ = nullptr;
    return ec;
  }
  portid_ = mnl_socket_get_portid(sock_);
  seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  buffer_.resize(kReceiveBuffer);
  return {};
}

ReplyStatus Socket::transact(Request& request, const MessageFn& on_data) {
  ReplyStatus status;
  status.finished = true;
  if (!request.ok()) {
    status.ec = errc::invalid_argument;  // a value too long for any request we build
    return status;
  }
  auto* nlh = request.header();
  nlh->nlmsg_seq = ++seq_;
  if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) {
    status.ec = last_error();
    return status;
  }
  static const MessageFn ignore = [](const Message&) { return std::error_code{}; };
  while (true) {
    auto n = mnl_socket_recvfrom(sock_, buffer_.data(), buffer_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      // ENOSPC: libmnl's word for a datagram larger than the buffer (MSG_TRUNC).
      status.ec = errno == ENOSPC ? std::error_code(errc::malformed) : last_error();
      return status;
    }
    status = process_reply(std::span(buffer_).first(static_cast<std::size_t>(n)), nlh->nlmsg_seq, portid_,
                           on_data ? on_data : ignore);
    if (status.finished) return status;
  }
}

std::span<const std::byte> Socket::receive(std::error_code& ec) {
  ec.clear();
  while (true) {
    sockaddr_nl from{};
    socklen_t from_len = sizeof from;
    auto n = ::recvfrom(fd(), buffer_.data(), buffer_.size(), MSG_DONTWAIT | MSG_TRUNC,
                        reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      ec = errno == EWOULDBLOCK ? std::error_code(errc::not_ready) : last_error();
      return {};
    }
    // Only the kernel (port 0) speaks for the kernel: anything else on the group is ignored.
    if (from_len != sizeof from || from.nl_pid != 0) continue;
    if (static_cast<std::size_t>(n) > buffer_.size()) {
      ec = errc::malformed;  // cut short: skip it rather than parse half a datagram
      return {};
    }
    return std::span(buffer_).first(static_cast<std::size_t>(n));
  }
}

bool run(Request& request, std::string_view what, Failure& f, const MessageFn& on_data,
         std::initializer_list<Hint> hints) {
  Socket socket;
  if (auto ec = socket.open()) return f.fail(ec, std::string(what) + " (netlink socket)");
  auto status = socket.transact(request, on_data);
  if (!status.ec) return true;
  std::string explanation = status.kernel_message;
  auto code = status.ec;
  for (const auto& h : hints) {
    if (h.code != status.ec) continue;
    if (explanation.empty()) explanation = h.text;
    if (h.as) code = h.as;
    break;
  }
  if (explanation.empty() && code == errc::permission_denied) explanation = "needs CAP_NET_ADMIN";
  if (explanation.empty() && code == errc::malformed) explanation = "the kernel's reply did not parse";
  return f.fail(code, std::string(what), std::move(explanation));
}

}  // namespace tuntap::detail::nl
