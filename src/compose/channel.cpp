#include "tuntap/channel.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tuntap {

Channel::Channel(const ChannelConfig& config)
    : capacity_(config.capacity), max_packet_(config.max_packet), non_blocking_(config.non_blocking) {
  if (capacity_ == 0 || max_packet_ == 0) {
    throw Error(errc::invalid_argument, "Channel", "capacity and max_packet must be positive");
  }
  if (max_packet_ > SIZE_MAX / capacity_) {
    throw Error(errc::invalid_argument, "Channel", "capacity x max_packet overflows");
  }
  // Not zeroed: pages of a large channel (64 KiB slots for virtio framing) are touched only when used.
  storage_ = std::make_unique_for_overwrite<std::byte[]>(capacity_ * max_packet_);
  lengths_ = std::make_unique<std::size_t[]>(capacity_);
}

Channel::~Channel() = default;

std::error_code Channel::reserve(std::size_t want, std::uint64_t& base, std::size_t& room) noexcept {
  std::unique_lock lock(mutex_);
  if (!non_blocking()) {
    not_full_.wait(lock, [&] { return closed_ || capacity_ - (tail_ - head_) >= want; });
  }
  if (closed_) return errc::closed;
  room = capacity_ - static_cast<std::size_t>(tail_ - head_);
  if (room < want) return errc::not_ready;
  base = tail_;
  copying_in_ = true;
  return {};
}

void Channel::commit(std::size_t count) noexcept {
  {
    std::lock_guard lock(mutex_);
    tail_ += count;
    copying_in_ = false;
    stats_.sent += count;
  }
  not_empty_.notify_one();
}

IoResult Channel::send(Buffers bufs, std::size_t offset) noexcept {
  std::lock_guard sender(send_mutex_);
  std::size_t done = 0;
  while (done < bufs.size()) {
    std::uint64_t base = 0;
    std::size_t room = 0;
    if (auto ec = reserve(1, base, room)) return {done, ec};
    // The reserved slots [base, base + n) are ours alone: receivers stop at tail_.
    std::size_t n = std::min(room, bufs.size() - done);
    std::error_code error;
    std::size_t copied = 0;
    for (; copied < n; ++copied) {
      auto buf = bufs[done + copied];
      if (offset > buf.size()) {
        error = errc::invalid_argument;
        break;
      }
      std::size_t length = buf.size() - offset;
      if (length > max_packet_) {
        error = errc::jumbo_packet;
        break;
      }
      if (length != 0) std::memcpy(slot(base + copied), buf.data() + offset, length);
      lengths_[(base + copied) % capacity_] = length;
    }
    commit(copied);
    done += copied;
    if (error) return {done, error};
  }
  return {done, {}};
}

IoResult Channel::send_gathered(std::span<const Gathered> packets) noexcept {
  if (packets.empty()) return {0, {}};
  if (packets.size() > capacity_) return {0, errc::invalid_argument};
  for (const auto& parts : packets) {
    std::size_t length = 0;
    for (const auto& part : parts) length += part.size();
    if (length > max_packet_) return {0, errc::jumbo_packet};
  }
  std::lock_guard sender(send_mutex_);
  std::uint64_t base = 0;
  std::size_t room = 0;
  if (auto ec = reserve(packets.size(), base, room)) return {0, ec};
  for (std::size_t i = 0; i < packets.size(); ++i) {
    std::byte* to = slot(base + i);
    std::size_t length = 0;
    for (const auto& part : packets[i]) {
      if (!part.empty()) std::memcpy(to + length, part.data(), part.size());
      length += part.size();
    }
    lengths_[(base + i) % capacity_] = length;
  }
  commit(packets.size());
  return {packets.size(), {}};
}

IoResult Channel::receive(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset, bool wait) noexcept {
  if (bufs.empty() || sizes.size() < bufs.size()) return {0, errc::invalid_argument};
  std::lock_guard receiver(receive_mutex_);
  std::uint64_t base;
  std::size_t queued;
  {
    std::unique_lock lock(mutex_);
    // Closed is final only once no sender is still copying in packets accepted before the close.
    auto drained_and_closed = [&] { return closed_ && !copying_in_; };
    if (wait) not_empty_.wait(lock, [&] { return tail_ != head_ || drained_and_closed(); });
    if (tail_ == head_) return {0, drained_and_closed() ? errc::closed : errc::not_ready};
    base = head_;
    queued = static_cast<std::size_t>(tail_ - head_);
  }
  // The committed slots [base, base + n) are ours alone: senders stop at head_ + capacity.
  std::size_t n = std::min(queued, bufs.size());
  std::size_t whole = 0;
  std::error_code error;
  for (; whole < n; ++whole) {
    auto buf = bufs[whole];
    std::size_t room = offset <= buf.size() ? buf.size() - offset : 0;
    std::size_t length = lengths_[(base + whole) % capacity_];
    std::size_t copy = std::min(length, room);
    if (copy != 0) std::memcpy(buf.data() + offset, slot(base + whole), copy);
    sizes[whole] = copy;
    if (copy < length) {
      error = errc::jumbo_packet;
      break;
    }
  }
  std::size_t consumed = whole + (error ? 1 : 0);
  {
    std::lock_guard lock(mutex_);
    head_ += consumed;
    stats_.received += whole;
    if (error) ++stats_.truncated;
  }
  not_full_.notify_one();
  return {whole, error};
}

void Channel::close() noexcept {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

bool Channel::closed() const noexcept {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::size_t Channel::size() const noexcept {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(tail_ - head_);
}

ChannelStats Channel::stats() const noexcept {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace tuntap
