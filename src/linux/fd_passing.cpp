// Descriptors over Unix sockets: one SCM_RIGHTS control message per one-byte message.
#include "tuntap/fd_passing.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tuntap {
namespace {

// Room for a few descriptors, so a sender of more than one is told apart from a truncated message.
constexpr int max_fds = 4;

}  // namespace

void send_fd(int socket, int fd, std::error_code& ec) noexcept {
  if (fd < 0) {
    ec = errc::invalid_argument;
    return;
  }
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  for (;;) {
    if (::sendmsg(socket, &msg, MSG_NOSIGNAL) == 1) {
      ec.clear();
      return;
    }
    if (errno != EINTR) break;
  }
  ec = errno_code(errno);
}

void send_fd(int socket, int fd) {
  std::error_code ec;
  send_fd(socket, fd, ec);
  throw_if(ec, "send fd " + std::to_string(fd) + " over socket " + std::to_string(socket),
           ec == errc::invalid_argument ? "not a descriptor" : "the socket must be a connected Unix socket");
}

int receive_fd(int socket, std::error_code& ec) noexcept {
  char byte = 0;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_fds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = -1;
  do n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    ec = errno_code(errno);
    return -1;
  }
  // Collect every descriptor that arrived, so none leaks whatever the verdict.
  int fds[max_fds];
  int count = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < k && count < max_fds; ++i)
      std::memcpy(&fds[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
  }
  if (count == 1 && (msg.msg_flags & MSG_CTRUNC) == 0) {
    ec.clear();
    return fds[0];
  }
  for (int i = 0; i < count; ++i) ::close(fds[i]);
  ec = n == 0 && count == 0 ? errc::closed : errc::malformed;
  return -1;
}

int receive_fd(int socket) {
  std::error_code ec;
  int fd = receive_fd(socket, ec);
  throw_if(ec, "receive a descriptor over socket " + std::to_string(socket),
           ec == errc::closed      ? "the peer closed the socket"
           : ec == errc::malformed ? "the message carried no descriptor, or more than one"
                                   : "");
  return fd;
}

}  // namespace tuntap
