// Handing descriptors over a Unix socket (SCM_RIGHTS): how a privileged helper gives the device it
// opened to an unprivileged process, which wraps it with Device::adopt.
//
//   tuntap::send_fd(sock, dev.fd());                                  // the helper
//   auto dev = tuntap::Device::adopt(tuntap::receive_fd(sock));       // the worker
#pragma once

#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"

namespace tuntap {

/// Sends a copy of `fd` over the connected Unix socket `socket` (one byte of data carrying an
/// SCM_RIGHTS message); the sender keeps its own. Throws tuntap::Error on failure.
TUNTAP_API void send_fd(int socket, int fd);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
TUNTAP_API void send_fd(int socket, int fd, std::error_code& ec) noexcept;

/// Receives one descriptor sent by send_fd (or any single SCM_RIGHTS descriptor), close-on-exec;
/// the caller owns it. Waits if the socket is blocking. errc::closed when the peer has closed the
/// socket, errc::malformed for a message that carries no descriptor or more than one (any received
/// are closed). Throws tuntap::Error on failure.
TUNTAP_API int receive_fd(int socket);
/// As the form without `ec`, but a failure is reported in `ec` instead of thrown (and -1 returned).
TUNTAP_API int receive_fd(int socket, std::error_code& ec) noexcept;

}  // namespace tuntap
