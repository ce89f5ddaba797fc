// PcapWriter: files read back with libpcap (and tshark) must hold exactly what was written.
#include "tuntap/pcap.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/ci.hpp"

namespace {

using tuntap::CaptureTime;
using tuntap::PcapConfig;
using tuntap::PcapLinkType;
using tuntap::PcapPrecision;
using tuntap::PcapWriter;
using Bytes = std::vector<std::byte>;

// --- a tiny packet builder (IPv4/IPv6 + UDP, lengths right; checksums do not matter to pcap) ---

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = std::byte(v >> 8);
  b[at + 1] = std::byte(v & 0xff);
}

Bytes udp_v4(std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst, std::uint16_t sport, std::uint16_t dport,
             std::size_t payload, std::uint8_t fill = 0x5a) {
  Bytes b(20 + 8 + payload, std::byte(fill));
  b[0] = std::byte(0x45);
  b[1] = std::byte(0);
  put16(b, 2, static_cast<std::uint16_t>(b.size()));
  put16(b, 4, 0);
  put16(b, 6, 0x4000);
  b[8] = std::byte(64);
  b[9] = std::byte(17);
  put16(b, 10, 0);
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = std::byte(src[i]);
    b[16 + i] = std::byte(dst[i]);
  }
  put16(b, 20, sport);
  put16(b, 22, dport);
  put16(b, 24, static_cast<std::uint16_t>(8 + payload));
  put16(b, 26, 0);  // "no checksum" is valid for UDP over IPv4
  return b;
}

Bytes udp_v6(std::uint8_t src_last, std::uint8_t dst_last, std::uint16_t sport, std::uint16_t dport,
             std::size_t payload) {
  Bytes b(40 + 8 + payload, std::byte(0x33));
  b[0] = std::byte(0x60);
  b[1] = b[2] = b[3] = std::byte(0);
  put16(b, 4, static_cast<std::uint16_t>(8 + payload));
  b[6] = std::byte(17);
  b[7] = std::byte(64);
  for (int i = 0; i < 16; ++i) b[8 + i] = b[24 + i] = std::byte(0);
  b[8] = b[24] = std::byte(0xfd);
  b[23] = std::byte(src_last);
  b[39] = std::byte(dst_last);
  put16(b, 40, sport);
  put16(b, 42, dport);
  put16(b, 44, static_cast<std::uint16_t>(8 + payload));
  put16(b, 46, 0x1234);
  return b;
}

Bytes ethernet(const Bytes& ip) {
  Bytes f(14, std::byte(0));
  for (int i = 0; i < 6; ++i) {
    f[i] = std::byte(0x02);
    f[6 + i] = std::byte(0x04 + i);
  }
  put16(f, 12, (std::to_integer<int>(ip[0]) >> 4) == 6 ? 0x86dd : 0x0800);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

// --- reading back ---

struct Record {
  std::int64_t ns = 0;  // since the epoch
  std::uint32_t caplen = 0;
  std::uint32_t len = 0;
  Bytes bytes;
};

struct Capture {
  int datalink = -1;
  int snaplen = -1;
  std::vector<Record> records;
};

Capture read_back(const std::string& path) {
  Capture c;
  std::array<char, PCAP_ERRBUF_SIZE> err{};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err.data());
  if (p == nullptr) {
    ADD_FAILURE() << "pcap_open_offline " << path << ": " << err.data();
    return c;
  }
  c.datalink = pcap_datalink(p);
  c.snaplen = pcap_snapshot(p);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    Record r;
    r.ns = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec;
    r.caplen = h->caplen;
    r.len = h->len;
    auto* first = reinterpret_cast<const std::byte*>(data);
    r.bytes.assign(first, first + h->caplen);
    c.records.push_back(std::move(r));
  }
  EXPECT_EQ(rc, PCAP_ERROR_BREAK) << "pcap_next_ex: " << pcap_geterr(p);
  pcap_close(p);
  return c;
}

// The raw 24-byte file header: magic (native order as written), version, snaplen, link type.
struct FileHeader {
  std::uint32_t magic = 0;
  std::uint32_t snaplen = 0;
  std::uint32_t linktype = 0;
};

FileHeader file_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 24> h{};
  in.read(h.data(), h.size());
  FileHeader f;
  std::memcpy(&f.magic, h.data(), 4);
  std::memcpy(&f.snaplen, h.data() + 16, 4);
  std::memcpy(&f.linktype, h.data() + 20, 4);
  return f;
}

CaptureTime at(std::int64_t ns) { return CaptureTime(std::chrono::nanoseconds(ns)); }

class PcapWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "tuntap-pcap-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

TEST_F(PcapWriterTest, RawIpRecordsComeBackExactly) {
  auto path = file("raw.pcap");
  std::vector<Bytes> packets = {udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1234, 5678, 14), udp_v6(1, 2, 4000, 53, 100),
                                udp_v4({10, 0, 0, 2}, {10, 0, 0, 1}, 5678, 1234, 1400)};
  std::vector<std::int64_t> times = {1'700'000'000'123'456'789, 1'700'000'000'123'456'790, 1'700'000'001'999'999'999};
  {
    auto w = PcapWriter::open({.path = path});
    for (std::size_t i = 0; i < packets.size(); ++i) ASSERT_FALSE(w.write(packets[i], at(times[i])));
    auto st = w.stats();
    EXPECT_EQ(st.packets, 3u);
    EXPECT_EQ(st.files, 1u);
    EXPECT_EQ(st.truncated, 0u);
    EXPECT_EQ(st.bytes, 24u + 3 * 16 + packets[0].size() + packets[1].size() + packets[2].size());
  }  // the destructor flushes and closes

  auto header = file_header(path);
  EXPECT_EQ(header.magic, 0xa1b23c4du) << "nanosecond-precision magic";
  EXPECT_EQ(header.linktype, 101u) << "LINKTYPE_RAW";
  EXPECT_EQ(header.snaplen, 262144u);
  EXPECT_EQ(std::filesystem::file_size(path), 24u + 3 * 16 + packets[0].size() + packets[1].size() + packets[2].size());

  auto c = read_back(path);
  EXPECT_EQ(c.datalink, DLT_RAW);
  ASSERT_EQ(c.records.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(c.records[i].ns, times[i]) << i;
    EXPECT_EQ(c.records[i].len, packets[i].size()) << i;
    EXPECT_EQ(c.records[i].caplen, packets[i].size()) << i;
    EXPECT_EQ(c.records[i].bytes, packets[i]) << i;
  }
}

TEST_F(PcapWriterTest, SnaplenCutsRecordsButKeepsTheirLength) {
  auto path = file("snap.pcap");
  auto big = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 172);   // 200 bytes
  auto small = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 20);  // 48 bytes
  auto w = PcapWriter::open({.path = path, .snaplen = 64});
  ASSERT_FALSE(w.write(big, at(1'000'000'000)));
  ASSERT_FALSE(w.write(small, at(2'000'000'000)));
  EXPECT_EQ(w.stats().truncated, 1u);
  ASSERT_FALSE(w.close());

  EXPECT_EQ(file_header(path).snaplen, 64u);
  auto c = read_back(path);
  EXPECT_EQ(c.snaplen, 64);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].len, 200u);
  EXPECT_EQ(c.records[0].caplen, 64u);
  EXPECT_EQ(c.records[0].bytes, Bytes(big.begin(), big.begin() + 64));
  EXPECT_EQ(c.records[1].len, 48u);
  EXPECT_EQ(c.records[1].caplen, 48u);
  EXPECT_EQ(c.records[1].bytes, small);
}

TEST_F(PcapWriterTest, OriginalLengthOfAPrefixIsRecorded) {
  auto path = file("prefix.pcap");
  auto packet = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 972);  // 1000 bytes
  auto w = PcapWriter::open({.path = path});
  ASSERT_FALSE(w.write(std::span(packet).first(40), at(5), packet.size()));
  // An original length shorter than the bytes given cannot be right: the bytes win.
  ASSERT_FALSE(w.write(std::span(packet).first(40), at(6), 10));
  ASSERT_FALSE(w.close());
  auto c = read_back(path);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].len, 1000u);
  EXPECT_EQ(c.records[0].caplen, 40u);
  EXPECT_EQ(c.records[1].len, 40u);
  EXPECT_EQ(c.records[1].ns, 6);
}

TEST_F(PcapWriterTest, PacketLimitEndsTheCapture) {
  auto path = file("limit.pcap");
  auto w = PcapWriter::open({.path = path, .max_packets = 3});
  for (std::uint8_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(w.limit_reached());
    ASSERT_FALSE(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, i, 9, 10), at(i)));
  }
  EXPECT_TRUE(w.limit_reached());
  EXPECT_EQ(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 3, 9, 10), at(3)), tuntap::errc::exhausted);
  EXPECT_EQ(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 4, 9, 10), at(4)), tuntap::errc::exhausted);
  EXPECT_EQ(w.stats().packets, 3u);
  EXPECT_EQ(w.stats().over_limit, 2u);
  ASSERT_FALSE(w.close());
  auto c = read_back(path);
  ASSERT_EQ(c.records.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(c.records[i].ns, static_cast<std::int64_t>(i));
}

TEST_F(PcapWriterTest, RotatedPathNames) {
  EXPECT_EQ(PcapWriter::rotated_path("cap.pcap", 0), "cap.pcap");
  EXPECT_EQ(PcapWriter::rotated_path("cap.pcap", 1), "cap-1.pcap");
  EXPECT_EQ(PcapWriter::rotated_path("/tmp/x/cap.pcap", 12), "/tmp/x/cap-12.pcap");
  EXPECT_EQ(PcapWriter::rotated_path("/tmp/x.d/cap", 2), "/tmp/x.d/cap-2");
  EXPECT_EQ(PcapWriter::rotated_path("trace.v2.pcap", 3), "trace.v2-3.pcap");
  EXPECT_EQ(PcapWriter::rotated_path("dir/.pcap", 1), "dir/.pcap-1");
}

TEST_F(PcapWriterTest, RotationSplitsBySizeAndKeepsEveryPacketInOrder) {
  auto path = file("rot.pcap");
  constexpr std::size_t packet_size = 128;
  constexpr std::uint64_t limit = 24 + 3 * (16 + packet_size);  // three records per file
  std::vector<Bytes> packets;
  for (std::uint8_t i = 0; i < 10; ++i)
    packets.push_back(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, i, 7, packet_size - 28, i));
  {
    auto w = PcapWriter::open({.path = path, .rotate_bytes = limit});
    for (std::size_t i = 0; i < packets.size(); ++i) {
      ASSERT_FALSE(w.write(packets[i], at(static_cast<std::int64_t>(1000 + i))));
    }
    EXPECT_EQ(w.stats().files, 4u);
    EXPECT_EQ(w.current_path(), file("rot-3.pcap"));
  }
  std::vector<Record> all;
  std::vector<std::size_t> per_file;
  for (std::uint64_t f = 0; f < 4; ++f) {
    auto name = PcapWriter::rotated_path(path, f);
    ASSERT_TRUE(std::filesystem::exists(name)) << name;
    EXPECT_LE(std::filesystem::file_size(name), limit) << name;
    auto c = read_back(name);
    EXPECT_EQ(c.datalink, DLT_RAW);
    per_file.push_back(c.records.size());
    all.insert(all.end(), c.records.begin(), c.records.end());
  }
  EXPECT_FALSE(std::filesystem::exists(PcapWriter::rotated_path(path, 4)));
  EXPECT_EQ(per_file, (std::vector<std::size_t>{3, 3, 3, 1}));
  ASSERT_EQ(all.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(all[i].bytes, packets[i]) << i;
    EXPECT_EQ(all[i].ns, static_cast<std::int64_t>(1000 + i)) << i;
  }
}

TEST_F(PcapWriterTest, RecordLargerThanTheRotationLimitStillGetsWritten) {
  auto path = file("huge.pcap");
  auto w = PcapWriter::open({.path = path, .rotate_bytes = 100});
  auto big = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 500);
  ASSERT_FALSE(w.write(big, at(1)));
  ASSERT_FALSE(w.write(big, at(2)));
  EXPECT_EQ(w.stats().files, 2u);
  ASSERT_FALSE(w.close());
  EXPECT_EQ(read_back(path).records.size(), 1u);
  EXPECT_EQ(read_back(file("huge-1.pcap")).records.size(), 1u);
}

TEST_F(PcapWriterTest, EthernetLinkTypeForTap) {
  auto path = file("tap.pcap");
  auto frame = ethernet(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 30));
  auto w = PcapWriter::open({.path = path, .link_type = PcapLinkType::ethernet});
  ASSERT_FALSE(w.write(frame, at(42)));
  ASSERT_FALSE(w.close());
  EXPECT_EQ(file_header(path).linktype, 1u);
  auto c = read_back(path);
  EXPECT_EQ(c.datalink, DLT_EN10MB);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].bytes, frame);
}

TEST_F(PcapWriterTest, MicrosecondFilesRoundDown) {
  auto path = file("micro.pcap");
  auto w = PcapWriter::open({.path = path, .precision = PcapPrecision::micro});
  ASSERT_FALSE(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3), at(1'700'000'000'123'456'789)));
  ASSERT_FALSE(w.close());
  EXPECT_EQ(file_header(path).magic, 0xa1b2c3d4u);
  auto c = read_back(path);  // libpcap scales microseconds to the nanoseconds we asked for
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].ns, 1'700'000'000'123'456'000);
}

TEST_F(PcapWriterTest, DefaultTimestampIsNow) {
  auto path = file("now.pcap");
  auto before = tuntap::capture_now();
  auto w = PcapWriter::open({.path = path});
  ASSERT_FALSE(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3)));
  ASSERT_FALSE(w.close());
  auto after = tuntap::capture_now();
  auto c = read_back(path);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_GE(c.records[0].ns, before.time_since_epoch().count());
  EXPECT_LE(c.records[0].ns, after.time_since_epoch().count());
}

TEST_F(PcapWriterTest, TimesOutsideTheFormatAreRefused) {
  auto w = PcapWriter::open({.path = file("t.pcap")});
  auto p = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3);
  EXPECT_EQ(w.write(p, at(-1)), tuntap::errc::invalid_argument);
  EXPECT_EQ(w.write(p, at(0x1'0000'0000LL * 1'000'000'000)), tuntap::errc::invalid_argument);
  EXPECT_FALSE(w.write(p, at(0xffff'ffffLL * 1'000'000'000)));
  EXPECT_EQ(w.stats().packets, 1u);
}

TEST_F(PcapWriterTest, OpenFailuresSayWhatFailed) {
  auto missing = file("no/such/dir/x.pcap");
  std::error_code ec;
  auto w = PcapWriter::open({.path = missing}, ec);
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
  EXPECT_FALSE(w.is_open());
  try {
    (void)PcapWriter::open({.path = missing});
    ADD_FAILURE() << "expected tuntap::Error";
  } catch (const tuntap::Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  (void)PcapWriter::open({.path = ""}, ec);
  EXPECT_EQ(ec, tuntap::errc::invalid_argument);
}

TEST_F(PcapWriterTest, WriteAfterCloseIsClosedAndCloseIsIdempotent) {
  auto w = PcapWriter::open({.path = file("c.pcap")});
  EXPECT_TRUE(w.is_open());
  EXPECT_FALSE(w.close());
  EXPECT_FALSE(w.close());
  EXPECT_FALSE(w.is_open());
  EXPECT_EQ(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3)), tuntap::errc::closed);
  EXPECT_EQ(w.flush(), tuntap::errc::closed);
  PcapWriter empty;
  EXPECT_EQ(empty.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3)), tuntap::errc::closed);
  EXPECT_FALSE(empty.close());
}

TEST_F(PcapWriterTest, FlushMakesRecordsVisibleWhileOpen) {
  auto path = file("flush.pcap");
  auto w = PcapWriter::open({.path = path});
  auto p = udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2, 3);
  ASSERT_FALSE(w.write(p, at(7)));
  ASSERT_FALSE(w.flush());
  auto c = read_back(path);
  ASSERT_EQ(c.records.size(), 1u);
  EXPECT_EQ(c.records[0].bytes, p);
}

TEST_F(PcapWriterTest, ConcurrentWritersNeverInterleaveRecords) {
  auto path = file("threads.pcap");
  auto w = PcapWriter::open({.path = path});
  constexpr int per_thread = 2000;
  auto work = [&](std::uint8_t id) {
    for (int i = 0; i < per_thread; ++i) {
      // Each thread's packets differ in size and fill, so a torn record would not parse back.
      auto p = udp_v4({10, 0, 0, id}, {10, 0, 0, 9}, id, static_cast<std::uint16_t>(i), 10 + id * 50u, id);
      ASSERT_FALSE(w.write(p, at(i)));
    }
  };
  std::thread a(work, std::uint8_t{1}), b(work, std::uint8_t{2});
  a.join();
  b.join();
  ASSERT_FALSE(w.close());
  auto c = read_back(path);
  ASSERT_EQ(c.records.size(), 2u * per_thread);
  std::array<int, 3> next{};
  for (auto& r : c.records) {
    auto id = std::to_integer<std::uint8_t>(r.bytes[15]);
    ASSERT_TRUE(id == 1 || id == 2);
    EXPECT_EQ(r.len, 28u + 10 + id * 50u);
    auto seq = (std::to_integer<int>(r.bytes[22]) << 8) | std::to_integer<int>(r.bytes[23]);
    EXPECT_EQ(seq, next[id]++) << "per-thread order";
    EXPECT_EQ(r.ns, seq);
  }
}

// --- tshark reads the files and decodes the protocols ---

std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

bool have_tshark() { return ::access("/usr/bin/tshark", X_OK) == 0 || run("command -v tshark") != ""; }

TEST_F(PcapWriterTest, TsharkDecodesRawIpv4AndIpv6) {
  if (!have_tshark()) {
    ASSERT_FALSE(tuntap::test::in_ci()) << "tshark missing in CI (scripts/install-deps.sh installs it)";
    GTEST_SKIP() << "tshark not installed";
  }
  auto path = file("tshark.pcap");
  {
    auto w = PcapWriter::open({.path = path});
    ASSERT_FALSE(w.write(udp_v4({10, 0, 0, 1}, {10, 0, 0, 2}, 1234, 5678, 14), at(1'700'000'000'000'000'001)));
    ASSERT_FALSE(w.write(udp_v6(1, 2, 4000, 4001, 20), at(1'700'000'000'500'000'000)));
  }
  auto out = run("tshark -n -r " + path +
                 " -T fields -E separator=/s -e frame.protocols -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst"
                 " -e udp.srcport -e udp.dstport -e frame.time_epoch 2>/dev/null");
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < out.size();) {
    auto end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    lines.push_back(out.substr(pos, end - pos));
    pos = end + 1;
  }
  ASSERT_EQ(lines.size(), 2u) << out;
  // Empty fields collapse to consecutive separators; check the fields that must be there.
  EXPECT_NE(lines[0].find("raw:ip:udp"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("10.0.0.1 10.0.0.2"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("1234 5678"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("1700000000.000000001"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("raw:ipv6:udp"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("fd00::1 fd00::2"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("4000 4001"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("1700000000.500000000"), std::string::npos) << lines[1];

  // The one-line summary users see by default.
  auto summary = run("tshark -n -r " + path + " 2>/dev/null");
  EXPECT_NE(summary.find("10.0.0.1 → 10.0.0.2"), std::string::npos) << summary;
  EXPECT_NE(summary.find("UDP"), std::string::npos) << summary;
  EXPECT_NE(summary.find("fd00::1 → fd00::2"), std::string::npos) << summary;
}

TEST_F(PcapWriterTest, TsharkDecodesEthernetFrames) {
  if (!have_tshark()) {
    ASSERT_FALSE(tuntap::test::in_ci()) << "tshark missing in CI (scripts/install-deps.sh installs it)";
    GTEST_SKIP() << "tshark not installed";
  }
  auto path = file("tshark-eth.pcap");
  {
    auto w = PcapWriter::open({.path = path, .link_type = PcapLinkType::ethernet});
    ASSERT_FALSE(w.write(ethernet(udp_v4({192, 168, 7, 1}, {192, 168, 7, 2}, 999, 888, 5)), at(3)));
  }
  auto out = run("tshark -n -r " + path +
                 " -T fields -E separator=/s -e frame.protocols -e eth.src -e ip.src"
                 " -e udp.dstport 2>/dev/null");
  EXPECT_NE(out.find("eth:ethertype:ip:udp"), std::string::npos) << out;
  EXPECT_NE(out.find("04:05:06:07:08:09"), std::string::npos) << out;
  EXPECT_NE(out.find("192.168.7.1"), std::string::npos) << out;
  EXPECT_NE(out.find("888"), std::string::npos) << out;
}

}  // namespace
