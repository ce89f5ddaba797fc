// libFuzzer target for the pcap writer (what CaptureTun hands it: packets of any size and bytes).
// The input chooses the link type (TUN's raw IP or TAP's Ethernet), the timestamp precision, the
// snaplen and a packet limit, then a run of records: bytes, an original length and a timestamp
// (some outside the format's range). The file is closed and read back with libpcap: it must open
// with the right link type and precision and hold exactly the records write() accepted, in order,
// each with caplen = min(size, snaplen), len = max(original, size), the same leading bytes and the
// same time; the refused ones are refused with the documented error and the stats add up.
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "tuntap/pcap.hpp"

using namespace tuntap;

namespace {

using fuzz::check;
using fuzz::Reader;

// One file per process, in memory-backed /dev/shm when there is one, removed at exit.
const std::string& file_path() {
  static const std::string path = [] {
    std::string dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string p = dir + "/tuntap-fuzz-pcap-" + std::to_string(getpid()) + ".pcap";
    static std::string keep;
    keep = p;
    std::atexit([] { ::unlink(keep.c_str()); });
    return p;
  }();
  return path;
}

struct Written {
  std::vector<std::byte> bytes;
  std::size_t length;
  std::int64_t seconds;
  std::int64_t nanos;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  const std::uint8_t setup = in.u8();
  PcapConfig config;
  config.path = file_path();
  config.link_type = (setup & 0x01) != 0 ? PcapLinkType::ethernet : PcapLinkType::raw_ip;
  config.precision = (setup & 0x02) != 0 ? PcapPrecision::micro : PcapPrecision::nano;
  // snaplen: the default (0), or 1..65536.
  config.snaplen = (setup & 0x04) != 0 ? static_cast<std::uint32_t>(1 + in.uint(2)) : 0;
  config.max_packets = (setup & 0x08) != 0 ? in.u8() % 8 : 0;
  const std::size_t snaplen = config.snaplen == 0 ? 262144 : config.snaplen;

  std::error_code ec;
  auto writer = PcapWriter::open(config, ec);
  check(!ec && writer.is_open());

  std::vector<Written> accepted;
  std::uint64_t refused_time = 0, over_limit = 0, truncated = 0, bytes = 24;  // the file header
  std::vector<std::byte> packet;
  while (in.n != 0 && accepted.size() + refused_time + over_limit < 64) {
    const std::uint8_t kind = in.u8();
    // The bytes: taken from the input, or (kind bit 0) a short pattern repeated up to 70000 bytes,
    // past the default snaplen only with large original lengths.
    std::size_t length = in.uint(2) & 0x0fff;
    if ((kind & 0x01) != 0) length = std::min<std::size_t>(70000, length * 17);
    packet.resize(length);
    for (std::size_t i = 0; i < length; ++i) packet[i] = std::byte{in.n != 0 ? in.u8() : static_cast<std::uint8_t>(i)};
    // A time from 1970 up to past 2106, sometimes before 1970.
    std::int64_t seconds = static_cast<std::int64_t>(in.uint(5) & 0x1ffffffffULL);
    if ((kind & 0x02) != 0) seconds = -seconds - 1;
    const std::int64_t nanos = static_cast<std::int64_t>(in.uint(4) % 1000000000u);
    const std::size_t original = (kind & 0x04) != 0 ? static_cast<std::size_t>(in.uint(3)) : 0;
    const CaptureTime time{std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)};

    const bool in_range = seconds >= 0 && seconds <= 0xffffffffLL;
    const bool at_limit = config.max_packets != 0 && accepted.size() >= config.max_packets;
    auto result = writer.write(packet, time, original);
    if (!in_range) {
      check(result == errc::invalid_argument);
      ++refused_time;
    } else if (at_limit) {
      check(result == errc::exhausted);
      ++over_limit;
    } else {
      check(!result);
      const std::size_t caplen = std::min(length, snaplen);
      accepted.push_back({{packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(caplen)},
                          std::max(original, length),
                          seconds,
                          nanos});
      bytes += 16 + caplen;
      if (caplen < std::max(original, length)) ++truncated;
    }
  }
  const auto stats = writer.stats();
  check(stats.packets == accepted.size() && stats.bytes == bytes && stats.truncated == truncated);
  check(stats.over_limit == over_limit && stats.files == 1);
  check(writer.limit_reached() == (config.max_packets != 0 && accepted.size() >= config.max_packets));
  check(!writer.close());
  check(writer.write(packet, capture_now()) == errc::closed);

  // Read it back.
  char err[PCAP_ERRBUF_SIZE];
  const auto precision = config.precision == PcapPrecision::nano ? PCAP_TSTAMP_PRECISION_NANO
                                                                 : PCAP_TSTAMP_PRECISION_MICRO;
  pcap_t* p = pcap_open_offline_with_tstamp_precision(config.path.c_str(), precision, err);
  check(p != nullptr);
  check(pcap_datalink(p) == (config.link_type == PcapLinkType::ethernet ? DLT_EN10MB : DLT_RAW));
  check(static_cast<std::size_t>(pcap_snapshot(p)) == snaplen);
  pcap_pkthdr* header = nullptr;
  const u_char* body = nullptr;
  std::size_t i = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &header, &body)) == 1) {
    check(i < accepted.size());
    const auto& w = accepted[i++];
    check(header->caplen == w.bytes.size());
    check(header->len == std::min<std::size_t>(w.length, 0xffffffffu));
    check(w.bytes.empty() || std::memcmp(body, w.bytes.data(), w.bytes.size()) == 0);
    check(static_cast<std::int64_t>(static_cast<std::uint32_t>(header->ts.tv_sec)) == w.seconds);
    const std::int64_t fraction = config.precision == PcapPrecision::nano ? w.nanos : w.nanos / 1000;
    check(header->ts.tv_usec == fraction);
  }
  check(rc == PCAP_ERROR_BREAK);  // the end of the file, not an error
  check(i == accepted.size());
  pcap_close(p);
  return 0;
}
