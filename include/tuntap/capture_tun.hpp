// CaptureTun: wraps another Tun and records every packet read from it and written to it in pcap
// files, the way tcpdump records a device, but at the application's side of it.
//
//   auto pcap = std::make_shared<tuntap::PcapWriter>(tuntap::PcapWriter::open({.path = "tun.pcap"}));
//   auto tun = std::make_unique<tuntap::CaptureTun>(tuntap::open_tun({}), pcap);
//
// Reads are recorded after the wrapped Tun returned them. Writes are recorded as handed to write,
// before the call, because the wrapped Tun may patch packets in place (a coalescing write rewrites
// the headers of the first packet of a super-packet); if the write stops early, the packets it did
// not take are in the capture anyway and stats().unsent counts them. Each batch gets one timestamp,
// taken when the read returned or the write was issued.
//
// Classic pcap has no direction field: give reads and writes their own writers to tell them apart,
// or one writer for both (it is thread-safe, records never interleave).
//
// Super-packets: when the wrapped Tun carries virtio-net headers (OffloadMode::passthrough:
// each buffer starts with the 10-byte virtio_net_hdr), the header is never recorded; a TSO/USO
// super-packet is recorded as the MTU-sized packets the kernel would have made of it (split into
// scratch buffers owned by the wrapper, checksums finished), unless keep_gso is set, which records
// it whole as it crossed the interface. Recording never changes the traffic and never allocates:
// a capture error (disk full, packet limit reached) is counted, never returned.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tuntap/export.hpp"
#include "tuntap/forwarding_tun.hpp"
#include "tuntap/pcap.hpp"
#include "tuntap/tun.hpp"

namespace tuntap {

/// How a CaptureTun records.
struct TUNTAP_API CaptureOptions {
  /// passthrough: the wrapped Tun's buffers start with a virtio_net_hdr; split and off: they hold
  /// ordinary packets.
  OffloadMode offload = OffloadMode::off;
  /// With passthrough: record super-packets whole instead of split into packets.
  bool keep_gso = false;
  /// What the packets are (IP packets or Ethernet frames): how a super-packet is split.
  Mode mode = Mode::tun;
};

/// Counters of a CaptureTun.
struct TUNTAP_API CaptureStats {
  std::uint64_t recorded = 0;       ///< records written to the pcap writers
  std::uint64_t super_packets = 0;  ///< virtio super-packets recorded as their split packets
  std::uint64_t unsplit = 0;        ///< virtio packets that would not split (malformed, too many
                                    ///< segments): recorded whole without the virtio header
  std::uint64_t not_recorded = 0;   ///< packets the writer refused (limit reached, closed, disk error)
  std::uint64_t unsent = 0;         ///< recorded writes the wrapped Tun then did not take
};

/// Records every packet that passes a Tun, both ways, into a pcap file, and forwards it unchanged.
class TUNTAP_API CaptureTun final : public ForwardingTun<std::unique_ptr<Tun>> {
 public:
  /// Records reads to `reads` and writes to `writes` (either may be null: that side is not recorded;
  /// both may be the same writer). Throws tuntap::Error (invalid_argument) if inner is null.
  CaptureTun(std::unique_ptr<Tun> inner, std::shared_ptr<PcapWriter> reads, std::shared_ptr<PcapWriter> writes,
             CaptureOptions options = {});
  /// Both directions to one writer.
  CaptureTun(std::unique_ptr<Tun> inner, std::shared_ptr<PcapWriter> writer, CaptureOptions options = {});
  ~CaptureTun() override;
  CaptureTun(const CaptureTun&) = delete;
  CaptureTun& operator=(const CaptureTun&) = delete;

  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override;
  IoResult write(Buffers bufs, std::size_t offset) noexcept override;

  /// The counters so far.
  CaptureStats stats() const noexcept;

  /// Scratch for splitting one super-packet (one per direction: a reader and a writer may run at
  /// once). Public only so the implementation file can define it.
  struct Splitter;

 private:
  void record(PcapWriter* writer, Splitter* splitter, Buffers bufs, const std::size_t* sizes, std::size_t count,
              std::size_t offset) noexcept;

  std::shared_ptr<PcapWriter> reads_;
  std::shared_ptr<PcapWriter> writes_;
  CaptureOptions options_;
  std::unique_ptr<Splitter> read_splitter_;
  std::unique_ptr<Splitter> write_splitter_;
  std::atomic<std::uint64_t> recorded_{0}, super_packets_{0}, unsplit_{0}, not_recorded_{0}, unsent_{0};
};

}  // namespace tuntap
