#include "linux/uring_reader.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "linux/closable_fd.hpp"
#include "linux/device_access.hpp"
#include "linux/device_state.hpp"
#include "tuntap/error.hpp"
#include "tuntap/virtio_net.hpp"

namespace tuntap::detail {

namespace {
// User data of the completions that are not reads (a read's is its buffer's index).
constexpr std::uint64_t wake_poll_tag = std::uint64_t{1} << 32;
constexpr std::uint64_t cancel_tag = std::uint64_t{2} << 32;
constexpr std::uint64_t device_poll_tag = std::uint64_t{3} << 32;
constexpr std::size_t hdr_len = virtio_net_hdr_len;
}  // namespace

UringReader::UringReader(std::size_t max_unit, std::size_t gap, std::error_code& ec, std::string& why)
    : max_unit_(max_unit + gap), gap_(gap) {
  // The reads, the close poll and a cancel fit with room to spare.
  ring_.setup(2 * slots, ec, why);
  if (!ec) buffers_.resize(slots * max_unit_);
}

std::size_t UringReader::fetch(Device& device, std::span<std::byte> into, bool wait, std::error_code& ec) noexcept {
  ClosableFd* fd = DeviceAccess::descriptor(device);
  if (fd == nullptr) {
    ec = errc::closed;
    return 0;
  }
  // Held while this call submits on the descriptor: close() waits for it, after its eventfd has
  // woken the wait below.
  ClosableFd::Use use(*fd, ClosableFd::Side::read);
  if (!use || woken_) {
    ec = errc::closed;
    return 0;
  }
  for (;;) {
    if (count_ == 0) take_all();  // completions already posted: no system call
    if (count_ > 0) return hand_out(into, ec);
    // Nothing completed: arm every free buffer (reads that find packets queued complete inside
    // this call), then wait for the first completion.
    if ((ec = arm(fd->fd()))) return 0;
    take_all();
    if (count_ > 0) continue;
    if (!wait) {
      ec = errc::not_ready;
      return 0;
    }
    if (!wake_poll_) {
      // One-shot, and armed for good: it fires only once the descriptor is closed (the eventfd is
      // never cleared), which is what ends a wait here.
      io_uring_sqe* sqe = ring_.next();
      io_uring_prep_poll_add(sqe, fd->wake_fd(), POLLIN);
      io_uring_sqe_set_data64(sqe, wake_poll_tag);
      if ((ec = ring_.submit())) return 0;
      wake_poll_ = true;
    }
    // A kernel that answers a read of a non-blocking descriptor with EAGAIN instead of arming it
    // leaves no read waiting: then a one-shot poll of the device is the wait.
    if (in_flight_ == 0 && !device_poll_) {
      io_uring_sqe* sqe = ring_.next();
      io_uring_prep_poll_add(sqe, fd->fd(), POLLIN);
      io_uring_sqe_set_data64(sqe, device_poll_tag);
      if ((ec = ring_.submit())) return 0;
      device_poll_ = true;
    }
    if (!take(true, ec)) return 0;
    if (woken_) {
      ec = errc::closed;
      return 0;
    }
  }
}

std::error_code UringReader::arm(int fd) noexcept {
  std::size_t added = 0;
  for (std::size_t i = 0; i < slots; ++i) {
    if (armed_[i]) continue;
    io_uring_sqe* sqe = ring_.next();
    io_uring_prep_read(sqe, fd, buffers_.data() + i * max_unit_, static_cast<unsigned>(max_unit_),
                       static_cast<__u64>(-1));
    io_uring_sqe_set_data64(sqe, i);
    armed_[i] = true;
    ++added;
  }
  if (added == 0) return {};
  in_flight_ += added;
  return ring_.submit();
}

bool UringReader::take(bool wait, std::error_code& ec) noexcept {
  io_uring_cqe* cqe = ring_.completion(wait, ec);
  if (cqe == nullptr) return false;
  const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
  const std::int32_t result = cqe->res;
  ring_.seen(cqe);
  if (tag == wake_poll_tag) {
    wake_poll_ = false;
    woken_ = result != -ECANCELED;
  } else if (tag == device_poll_tag) {
    device_poll_ = false;
  } else if (tag < slots) {
    --in_flight_;
    // A read cancelled (its thread exited, or release()) or refused for now took nothing: its
    // buffer is free. Anything else, a packet or an error, is handed out in its turn.
    if (result == -ECANCELED || result == -EAGAIN || result == -EINTR) {
      armed_[tag] = false;
    } else {
      done_[(head_ + count_) % slots] = {static_cast<std::uint32_t>(tag), result};
      ready_count_.store(++count_, std::memory_order_relaxed);
    }
  }
  return true;
}

void UringReader::take_all() noexcept {
  std::error_code ec;
  while (take(false, ec)) {
  }
}

void UringReader::release() noexcept {
  if (in_flight_ == 0 && !wake_poll_ && !device_poll_) return;
  // By user data, one at a time (IORING_ASYNC_CANCEL_ANY would need 5.19).
  for (std::uint64_t i = 0; i < slots; ++i) {
    if (!armed_[i]) continue;
    io_uring_sqe* sqe = ring_.next();
    io_uring_prep_cancel64(sqe, i, 0);
    io_uring_sqe_set_data64(sqe, cancel_tag);
  }
  for (auto [armed, tag] : {std::pair{wake_poll_, wake_poll_tag}, std::pair{device_poll_, device_poll_tag}}) {
    if (!armed) continue;
    io_uring_sqe* sqe = ring_.next();
    io_uring_prep_cancel64(sqe, tag, 0);
    io_uring_sqe_set_data64(sqe, cancel_tag);
  }
  if (ring_.submit()) return;
  // Cancelling a read that waits on the device completes it at once; a second is plenty, and a ring
  // that does not answer is torn down with the endpoint anyway.
  __kernel_timespec limit{.tv_sec = 1, .tv_nsec = 0};
  while (in_flight_ > 0 || wake_poll_ || device_poll_) {
    io_uring_cqe* cqe = nullptr;
    if (io_uring_wait_cqe_timeout(ring_.get(), &cqe, &limit) != 0) return;
    const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
    ring_.seen(cqe);
    if (tag == wake_poll_tag) wake_poll_ = false;
    else if (tag == device_poll_tag) device_poll_ = false;
    else if (tag < slots) --in_flight_;
  }
  count_ = 0;
  ready_count_.store(0, std::memory_order_relaxed);
}

// The oldest completed read, copied out as the offload engine expects it: the engine's 10-byte
// header and the packet adjoining (a longer header's tail dropped), as Device's reads return it.
std::size_t UringReader::hand_out(std::span<std::byte> into, std::error_code& ec) noexcept {
  const Done d = done_[head_];
  head_ = (head_ + 1) % slots;
  ready_count_.store(--count_, std::memory_order_relaxed);
  armed_[d.slot] = false;  // free again once copied out below
  if (d.result < 0) {
    ec = device_io_error(-d.result);
    return 0;
  }
  const auto n = static_cast<std::size_t>(d.result);
  const std::byte* src = buffers_.data() + d.slot * max_unit_;
  ec.clear();
  if (gap_ == 0) {
    const std::size_t fit = std::min(n, into.size());
    std::memcpy(into.data(), src, fit);
    if (n > fit) ec = errc::jumbo_packet;  // consumed; what fit is returned, as Device::read does
    return fit;
  }
  if (into.size() <= hdr_len) {
    ec = errc::invalid_argument;
    return 0;
  }
  if (n <= hdr_len) {
    std::memcpy(into.data(), src, n);
    return n;
  }
  std::memcpy(into.data(), src, hdr_len);
  if (n < hdr_len + gap_) return hdr_len;  // a header cut short carries no packet
  const std::size_t packet = n - hdr_len - gap_;
  const std::size_t fit = std::min(packet, into.size() - hdr_len);
  std::memcpy(into.data() + hdr_len, src + hdr_len + gap_, fit);
  if (packet > fit) ec = errc::jumbo_packet;
  return hdr_len + fit;
}

}  // namespace tuntap::detail
