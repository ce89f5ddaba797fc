#include "linux/uring_ring.hpp"

#include <cerrno>
#include <cstring>

#include "tuntap/error.hpp"

namespace tuntap::detail {

UringRing::~UringRing() {
  if (ready_) io_uring_queue_exit(&ring_);
}

void UringRing::setup(unsigned entries, std::error_code& ec, std::string& why) noexcept {
  if (int r = io_uring_queue_init(entries, &ring_, 0); r < 0) {
    ec = errno_code(-r);
    why = std::string("io_uring_setup: ") + std::strerror(-r);
    return;
  }
  ready_ = true;
  // Read, writev and poll came with 5.6, cancel by user data with 5.5: a kernel that has io_uring
  // but not these is refused here rather than at the first packet.
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  bool ops = probe != nullptr;
  for (int op : {IORING_OP_READ, IORING_OP_WRITEV, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL})
    ops = ops && io_uring_opcode_supported(probe, op);
  if (probe) io_uring_free_probe(probe);
  if (!ops) {
    ec = errc::unsupported;
    why = "io_uring lacks read, writev, poll or cancel (kernel older than 5.6)";
    return;
  }
  ec.clear();
}

std::error_code UringRing::submit() noexcept {
  for (;;) {
    int r = io_uring_submit(&ring_);
    if (r >= 0) return {};
    if (r != -EINTR && r != -EAGAIN) return errno_code(-r);
  }
}

io_uring_cqe* UringRing::completion(bool wait, std::error_code& ec) noexcept {
  io_uring_cqe* cqe = nullptr;
  for (;;) {
    int r = wait ? io_uring_wait_cqe(&ring_, &cqe) : io_uring_peek_cqe(&ring_, &cqe);
    if (r == 0) {
      ec.clear();
      return cqe;
    }
    if (r == -EINTR) continue;
    if (r == -EAGAIN && !wait) {
      ec.clear();
      return nullptr;
    }
    ec = errno_code(-r);
    return nullptr;
  }
}

}  // namespace tuntap::detail
