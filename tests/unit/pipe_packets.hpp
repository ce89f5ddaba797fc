// Test packets for the in-memory parts: an IPv4 header, a sequence number and a byte pattern
// derived from it, so a receiver can tell a packet that arrived whole from one that was cut,
// mixed up or duplicated. Shared by the channel/pipe/forwarder/stream tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include "tuntap/error.hpp"
#include "tuntap/forwarding_tun.hpp"
#include "tuntap/tun.hpp"

namespace tuntap::test {

inline constexpr std::size_t kMinTestPacket = 24;  // IPv4 header + 4-byte sequence number

// A random number in [0, n).
inline std::uint32_t below(std::mt19937& rng, std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); }

inline std::byte pattern_byte(std::uint32_t seq, std::size_t i) {
  return static_cast<std::byte>((seq * 131u + i * 7u) & 0xffu);
}

// Writes a test packet of `size` bytes (at least kMinTestPacket) into out.
inline void fill_packet(std::span<std::byte> out, std::uint32_t seq) {
  std::size_t size = out.size();
  auto put = [&](std::size_t at, std::uint32_t v, int bytes) {
    for (int b = bytes - 1; b >= 0; --b) {
      out[at + static_cast<std::size_t>(bytes - 1 - b)] = static_cast<std::byte>((v >> (8 * b)) & 0xffu);
    }
  };
  out[0] = std::byte{0x45};
  out[1] = std::byte{0};
  put(2, static_cast<std::uint32_t>(size), 2);  // total length
  put(4, seq & 0xffffu, 2);                     // identification
  put(6, 0, 2);
  out[8] = std::byte{64};   // TTL
  out[9] = std::byte{253};  // protocol: reserved for experiments
  put(10, 0, 2);
  put(12, 0x0a000001u, 4);  // 10.0.0.1
  put(16, 0x0a000002u, 4);  // 10.0.0.2
  put(20, seq, 4);
  for (std::size_t i = kMinTestPacket; i < size; ++i) out[i] = pattern_byte(seq, i);
}

inline std::vector<std::byte> make_packet(std::uint32_t seq, std::size_t size) {
  std::vector<std::byte> p(size);
  fill_packet(p, seq);
  return p;
}

// The sequence number of an intact test packet, nullopt if anything about it is wrong.
inline std::optional<std::uint32_t> check_packet(std::span<const std::byte> p) {
  if (p.size() < kMinTestPacket || p[0] != std::byte{0x45}) return std::nullopt;
  auto get = [&](std::size_t at, int bytes) {
    std::uint32_t v = 0;
    for (int b = 0; b < bytes; ++b) v = (v << 8) | std::to_integer<std::uint32_t>(p[at + static_cast<std::size_t>(b)]);
    return v;
  };
  if (get(2, 2) != p.size()) return std::nullopt;
  std::uint32_t seq = get(20, 4);
  if (get(4, 2) != (seq & 0xffffu)) return std::nullopt;
  for (std::size_t i = kMinTestPacket; i < p.size(); ++i) {
    if (p[i] != pattern_byte(seq, i)) return std::nullopt;
  }
  return seq;
}

// Buffers for a batch: n buffers of `size` bytes, plus the span array a Tun call takes.
struct TestBatch {
  TestBatch(std::size_t n, std::size_t size) : storage(n, std::vector<std::byte>(size)), sizes(n) {
    for (auto& s : storage) spans.emplace_back(s);
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;
  std::span<const std::span<std::byte>> bufs() const { return spans; }
  std::span<const std::span<std::byte>> first(std::size_t n) const {
    return std::span<const std::span<std::byte>>(spans).first(n);
  }
  std::span<const std::byte> packet(std::size_t i, std::size_t offset) const {
    return std::span<const std::byte>(storage[i]).subspan(offset, sizes[i]);
  }
};

// Packets ready to write: packet i has sequence first_seq + i, its length from `lengths`,
// preceded by `offset` bytes of headroom.
struct OutBatch {
  OutBatch(std::uint32_t first_seq, const std::vector<std::size_t>& lengths, std::size_t offset) {
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      storage.emplace_back(offset + lengths[i]);
      fill_packet(std::span(storage.back()).subspan(offset), first_seq + static_cast<std::uint32_t>(i));
    }
    for (auto& s : storage) spans.emplace_back(s);
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> spans;
  std::span<const std::span<std::byte>> bufs() const { return spans; }
  std::span<const std::span<std::byte>> from(std::size_t i) const {
    return std::span<const std::span<std::byte>>(spans).subspan(i);
  }
};

// Hands packets first_seq.. with the given lengths to `end` in one call: a Tun's write, or the
// send of anything else shaped like it (a Channel).
template <class End>
IoResult put_packets(End& end, std::uint32_t first_seq, const std::vector<std::size_t>& lengths,
                     std::size_t offset = 0) {
  OutBatch out(first_seq, lengths, offset);
  if constexpr (std::is_base_of_v<Tun, End>) return end.write(out.bufs(), offset);
  else return end.send(out.bufs(), offset);
}

// Writes packets first..first+count-1 in random batches (1..max_batch packets of
// kMinTestPacket..max_len bytes); returns how many were accepted before an error stopped it.
inline std::uint32_t produce(Tun& end, std::uint32_t first, std::uint32_t count, unsigned seed,
                             std::size_t max_len = 1400, std::uint32_t max_batch = 40) {
  std::mt19937 r(seed);
  std::uint32_t done = 0;
  while (done < count) {
    std::vector<std::size_t> lengths(std::min<std::uint32_t>(1 + below(r, max_batch), count - done));
    for (auto& l : lengths) l = kMinTestPacket + r() % (max_len - kMinTestPacket + 1);
    OutBatch out(first + done, lengths, 0);
    auto res = end.write(out.bufs(), 0);
    done += static_cast<std::uint32_t>(res.count);
    if (res.error) break;
  }
  return done;
}

// Reads until `count` packets arrived or the end reports an error; checks each packet is intact
// and returns the sequence numbers in arrival order.
inline std::vector<std::uint32_t> consume(Tun& end, std::size_t count) {
  std::vector<std::uint32_t> seqs;
  TestBatch in(64, 1500);
  while (seqs.size() < count) {
    auto got = end.read(in.bufs(), in.sizes, 0);
    for (std::size_t i = 0; i < got.count; ++i) {
      auto seq = check_packet(in.packet(i, 0));
      EXPECT_TRUE(seq.has_value());
      if (seq) seqs.push_back(*seq);
    }
    if (got.error) break;
  }
  return seqs;
}

inline std::vector<std::uint32_t> iota(std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint32_t> v(count);
  for (std::uint32_t i = 0; i < count; ++i) v[i] = first + i;
  return v;
}

// Polls pred every millisecond until it holds or the limit passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(2)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// An end whose device can be deleted under it, as `ip link del` does to a TUN: from delete() on,
// reads and writes fail with device_gone, and a read blocked in the wrapped end wakes (the kernel
// wakes it too). close() stays what it is: the end closed, not gone.
class DeletableTun final : public ForwardingTun<std::shared_ptr<Tun>> {
 public:
  explicit DeletableTun(std::shared_ptr<Tun> inner) : ForwardingTun(std::move(inner)) {}
  void delete_device() noexcept {
    gone_.store(true);
    inner_->close();  // what wakes a read blocked inside
  }
  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override {
    if (gone_.load()) return {0, errc::device_gone};
    auto r = inner_->read(bufs, sizes, offset);
    if (r.error && gone_.load()) r.error = errc::device_gone;
    return r;
  }
  IoResult write(Buffers bufs, std::size_t offset) noexcept override {
    if (gone_.load()) return {0, errc::device_gone};
    auto r = inner_->write(bufs, offset);
    if (r.error && gone_.load()) r.error = errc::device_gone;
    return r;
  }

 private:
  std::atomic<bool> gone_{false};
};

}  // namespace tuntap::test
