#include "tuntap/pipe.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace tuntap {

namespace detail {
struct PipeShared {
  explicit PipeShared(const ChannelConfig& config) : a_to_b(config), b_to_a(config) {}
  Channel a_to_b;
  Channel b_to_a;
};
}  // namespace detail

namespace {

// What the bytes before the offset become after a pipe call: a pattern no header starts with.
constexpr std::byte kScribble{0xA5};

void scribble(std::span<std::byte> buf, std::size_t offset, std::size_t length) noexcept {
  if (length != 0 && offset <= buf.size()) {
    std::memset(buf.data() + offset - length, std::to_integer<int>(kScribble), length);
  }
}

}  // namespace

PipeEnd::PipeEnd(std::shared_ptr<detail::PipeShared> shared, bool is_a, const PipeConfig& config)
    : shared_(std::move(shared)),
      in_(is_a ? shared_->b_to_a : shared_->a_to_b),
      out_(is_a ? shared_->a_to_b : shared_->b_to_a),
      batch_size_(config.batch_size),
      mtu_(config.mtu),
      min_read_offset_(config.min_read_offset),
      min_write_offset_(config.min_write_offset),
      name_(is_a ? config.name_a : config.name_b) {
  if (config.events) events_ = std::make_unique<EventQueue>();
}

PipeEnd::~PipeEnd() {
  // A pipe whose end is gone can never be read or written again through that end: tell the peer.
  close();
}

IoResult PipeEnd::read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept {
  if (offset < min_read_offset_) return {0, errc::invalid_argument};
  auto batch = bufs.first(std::min(bufs.size(), batch_size_));
  auto result = in_.receive(batch, sizes, offset);
  // The scratch bytes of every buffer that got bytes (a truncated packet too) are scribbled over.
  std::size_t touched = result.count + (result.error == errc::jumbo_packet ? 1 : 0);
  for (std::size_t i = 0; i < touched; ++i) scribble(batch[i], offset, min_read_offset_);
  return result;
}

IoResult PipeEnd::write(Buffers bufs, std::size_t offset) noexcept {
  if (offset < min_write_offset_) return {0, errc::invalid_argument};
  // The MTU is checked here, so a batch with a jumbo packet queues exactly the packets before it.
  std::size_t valid = 0;
  std::error_code error;
  for (; valid < bufs.size(); ++valid) {
    if (offset > bufs[valid].size()) {
      error = errc::invalid_argument;
      break;
    }
    if (bufs[valid].size() - offset > mtu_) {
      error = errc::jumbo_packet;
      break;
    }
  }
  auto result = out_.send(bufs.first(valid), offset);
  for (std::size_t i = 0; i < result.count; ++i) scribble(bufs[i], offset, min_write_offset_);
  if (!result.error && error) result.error = error;
  return result;
}

void PipeEnd::close() noexcept {
  in_.close();
  out_.close();
  if (events_) events_->close();
}

bool PipeEnd::closed() const noexcept { return out_.closed(); }

void PipeEnd::set_non_blocking(bool on) noexcept {
  in_.set_non_blocking(on);
  out_.set_non_blocking(on);
}

std::size_t PipeEnd::queued_out() const noexcept { return out_.size(); }
std::size_t PipeEnd::queued_in() const noexcept { return in_.size(); }

PipeStats PipeEnd::stats() const noexcept {
  auto in = in_.stats();
  auto out = out_.stats();
  return {.packets_read = in.received, .packets_written = out.sent, .truncated = in.truncated};
}

PipeEnds make_pipe(const PipeConfig& config, std::error_code& ec) {
  ec.clear();
  if (config.batch_size == 0 || config.mtu == 0 || config.capacity == 0) {
    ec = errc::invalid_argument;
    return {};
  }
  try {
    auto shared = std::make_shared<detail::PipeShared>(
        ChannelConfig{.capacity = config.capacity, .max_packet = config.mtu,
                      .non_blocking = config.non_blocking});
    PipeEnds ends;
    ends.a.reset(new PipeEnd(shared, true, config));
    ends.b.reset(new PipeEnd(std::move(shared), false, config));
    return ends;
  } catch (const std::bad_alloc&) {
    ec = errc::exhausted;
  } catch (const std::system_error& e) {
    ec = e.code();
  }
  return {};
}

PipeEnds make_pipe(const PipeConfig& config) {
  std::error_code ec;
  auto ends = make_pipe(config, ec);
  throw_if(ec, "make_pipe", "batch_size, mtu and capacity must be positive and fit in memory");
  return ends;
}

}  // namespace tuntap
