#include "linux/uring_writer.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "linux/closable_fd.hpp"
#include "linux/device_access.hpp"
#include "linux/device_state.hpp"
#include "tuntap/error.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap::detail {

namespace {
constexpr std::size_t hdr_len = virtio_net_hdr_len;
constexpr std::byte zeros[16] = {};
}  // namespace

UringWriter::UringWriter(std::size_t gap, std::error_code& ec, std::string& why) : gap_(gap) {
  ring_.setup(entries, ec, why);
  if (!ec) iov_.resize(entries * (max_parts + 2));
}

std::size_t UringWriter::write(Device& device, std::span<const Parts> units, bool wait, std::error_code& ec) noexcept {
  ClosableFd* fd = DeviceAccess::descriptor(device);
  if (fd == nullptr) {
    ec = errc::closed;
    return 0;
  }
  ClosableFd::Use use(*fd, ClosableFd::Side::write);
  if (!use) {
    ec = errc::closed;
    return 0;
  }
  std::size_t done = 0;
  while (done < units.size()) {
    const std::size_t n = std::min(units.size() - done, entries);
    bool again = false;
    done += submit(fd->fd(), units.subspan(done, n), ec, again);
    if (!ec) continue;
    // No room in the device's queue (rare: a TUN takes writes as they come): wait as Device::write
    // does, then go on from the first unit not written.
    if (again && wait) {
      if ((ec = fd->wait(POLLOUT))) return done;
      continue;
    }
    return done;
  }
  ec.clear();
  return done;
}

std::size_t UringWriter::submit(int fd, std::span<const Parts> units, std::error_code& ec, bool& again) noexcept {
  // The units the kernel may take: a malformed one ends the chain before it, and the call with it.
  auto bad = [this](const Parts& parts) {
    return parts.empty() || parts.size() > max_parts || (gap_ != 0 && parts[0].size() < hdr_len);
  };
  const std::size_t m = static_cast<std::size_t>(std::find_if(units.begin(), units.end(), bad) - units.begin());
  for (std::size_t k = 0; k < m; ++k) {
    const Parts parts = units[k];
    iovec* iov = iov_.data() + k * (max_parts + 2);
    std::size_t count = 0;
    auto add = [&](const std::byte* p, std::size_t len) { iov[count++] = {const_cast<std::byte*>(p), len}; };
    if (gap_ != 0) {
      add(parts[0].data(), hdr_len);
      add(zeros, gap_);
      if (parts[0].size() > hdr_len) add(parts[0].data() + hdr_len, parts[0].size() - hdr_len);
    } else {
      add(parts[0].data(), parts[0].size());
    }
    for (std::size_t i = 1; i < parts.size(); ++i) add(parts[i].data(), parts[i].size());
    io_uring_sqe* sqe = ring_.next();
    io_uring_prep_writev(sqe, fd, iov, static_cast<unsigned>(count), static_cast<__u64>(-1));
    io_uring_sqe_set_data64(sqe, k);
    if (k + 1 < m) sqe->flags |= IOSQE_IO_LINK;
  }
  if (m > 0) {
    if ((ec = ring_.submit())) return 0;
    // Every operation completes (written, failed, or cancelled after a failure) before the buffers
    // go back to the caller.
    for (std::size_t got = 0; got < m; ++got) {
      io_uring_cqe* cqe = ring_.completion(true, ec);
      if (cqe == nullptr) return 0;  // the ring itself failed: nothing more is known
      results_[io_uring_cqe_get_data64(cqe)] = cqe->res;
      ring_.seen(cqe);
    }
  }
  for (std::size_t k = 0; k < m; ++k)
    if (results_[k] < 0) {
      again = results_[k] == -EAGAIN;
      ec = again ? std::error_code(errc::not_ready) : device_io_error(-results_[k]);
      return k;
    }
  ec = m < units.size() ? std::error_code(errc::invalid_argument) : std::error_code();
  return m;
}

}  // namespace tuntap::detail
