// PcapWriter: records through libpcap's dumper, one lock per record, rotation by size.
#include "tuntap/pcap.hpp"

#include <pcap/pcap.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>

namespace tuntap {

namespace {

constexpr std::uint32_t default_snaplen = 262144;
// The pcap file header, and the header in front of each record (struct pcap_sf_pkthdr on disk).
constexpr std::uint64_t file_header_size = 24;
constexpr std::uint64_t record_header_size = 16;
// The format stores seconds in 32 unsigned bits.
constexpr std::int64_t max_seconds = 0xffffffffLL;

int dlt_of(PcapLinkType type) noexcept {
  // DLT_RAW is 12 on Linux (14 on OpenBSD); libpcap maps it to LINKTYPE_RAW (101) in the file.
  return type == PcapLinkType::ethernet ? DLT_EN10MB : DLT_RAW;
}

std::error_code last_errno(int fallback) noexcept { return errno_code(errno != 0 ? errno : fallback); }

}  // namespace

namespace detail {

struct PcapState {
  PcapConfig config;
  mutable std::mutex mutex;
  pcap_t* dead = nullptr;           // libpcap's handle for link type, snaplen and precision
  pcap_dumper_t* dumper = nullptr;  // the current file; null once closed
  std::string path;                 // of the current file
  std::uint64_t file_bytes = 0;     // bytes in the current file
  std::uint64_t file_packets = 0;   // records in the current file
  PcapStats stats;

  ~PcapState() {
    close_file();
    if (dead != nullptr) pcap_close(dead);
  }

  // Opens file number `index` of the rotation and writes its header.
  std::error_code open_file(std::uint64_t index, std::string& what) {
    path = PcapWriter::rotated_path(config.path, index);
    errno = 0;
    // Our own fopen (not pcap_dump_open) so the error is the real errno, not just a message.
    FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      what = "pcap: open " + path;
      return last_errno(EIO);
    }
    dumper = pcap_dump_fopen(dead, file);
    if (dumper == nullptr) {
      std::fclose(file);
      what = "pcap: pcap_dump_fopen " + path + ": " + pcap_geterr(dead);
      return make_error_code(errc::invalid_argument);
    }
    file_bytes = file_header_size;
    file_packets = 0;
    stats.bytes += file_header_size;
    ++stats.files;
    return {};
  }

  std::error_code close_file() noexcept {
    if (dumper == nullptr) return {};
    std::error_code ec;
    errno = 0;
    if (pcap_dump_flush(dumper) != 0) ec = last_errno(EIO);
    pcap_dump_close(dumper);  // fclose; its own failure is reported by the flush above
    dumper = nullptr;
    return ec;
  }
};

}  // namespace detail

CaptureTime capture_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return CaptureTime(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

std::string PcapWriter::rotated_path(std::string_view path, std::uint64_t index) {
  if (index == 0) return std::string(path);
  auto slash = path.rfind('/');
  auto name_start = slash == std::string_view::npos ? 0 : slash + 1;
  auto dot = path.rfind('.');
  // An extension is a dot inside the file name, not its first character (".pcap" has none).
  bool has_extension = dot != std::string_view::npos && dot > name_start;
  auto stem_end = has_extension ? dot : path.size();
  std::string out(path.substr(0, stem_end));
  out += '-';
  out += std::to_string(index);
  out += path.substr(stem_end);
  return out;
}

namespace {

// Both forms of open: `what` names the failed step for the throwing form's message.
std::unique_ptr<detail::PcapState> open_state(const PcapConfig& config, std::error_code& ec, std::string& what) {
  ec.clear();
  if (config.path.empty()) {
    what = "pcap: open (no file name)";
    ec = errc::invalid_argument;
    return nullptr;
  }
  auto state = std::make_unique<detail::PcapState>();
  state->config = config;
  if (state->config.snaplen == 0) state->config.snaplen = default_snaplen;
  auto precision = config.precision == PcapPrecision::nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
  state->dead = pcap_open_dead_with_tstamp_precision(dlt_of(config.link_type), static_cast<int>(state->config.snaplen),
                                                     precision);
  if (state->dead == nullptr) {
    what = "pcap: pcap_open_dead";
    ec = errc::exhausted;
    return nullptr;
  }
  ec = state->open_file(0, what);
  if (ec) return nullptr;
  return state;
}

}  // namespace

PcapWriter PcapWriter::open(const PcapConfig& config, std::error_code& ec) {
  std::string what;
  auto state = open_state(config, ec, what);
  if (ec) return {};
  return PcapWriter(std::move(state));
}

PcapWriter PcapWriter::open(const PcapConfig& config) {
  std::error_code ec;
  std::string what;
  auto state = open_state(config, ec, what);
  if (ec) {
    throw Error(ec, what,
                ec == errc::permission_denied  ? "check the permissions of the directory"
                : ec == errc::invalid_argument ? "give a file name"
                                               : "check that the directory exists");
  }
  return PcapWriter(std::move(state));
}

PcapWriter::PcapWriter() noexcept = default;
PcapWriter::PcapWriter(std::unique_ptr<detail::PcapState> state) noexcept : state_(std::move(state)) {}
PcapWriter::~PcapWriter() = default;
PcapWriter::PcapWriter(PcapWriter&&) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&&) noexcept = default;

bool PcapWriter::is_open() const noexcept {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return state_->dumper != nullptr;
}

std::error_code PcapWriter::write(std::span<const std::byte> packet) noexcept { return write(packet, capture_now()); }

std::error_code PcapWriter::write(std::span<const std::byte> packet, CaptureTime time,
                                  std::size_t original_length) noexcept {
  if (!state_) return errc::closed;
  auto& s = *state_;
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  if (seconds.count() < 0 || seconds.count() > max_seconds) return errc::invalid_argument;
  auto fraction = (since_epoch - seconds).count();  // nanoseconds, 0..999999999

  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(seconds.count());
  // With a nanosecond dumper libpcap stores tv_usec as is: it carries nanoseconds then.
  header.ts.tv_usec = static_cast<suseconds_t>(s.config.precision == PcapPrecision::nano ? fraction : fraction / 1000);
  auto length = std::max(original_length, packet.size());
  auto caplen = std::min<std::size_t>(packet.size(), s.config.snaplen);
  // The format's length fields are 32 bits; nothing this library handles comes close.
  header.len = static_cast<bpf_u_int32>(std::min<std::size_t>(length, 0xffffffffu));
  header.caplen = static_cast<bpf_u_int32>(caplen);

  std::lock_guard lock(s.mutex);
  if (s.dumper == nullptr) return errc::closed;
  if (s.config.max_packets != 0 && s.stats.packets >= s.config.max_packets) {
    ++s.stats.over_limit;
    return errc::exhausted;
  }
  auto record = record_header_size + caplen;
  if (s.config.rotate_bytes != 0 && s.file_packets != 0 && s.file_bytes + record > s.config.rotate_bytes) {
    auto index = s.stats.files;
    if (auto ec = s.close_file()) return ec;
    std::string what;
    std::error_code ec;
    try {
      ec = s.open_file(index, what);
    } catch (const std::bad_alloc&) {
      ec = errc::exhausted;
    }
    if (ec) return ec;
  }
  pcap_dump(reinterpret_cast<u_char*>(s.dumper), &header, reinterpret_cast<const u_char*>(packet.data()));
  if (std::ferror(pcap_dump_file(s.dumper)) != 0) return errno_code(EIO);
  s.file_bytes += record;
  ++s.file_packets;
  ++s.stats.packets;
  s.stats.bytes += record;
  if (caplen < length) ++s.stats.truncated;
  return {};
}

std::error_code PcapWriter::flush() noexcept {
  if (!state_) return errc::closed;
  std::lock_guard lock(state_->mutex);
  if (state_->dumper == nullptr) return errc::closed;
  errno = 0;
  if (pcap_dump_flush(state_->dumper) != 0) return last_errno(EIO);
  return {};
}

std::error_code PcapWriter::close() noexcept {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->close_file();
}

bool PcapWriter::limit_reached() const noexcept {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return state_->config.max_packets != 0 && state_->stats.packets >= state_->config.max_packets;
}

PcapStats PcapWriter::stats() const noexcept {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

std::string PcapWriter::current_path() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->path;
}

const PcapConfig& PcapWriter::config() const noexcept {
  static const PcapConfig none;
  return state_ ? state_->config : none;
}

}  // namespace tuntap
