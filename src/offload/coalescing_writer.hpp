// The write half of the offload engine: plans coalesced writes (offload::Coalescer), hands them to
// a UnitSink, keeps the count of what is on the wire, falls back when a merged write is refused,
// and restores the caller's packets. It makes no system call of its own; every endpoint that
// coalesces (native device, pipe) drives it with its own sink, so there is one policy
// (docs/offloads.md, "One engine"):
//
//  - The count returned is the longest prefix of the batch known to be written; with coalescing,
//    packets after it may have been written too (a merged write can carry later packets of a flow
//    while an earlier packet of another flow is not yet out), as tuntap::Tun::write says.
//  - A merged write refused with invalid_argument (some kernels refuse GSO writes they should
//    take) turns that kind of coalescing off for good (UDP for a UDP write, else TCP), undoes the
//    header patches, and sends the packets not yet written one by one with a zero header.
//  - Any other failure undoes the patches of the packets not written, so a retry from the count
//    sends what was meant, and ends the call with the error.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "tuntap/offload.hpp"
#include "tuntap/tun.hpp"

namespace tuntap::offload {

// Where planned writes go. emit() writes `writes` in order, as many as it can, and returns how many
// are complete; it sets ec when it stopped early. A sink may write them one by one (a device) or
// all or none (a pipe that queues a chunk at once).
class UnitSink {
 public:
  virtual std::size_t emit(std::span<const Write> writes, std::error_code& ec) noexcept = 0;

 protected:
  ~UnitSink() = default;
};

struct CoalesceStats {
  std::uint64_t writes = 0;            // units the sink took
  std::uint64_t packets = 0;           // packets in them
  std::uint64_t coalesced_writes = 0;  // units that carried more than one packet
  std::uint64_t fallbacks = 0;         // merged writes refused, and the batch sent packet by packet
};

struct CoalescingWriterOptions {
  CoalescerOptions coalescer;
  // Undo the header patches after a successful write too, giving the caller's buffers back as they
  // were (for a sink that copies, like a pipe; a device leaves them, the caller reuses them anyway).
  bool restore_after_write = false;
};

class CoalescingWriter {
 public:
  // Throws what Coalescer's constructor throws.
  explicit CoalescingWriter(CoalescingWriterOptions options);

  // Writes packets bufs[i][offset, end) (offset >= virtio_net_hdr_len: each unit's header goes in
  // the headroom). One writer at a time.
  IoResult write(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept;

  // Writes units bufs[i][offset, end), each already a header and a packet (passthrough framing):
  // super-packets go out as they came; runs of two or more plain packets between them are settled
  // (partial checksums finished, headers cleared) and coalesced like write()'s, in order, so no
  // flow is reordered around a super-packet. Without TCP and UDP coalescing, one unit per packet.
  IoResult write_units(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept;

  bool tcp_enabled() const noexcept { return coalescer_.tcp_enabled(); }
  bool udp_enabled() const noexcept { return coalescer_.udp_enabled(); }
  void set_tcp(bool on) noexcept { coalescer_.set_tcp(on); }
  void set_udp(bool on) noexcept { coalescer_.set_udp(on); }
  std::size_t max_packets() const noexcept { return coalescer_.max_packets(); }
  CoalesceStats stats() const noexcept;

  // Test seam: the next `count` merged writes fail with invalid_argument before reaching the sink,
  // as some kernels refuse GSO writes, to exercise the fallback without such a kernel.
  void fail_next_merged_writes(int count) noexcept { inject_einval_.store(count, std::memory_order_relaxed); }

 private:
  IoResult write_chunk(UnitSink& sink, Buffers bufs, std::size_t offset) noexcept;
  std::size_t emit(UnitSink& sink, std::span<const Write> writes, std::error_code& ec) noexcept;
  IoResult fall_back(UnitSink& sink, const Write& refused, Buffers bufs, std::size_t offset) noexcept;
  std::error_code write_alone(UnitSink& sink, std::span<std::byte> unit, std::size_t index) noexcept;

  Coalescer coalescer_;
  const bool restore_after_write_;
  std::vector<std::uint8_t> written_;  // per packet of the chunk: on the wire
  std::atomic<int> inject_einval_{0};
  std::atomic<std::uint64_t> writes_{0}, packets_{0}, coalesced_{0}, fallbacks_{0};
};

}  // namespace tuntap::offload
