// Writes packets to pcap files through libpcap: what tcpdump, tshark and Wireshark read.
//
// A TUN device carries bare IP packets: they are written with link type RAW (LINKTYPE_RAW, 101 in
// the file; libpcap's DLT_RAW), which readers decode as IPv4 or IPv6 by the version nibble. A TAP
// device carries Ethernet frames: link type ETHERNET (1).
//
// Files are nanosecond-precision pcap by default (magic 0xa1b23c4d), so the timestamps given to
// write() come back exactly. Rotation by size: the first file is `path` itself, the next ones insert
// "-N" before the extension: capture.pcap, capture-1.pcap, capture-2.pcap ... (a name without an
// extension gets "-N" appended). Every file is complete and readable on its own; `mergecap` joins
// them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "tuntap/error.hpp"
#include "tuntap/export.hpp"

namespace tuntap {

/// What each record of a pcap file holds.
enum class PcapLinkType : std::uint8_t {
  raw_ip,    ///< IPv4 or IPv6 packets without a link header (TUN)
  ethernet,  ///< Ethernet frames (TAP)
};

/// Timestamp resolution of a pcap file.
enum class PcapPrecision : std::uint8_t { nano, micro };

/// Capture time: nanoseconds since the Unix epoch.
using CaptureTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

/// CLOCK_REALTIME now, with nanosecond resolution (no allocation, no exception).
TUNTAP_API CaptureTime capture_now() noexcept;

/// Where and how a PcapWriter records.
struct TUNTAP_API PcapConfig {
  /// The file to write; with rotation the first file, the later ones named by rotated_path().
  std::string path;
  /// What each record holds: raw IP packets (TUN) or Ethernet frames (TAP).
  PcapLinkType link_type = PcapLinkType::raw_ip;
  /// Bytes kept of each packet; a longer packet is cut (the record keeps its original length).
  /// 0 means the default, 262144, as tcpdump uses.
  std::uint32_t snaplen = 0;
  /// Stop after this many packets (later writes return errc::exhausted); 0: no limit.
  std::uint64_t max_packets = 0;
  /// Start a new file before one would grow past this many bytes; 0: a single file. A file always
  /// holds at least one packet, so a single record larger than the limit still gets written.
  std::uint64_t rotate_bytes = 0;
  /// Timestamp resolution of the file: microseconds or nanoseconds.
  PcapPrecision precision = PcapPrecision::nano;
};

/// Counters of a PcapWriter.
struct TUNTAP_API PcapStats {
  std::uint64_t packets = 0;     ///< records written, over all files
  std::uint64_t bytes = 0;       ///< bytes written to files, headers included
  std::uint64_t truncated = 0;   ///< records cut to snaplen
  std::uint64_t over_limit = 0;  ///< packets refused after max_packets
  std::uint64_t files = 0;       ///< files opened (1 + rotations)
};

namespace detail {
struct PcapState;
}

/// Move-only. All members are safe to call from several threads at once (one lock around each
/// record), so the reader and the writer of a Tun can share one file. Writing a record does not
/// allocate: libpcap writes through the stdio buffer of the file; rotating allocates the new name.
class TUNTAP_API PcapWriter {
 public:
  /// Opens (truncates) config.path and writes the file header. Errors name the file and the call:
  /// "pcap: open /x/y.pcap: No such file or directory".
  static PcapWriter open(const PcapConfig& config);
  /// As the form without `ec`, but a failure is reported in `ec` instead of thrown.
  static PcapWriter open(const PcapConfig& config, std::error_code& ec);

  /// The name of file number `index` of a rotation: 0 is `path`, then "-N" goes before the
  /// extension of the file name ("a/cap.pcap", 2 -> "a/cap-2.pcap"; "a/cap", 2 -> "a/cap-2").
  static std::string rotated_path(std::string_view path, std::uint64_t index);

  PcapWriter() noexcept;
  ~PcapWriter();
  /// Takes over what `other` holds; the moved-from object is left empty.
  PcapWriter(PcapWriter&&) noexcept;
  /// Releases what this object holds, then takes over what the other holds.
  PcapWriter& operator=(PcapWriter&&) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  /// True while a file is open.
  bool is_open() const noexcept;
  /// The same as is_open().
  explicit operator bool() const noexcept { return is_open(); }

  /// Writes one record: the first min(packet.size(), snaplen) bytes, original length
  /// max(original_length, packet.size()) (pass the real length when `packet` is already a prefix).
  /// errc::exhausted once max_packets records are written, errc::closed after close(),
  /// errc::invalid_argument for a time before 1970 or after 2106 (the format's 32-bit seconds),
  /// a system error when the file cannot be written or the next rotation cannot be opened.
  std::error_code write(std::span<const std::byte> packet, CaptureTime time, std::size_t original_length = 0) noexcept;
  /// The same, stamped capture_now().
  std::error_code write(std::span<const std::byte> packet) noexcept;

  /// Pushes buffered records to the kernel, so readers of the file see them.
  std::error_code flush() noexcept;
  /// Flushes and closes the current file; idempotent. The destructor does the same.
  std::error_code close() noexcept;

  /// True once max_packets records are written: the capture is complete.
  bool limit_reached() const noexcept;
  /// The counters so far.
  PcapStats stats() const noexcept;
  /// The file records go to now (changes at each rotation).
  std::string current_path() const;
  /// The configuration the writer was opened with.
  const PcapConfig& config() const noexcept;

 private:
  explicit PcapWriter(std::unique_ptr<detail::PcapState> state) noexcept;
  std::unique_ptr<detail::PcapState> state_;
};

}  // namespace tuntap
