// One packet per call over a batched Tun, for code that thinks in packets rather than batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "tuntap/buffer_pool.hpp"
#include "tuntap/export.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// One packet from PacketStream::read.
struct TUNTAP_API PacketResult {
  std::size_t size = 0;  ///< bytes placed in the caller's buffer
  /// Why the read failed (errc::closed at the end); empty on success.
  std::error_code error;
  /// True when there is no error.
  explicit operator bool() const noexcept { return !error; }
};

/// read() returns one packet; when the stream has none buffered it reads a whole batch from the
/// Tun into its own buffers (from its BufferPool, allocated once by the constructor) and hands out
/// the rest on later calls. write() copies one packet behind the Tun's write headroom and writes
/// it at once. Neither allocates nor throws. One reader and one writer may use a stream at once.
class TUNTAP_API PacketStream {
 public:
  /// Throws tuntap::Error (invalid_argument) for a null Tun.
  explicit PacketStream(std::shared_ptr<Tun> tun);

  /// The next packet into `out`. A packet longer than `out` is consumed, not lost silently: its
  /// first out.size() bytes are there, size says how many, and the error is jumbo_packet. An error
  /// the Tun reported after some packets of a batch is returned once those packets are handed
  /// out. closed, not_ready and the rest come from the Tun.
  PacketResult read(std::span<std::byte> out) noexcept;
  /// Writes one packet; longer than the Tun's MTU is jumbo_packet.
  std::error_code write(std::span<const std::byte> packet) noexcept;

  /// Packets read from the Tun and not yet returned by read().
  std::size_t buffered() const noexcept { return end_ - next_; }
  /// The Tun the stream reads from.
  Tun& tun() const noexcept { return *tun_; }

 private:
  std::shared_ptr<Tun> tun_;
  std::size_t read_offset_;
  std::size_t write_offset_;
  BufferPool pool_;
  std::vector<PooledBuffer> read_buffers_;
  std::vector<std::span<std::byte>> read_spans_;
  std::vector<std::size_t> sizes_;
  std::size_t next_ = 0;  ///< read_buffers_[next_, end_) hold packets not yet returned
  std::size_t end_ = 0;
  std::error_code deferred_;             ///< what the last batch read reported after its packets
  std::size_t truncated_at_ = SIZE_MAX;  ///< index of the packet a jumbo_packet read cut short
  PooledBuffer write_buffer_;
};

}  // namespace tuntap
