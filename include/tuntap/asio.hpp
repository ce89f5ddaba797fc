// Asio I/O object over any Tun that offers readiness (Tun::readiness()): async_read / async_write of
// batches with every completion token (callbacks, use_awaitable, use_future, ...), per-operation
// cancellation, and close from any thread. Header-only glue: the compiled library knows nothing of
// Asio. Standalone Asio by default; define TUNTAP_ASIO_BOOST before including it for Boost.Asio.
// See docs/event-loops.md.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <type_traits>
#include <utility>

#include "tuntap/tun.hpp"

#if defined(TUNTAP_ASIO_BOOST)
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#else
#include <asio/associated_cancellation_slot.hpp>
#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#endif

namespace tuntap {

#if defined(TUNTAP_ASIO_BOOST)
namespace asio_net = ::boost::asio;
/// The error type of completions: Boost's, which holds tuntap's std::error_code categories.
using asio_error_code = ::boost::system::error_code;
#else
namespace asio_net = ::asio;
/// The error type of completions (std::error_code with standalone Asio).
using asio_error_code = ::asio::error_code;
#endif

/// An Asio I/O object over a Tun. The Tun must offer readiness (pipes, native TUN, UDP links and
/// wrappers of them do) and be non-blocking (TunOptions::non_blocking, PipeConfig::non_blocking,
/// UdpLinkConfig::non_blocking): an operation reads or writes at once, and waits on the readiness
/// descriptors only when the endpoint says not_ready.
///
/// Operations: one async_read and one async_write may be outstanding at a time (as for a socket);
/// the buffers must stay valid until the completion. The object is used from its executor (a
/// strand where several threads run the io_context); close() alone may come from any thread.
template <typename Executor = asio_net::any_io_executor>
class AsyncTun {
 public:
  /// The executor of the operations' intermediate steps and default completions.
  using executor_type = Executor;

  /// Takes a share of `tun`; throws std::system_error when it offers no readiness descriptors.
  AsyncTun(const executor_type& ex, std::shared_ptr<Tun> tun) : tun_(std::move(tun)), read_wait_(ex), write_wait_(ex) {
    Readiness r = tun_ ? tun_->readiness() : Readiness{};
    if (!r) throw std::system_error(std::make_error_code(std::errc::not_supported), "AsyncTun: no readiness");
    // Our own duplicates: the waits close them, the endpoint keeps its descriptors.
    int read_fd = ::dup(r.read), write_fd = ::dup(r.write);
    if (read_fd < 0 || write_fd < 0) {
      if (read_fd >= 0) ::close(read_fd);
      if (write_fd >= 0) ::close(write_fd);
      throw std::system_error(errno, std::generic_category(), "AsyncTun: dup");
    }
    read_wait_.assign(read_fd);
    write_wait_.assign(write_fd);
  }

  /// The same, for an execution context (an io_context).
  template <typename Context>
  requires std::is_convertible_v<Context&, asio_net::execution_context&> AsyncTun(Context& context,
                                                                                  std::shared_ptr<Tun> tun)
      : AsyncTun(context.get_executor(), std::move(tun)) {}

  /// The executor.
  executor_type get_executor() noexcept { return read_wait_.get_executor(); }
  /// The Tun (for batch_size(), min_read_offset(), stats...).
  Tun& tun() const noexcept { return *tun_; }

  /// Reads at least one packet, as Tun::read does: completes with (error, count). The error is that
  /// of the read (errc::closed after close(), errc::jumbo_packet with the packets before it, ...) or
  /// operation_aborted when the operation was cancelled (nothing was read then).
  template <typename Token>
  auto async_read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, Token&& token) {
    return asio_net::async_compose<Token, void(asio_error_code, std::size_t)>(ReadOp{this, bufs, sizes, offset}, token,
                                                                              read_wait_);
  }

  /// Writes every packet, as Tun::write does, waiting for room as often as needed: completes with
  /// (error, count) once all are written (count = bufs.size()) or an error stopped it (count =
  /// packets written; a cancelled write reports operation_aborted with what it wrote so far).
  template <typename Token>
  auto async_write(Buffers bufs, std::size_t offset, Token&& token) {
    return asio_net::async_compose<Token, void(asio_error_code, std::size_t)>(WriteOp{this, bufs, offset}, token,
                                                                              write_wait_);
  }

  /// Closes the Tun (any thread): pending and later operations complete with errc::closed.
  void close() noexcept { tun_->close(); }

 private:
  enum class Step { start, run, waited };

  static bool readable(int fd) noexcept {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }

  static asio_error_code to_asio(std::error_code ec) noexcept {
#if defined(TUNTAP_ASIO_BOOST)
    return asio_error_code(ec);
#else
    return ec;
#endif
  }

  // Waits until `wait`'s descriptor is readable, then calls self again. Asio watches descriptors
  // edge-triggered: an edge taken by another thread of the io_context between our not_ready and
  // the wait's start would be lost, so the descriptor is checked again once the wait is armed,
  // and a wait that started too late is cancelled (and the operation retried), never left hanging.
  template <typename Self>
  static void wait_on(asio_net::posix::basic_stream_descriptor<Executor>& wait, bool& rearm, Self& self) {
    rearm = false;
    wait.async_wait(asio_net::posix::descriptor_base::wait_read, std::move(self));
    if (readable(wait.native_handle())) {
      rearm = true;
      wait.cancel();
    }
  }

  template <typename Self>
  static bool cancelled(Self& self) noexcept {
    return self.get_cancellation_state().cancelled() != asio_net::cancellation_type::none;
  }

  using Descriptor = asio_net::posix::basic_stream_descriptor<Executor>;

  // The steps every operation takes before it tries the Tun: the first is posted (a completion
  // never runs inside the initiating call); a wait that failed, or a cancellation, completes the
  // operation with the `done` packets it moved. True when the operation should try now.
  template <typename Self>
  static bool ready_to_try(Self& self, Step& step, Descriptor& wait, asio_error_code ec, bool rearmed,
                           std::size_t done) {
    if (step == Step::start) {
      self.reset_cancellation_state(asio_net::enable_total_cancellation());
      step = Step::run;
      asio_net::post(wait.get_executor(), std::move(self));
      return false;
    }
    if (step == Step::waited && ec && !(ec == asio_net::error::operation_aborted && rearmed && !cancelled(self))) {
      self.complete(cancelled(self) ? asio_error_code(asio_net::error::operation_aborted) : ec, done);
      return false;
    }
    if (cancelled(self)) {
      self.complete(asio_error_code(asio_net::error::operation_aborted), done);
      return false;
    }
    return true;
  }

  struct ReadOp {
    AsyncTun* owner;
    Buffers bufs;
    std::span<std::size_t> sizes;
    std::size_t offset;
    Step step = Step::start;
    std::shared_ptr<bool> rearm = std::make_shared<bool>(false);

    template <typename Self>
    void operator()(Self& self, asio_error_code ec = {}) {
      if (!ready_to_try(self, step, owner->read_wait_, ec, *rearm, 0)) return;
      IoResult r = owner->tun_->read(bufs, sizes, offset);
      if (r.count != 0 || (r.error && r.error != errc::not_ready)) {
        self.complete(to_asio(r.error), r.count);
        return;
      }
      step = Step::waited;
      auto flag = rearm;
      wait_on(owner->read_wait_, *flag, self);
    }
  };

  struct WriteOp {
    AsyncTun* owner;
    Buffers bufs;
    std::size_t offset;
    std::size_t done = 0;
    Step step = Step::start;
    std::shared_ptr<bool> rearm = std::make_shared<bool>(false);

    template <typename Self>
    void operator()(Self& self, asio_error_code ec = {}) {
      if (!ready_to_try(self, step, owner->write_wait_, ec, *rearm, done)) return;
      while (done < bufs.size()) {
        IoResult r = owner->tun_->write(bufs.subspan(done), offset);
        done += r.count;
        if (r.error == errc::not_ready) {
          step = Step::waited;
          auto flag = rearm;
          wait_on(owner->write_wait_, *flag, self);
          return;
        }
        if (r.error) {
          self.complete(to_asio(r.error), done);
          return;
        }
      }
      self.complete(asio_error_code(), done);
    }
  };

  std::shared_ptr<Tun> tun_;
  Descriptor read_wait_;
  Descriptor write_wait_;
};

}  // namespace tuntap
