#include "tuntap/packet_stream.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tuntap {
namespace {

std::shared_ptr<Tun> require(std::shared_ptr<Tun> tun) {
  if (!tun) throw Error(errc::invalid_argument, "PacketStream", "needs a Tun to read and write");
  return tun;
}

std::size_t batch_of(const Tun& tun) { return std::max<std::size_t>(tun.batch_size(), 1); }

}  // namespace

PacketStream::PacketStream(std::shared_ptr<Tun> tun)
    : tun_(require(std::move(tun))),
      read_offset_(tun_->min_read_offset()),
      write_offset_(tun_->min_write_offset()),
      // One buffer per packet of a batch plus one for writing, each large enough for either side.
      pool_(std::max(read_offset_, write_offset_) + tun_->mtu(), batch_of(*tun_) + 1, batch_of(*tun_) + 1) {
  std::size_t batch = batch_of(*tun_);
  read_buffers_.resize(batch);
  pool_.acquire(read_buffers_);
  read_spans_.reserve(batch);
  for (auto& buffer : read_buffers_) read_spans_.push_back(buffer.bytes());
  sizes_.resize(batch);
  write_buffer_ = pool_.acquire();
}

PacketResult PacketStream::read(std::span<std::byte> out) noexcept {
  if (next_ == end_) {
    if (deferred_) return {0, std::exchange(deferred_, {})};
    // A Tun that reports jumbo_packet without saying how much it kept leaves an empty packet.
    std::fill(sizes_.begin(), sizes_.end(), 0);
    auto result = tun_->read(Buffers(read_spans_.data(), read_spans_.size()), sizes_, read_offset_);
    next_ = 0;
    end_ = result.count;
    // A jumbo read left the truncated packet after the whole ones: hand it out in turn.
    if (result.error == errc::jumbo_packet && end_ < read_spans_.size()) {
      ++end_;
      deferred_.clear();
      truncated_at_ = end_ - 1;
    } else {
      deferred_ = result.error;
      truncated_at_ = SIZE_MAX;
    }
    if (end_ == 0) return {0, std::exchange(deferred_, {})};
  }
  std::size_t i = next_++;
  // Never trust a length beyond the buffer it describes.
  std::size_t length = std::min(sizes_[i], read_spans_[i].size() - read_offset_);
  std::size_t copy = std::min(length, out.size());
  if (copy != 0) std::memcpy(out.data(), read_spans_[i].data() + read_offset_, copy);
  if (copy < length || i == truncated_at_) return {copy, errc::jumbo_packet};
  return {copy, {}};
}

std::error_code PacketStream::write(std::span<const std::byte> packet) noexcept {
  if (packet.size() > tun_->mtu() || write_offset_ + packet.size() > write_buffer_.size()) {
    return errc::jumbo_packet;
  }
  if (!packet.empty()) std::memcpy(write_buffer_.data() + write_offset_, packet.data(), packet.size());
  std::span<std::byte> one = write_buffer_.bytes().first(write_offset_ + packet.size());
  auto result = tun_->write(Buffers(&one, 1), write_offset_);
  return result.error;
}

}  // namespace tuntap
