// CaptureTun: what crosses the wrapped Tun ends up in the pcap file, split super-packets included,
// and recording never changes the traffic.
#include "tuntap/capture_tun.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <stdlib.h>

#include <array>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tuntap/checksum.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/virtio_net.hpp"

namespace {

using tuntap::CaptureOptions;
using tuntap::CaptureTun;
using tuntap::PcapWriter;
using tuntap::VirtioNetHdr;
using Bytes = std::vector<std::byte>;

std::uint16_t get16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8) | std::to_integer<unsigned>(b[at + 1]));
}
void put16(Bytes& b, std::size_t at, std::size_t v) {
  b[at] = std::byte((v >> 8) & 0xff);
  b[at + 1] = std::byte(v & 0xff);
}

// IPv4 + UDP with a payload of `payload` bytes (pattern from `seed`); IPv4 header checksum set,
// UDP checksum left 0 ("none").
Bytes udp_v4(std::size_t payload, std::uint8_t seed) {
  Bytes b(28 + payload);
  b[0] = std::byte(0x45);
  put16(b, 2, b.size());
  put16(b, 4, 0x1000 + seed);
  put16(b, 6, 0x4000);
  b[8] = std::byte(64);
  b[9] = std::byte(17);
  const std::uint8_t src[4] = {10, 9, 0, 1}, dst[4] = {10, 9, 0, 2};
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = std::byte(src[i]);
    b[16 + i] = std::byte(dst[i]);
  }
  put16(b, 10, tuntap::internet_checksum(std::span(b).first(20)));
  put16(b, 20, 5000);
  put16(b, 22, 6000);
  put16(b, 24, 8 + payload);
  for (std::size_t i = 0; i < payload; ++i) b[28 + i] = std::byte((seed + i * 13) & 0xff);
  return b;
}

// --- reading a capture back ---

struct Record {
  std::int64_t ns = 0;
  Bytes bytes;
};

std::vector<Record> read_back(const std::string& path) {
  std::vector<Record> out;
  std::array<char, PCAP_ERRBUF_SIZE> err{};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err.data());
  if (p == nullptr) {
    ADD_FAILURE() << path << ": " << err.data();
    return out;
  }
  EXPECT_EQ(pcap_datalink(p), DLT_RAW);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  while (pcap_next_ex(p, &h, &data) == 1) {
    EXPECT_EQ(h->caplen, h->len);
    auto* first = reinterpret_cast<const std::byte*>(data);
    out.push_back(
        {static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + h->ts.tv_usec, Bytes(first, first + h->caplen)});
  }
  pcap_close(p);
  return out;
}

std::vector<Bytes> bytes_of(const std::vector<Record>& records) {
  std::vector<Bytes> out;
  for (auto& r : records) out.push_back(r.bytes);
  return out;
}

// Buffers for a Tun call, each packet after `offset` bytes of headroom.
struct Batch {
  std::vector<Bytes> storage;
  std::vector<std::span<std::byte>> spans;
  std::vector<std::size_t> sizes;
  static Batch of(const std::vector<Bytes>& packets, std::size_t offset = 0) {
    Batch b;
    for (auto& p : packets) {
      Bytes s(offset, std::byte(0));
      s.insert(s.end(), p.begin(), p.end());
      b.storage.push_back(std::move(s));
    }
    for (auto& s : b.storage) b.spans.emplace_back(s);
    b.sizes.assign(packets.size(), 0);
    return b;
  }
  static Batch empty(std::size_t count, std::size_t size) {
    Batch b;
    b.storage.assign(count, Bytes(size));
    for (auto& s : b.storage) b.spans.emplace_back(s);
    b.sizes.assign(count, 0);
    return b;
  }
  Bytes packet(std::size_t i, std::size_t offset = 0) const {
    auto first = storage[i].begin() + static_cast<std::ptrdiff_t>(offset);
    return Bytes(first, first + static_cast<std::ptrdiff_t>(sizes[i]));
  }
};

// A Tun that hands out queued buffers on read and keeps what is written: for virtio framing,
// which no in-memory Tun produces yet.
class FakeTun final : public tuntap::Tun {
 public:
  std::deque<Bytes> to_read;
  std::vector<Bytes> written;
  std::size_t accept = SIZE_MAX;  // packets each write takes

  tuntap::IoResult read(tuntap::Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override {
    std::size_t n = 0;
    while (n < bufs.size() && !to_read.empty()) {
      auto& p = to_read.front();
      std::memcpy(bufs[n].data() + offset, p.data(), p.size());
      sizes[n++] = p.size();
      to_read.pop_front();
    }
    if (n == 0) return {0, tuntap::errc::not_ready};
    return {n, {}};
  }
  tuntap::IoResult write(tuntap::Buffers bufs, std::size_t offset) noexcept override {
    std::size_t n = std::min(bufs.size(), accept);
    for (std::size_t i = 0; i < n; ++i)
      written.emplace_back(bufs[i].begin() + static_cast<std::ptrdiff_t>(offset), bufs[i].end());
    if (n < bufs.size()) return {n, tuntap::errc::exhausted};
    return {n, {}};
  }
  std::size_t batch_size() const noexcept override { return 64; }
  std::size_t mtu() const noexcept override { return 65545; }
  std::string_view name() const noexcept override { return "fake"; }
  void close() noexcept override {}
};

class CaptureTunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "tuntap-capture-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::shared_ptr<PcapWriter> writer(const std::string& name, std::uint64_t max_packets = 0) {
    return std::make_shared<PcapWriter>(PcapWriter::open({.path = file(name), .max_packets = max_packets}));
  }

  std::filesystem::path dir_;
};

TEST_F(CaptureTunTest, RecordsWritesAndReadsThroughAPipeInOrder) {
  auto pipe = tuntap::make_pipe({.mtu = 2000});
  auto pcap = writer("both.pcap");
  CaptureTun cap(std::move(pipe.a), pcap);
  EXPECT_EQ(cap.name(), "pipe-a");
  EXPECT_EQ(cap.mtu(), 2000u);

  std::vector<Bytes> out = {udp_v4(10, 1), udp_v4(700, 2), udp_v4(1400, 3)};
  std::vector<Bytes> in = {udp_v4(33, 4), udp_v4(1, 5)};
  auto before = tuntap::capture_now().time_since_epoch().count();
  auto w = Batch::of(out);
  ASSERT_TRUE(cap.write(w.spans, 0));
  auto r = Batch::empty(8, 2000);
  auto got = pipe.b->read(r.spans, r.sizes, 0);
  ASSERT_EQ(got.count, out.size()) << "the traffic is unchanged";
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(r.packet(i), out[i]);

  auto back = Batch::of(in);
  ASSERT_TRUE(pipe.b->write(back.spans, 0));
  auto r2 = Batch::empty(8, 2000);
  auto read = cap.read(r2.spans, r2.sizes, 0);
  ASSERT_EQ(read.count, in.size());
  auto after = tuntap::capture_now().time_since_epoch().count();
  ASSERT_FALSE(pcap->close());

  auto records = read_back(file("both.pcap"));
  std::vector<Bytes> expected = out;
  expected.insert(expected.end(), in.begin(), in.end());
  EXPECT_EQ(bytes_of(records), expected);
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_GE(records[i].ns, before);
    EXPECT_LE(records[i].ns, after);
    if (i > 0) {
      EXPECT_GE(records[i].ns, records[i - 1].ns);
    }
  }
  EXPECT_EQ(records[0].ns, records[2].ns) << "one timestamp per batch";
  auto s = cap.stats();
  EXPECT_EQ(s.recorded, 5u);
  EXPECT_EQ(s.not_recorded + s.unsent + s.super_packets + s.unsplit, 0u);
}

TEST_F(CaptureTunTest, EachDirectionToItsOwnFileOrNone) {
  auto pipe = tuntap::make_pipe({.mtu = 2000, .min_read_offset = 10, .min_write_offset = 10});
  auto reads = writer("reads.pcap");
  auto writes = writer("writes.pcap");
  CaptureTun cap(std::move(pipe.a), reads, writes);
  EXPECT_EQ(cap.min_read_offset(), 10u);
  EXPECT_EQ(cap.min_write_offset(), 10u);

  auto w = Batch::of({udp_v4(100, 1), udp_v4(200, 2)}, 16);
  ASSERT_TRUE(cap.write(w.spans, 16));
  auto sink = Batch::empty(4, 2100);
  ASSERT_EQ(pipe.b->read(sink.spans, sink.sizes, 10).count, 2u);
  auto back = Batch::of({udp_v4(300, 3)}, 12);
  ASSERT_TRUE(pipe.b->write(back.spans, 12));
  auto r = Batch::empty(4, 2100);
  ASSERT_EQ(cap.read(r.spans, r.sizes, 12).count, 1u);
  ASSERT_FALSE(reads->close());
  ASSERT_FALSE(writes->close());
  // Only the bytes after the offset are the packet.
  EXPECT_EQ(bytes_of(read_back(file("writes.pcap"))), (std::vector<Bytes>{udp_v4(100, 1), udp_v4(200, 2)}));
  EXPECT_EQ(bytes_of(read_back(file("reads.pcap"))), (std::vector<Bytes>{udp_v4(300, 3)}));

  // A null writer leaves that direction unrecorded.
  auto pipe2 = tuntap::make_pipe({.mtu = 2000});
  auto only_reads = writer("only-reads.pcap");
  CaptureTun cap2(std::move(pipe2.a), only_reads, nullptr);
  auto w2 = Batch::of({udp_v4(5, 9)});
  ASSERT_TRUE(cap2.write(w2.spans, 0));
  EXPECT_EQ(cap2.stats().recorded, 0u);
  ASSERT_FALSE(only_reads->close());
  EXPECT_TRUE(read_back(file("only-reads.pcap")).empty());
}

TEST_F(CaptureTunTest, WritesTheWrappedTunRefusesAreRecordedAndCountedUnsent) {
  auto pipe = tuntap::make_pipe({.mtu = 500});
  auto pcap = writer("unsent.pcap");
  CaptureTun cap(std::move(pipe.a), pcap);
  std::vector<Bytes> batch = {udp_v4(10, 1), udp_v4(20, 2), udp_v4(900, 3), udp_v4(30, 4)};
  auto w = Batch::of(batch);
  auto r = cap.write(w.spans, 0);
  EXPECT_EQ(r.count, 2u);
  EXPECT_EQ(r.error, tuntap::errc::jumbo_packet) << "the wrapped Tun's result comes back unchanged";
  EXPECT_EQ(cap.stats().unsent, 2u);
  EXPECT_EQ(cap.stats().recorded, 4u);
  ASSERT_FALSE(pcap->close());
  EXPECT_EQ(bytes_of(read_back(file("unsent.pcap"))), batch);
}

TEST_F(CaptureTunTest, PacketLimitStopsRecordingNotTraffic) {
  auto pipe = tuntap::make_pipe({.mtu = 2000});
  auto pcap = writer("limit.pcap", 3);
  CaptureTun cap(std::move(pipe.a), pcap);
  std::vector<Bytes> batch;
  for (std::uint8_t i = 0; i < 5; ++i) batch.push_back(udp_v4(50, i));
  auto w = Batch::of(batch);
  ASSERT_EQ(cap.write(w.spans, 0).count, 5u);
  auto r = Batch::empty(8, 2000);
  EXPECT_EQ(pipe.b->read(r.spans, r.sizes, 0).count, 5u);
  EXPECT_TRUE(pcap->limit_reached());
  EXPECT_EQ(cap.stats().recorded, 3u);
  EXPECT_EQ(cap.stats().not_recorded, 2u);
  ASSERT_FALSE(pcap->close());
  EXPECT_EQ(read_back(file("limit.pcap")).size(), 3u);
}

// A reader and a writer on the wrapper at once, one pcap writer for both (run under TSan too).
TEST_F(CaptureTunTest, ConcurrentReaderAndWriterShareOneFile) {
  auto pipe = tuntap::make_pipe({.mtu = 2000});
  auto pcap = writer("threads.pcap");
  CaptureTun cap(std::move(pipe.a), pcap);
  constexpr std::size_t total = 1000;
  std::thread sender([&] {
    for (std::size_t i = 0; i < total; i += 10) {
      std::vector<Bytes> batch;
      for (std::size_t k = i; k < i + 10; ++k) batch.push_back(udp_v4(k % 300, static_cast<std::uint8_t>(k)));
      auto w = Batch::of(batch);
      ASSERT_EQ(cap.write(w.spans, 0).count, 10u);
    }
  });
  std::thread echo([&] {
    auto r = Batch::empty(64, 2000);
    for (std::size_t got = 0; got < total;) {
      auto res = pipe.b->read(r.spans, r.sizes, 0);
      ASSERT_TRUE(res) << res.error.message();
      std::vector<std::span<std::byte>> out;
      for (std::size_t i = 0; i < res.count; ++i) out.push_back(std::span(r.storage[i]).first(r.sizes[i]));
      ASSERT_EQ(pipe.b->write(out, 0).count, res.count);
      got += res.count;
    }
  });
  auto r = Batch::empty(64, 2000);
  std::size_t got = 0;
  while (got < total) {
    auto res = cap.read(r.spans, r.sizes, 0);
    ASSERT_TRUE(res) << res.error.message();
    for (std::size_t i = 0; i < res.count; ++i) {
      ASSERT_EQ(r.packet(i), udp_v4((got + i) % 300, static_cast<std::uint8_t>(got + i)));
    }
    got += res.count;
  }
  sender.join();
  echo.join();
  ASSERT_FALSE(pcap->close());
  auto records = read_back(file("threads.pcap"));
  ASSERT_EQ(records.size(), 2 * total);
  EXPECT_EQ(cap.stats().recorded, 2 * total);
  // Every packet appears twice (out and back) and each record is whole.
  std::vector<int> seen(total, 0);
  for (auto& rec : records) {
    std::size_t k = get16(rec.bytes, 4) - 0x1000u;  // the IPv4 ID carries the seed (k mod 256)
    std::size_t payload = rec.bytes.size() - 28;
    for (std::size_t cand = k; cand < total; cand += 256) {
      if (cand % 300 == payload && udp_v4(payload, static_cast<std::uint8_t>(cand)) == rec.bytes) {
        ++seen[cand];
        break;
      }
    }
  }
  for (std::size_t i = 0; i < total; ++i) EXPECT_EQ(seen[i], 2) << i;
}

TEST_F(CaptureTunTest, NullInnerIsRefused) { EXPECT_THROW(CaptureTun(nullptr, writer("x.pcap")), tuntap::Error); }

// --- virtio framing: super-packets ---

Bytes vnet(const VirtioNetHdr& h, const Bytes& packet) {
  Bytes out(tuntap::virtio_net_hdr_len);
  h.encode(std::span<std::byte, tuntap::virtio_net_hdr_len>(out.data(), tuntap::virtio_net_hdr_len));
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

// A USO super-packet of `payload` bytes to be cut every `gso_size`, checksum partial as the kernel
// hands it over (pseudo-header sum in the UDP checksum field).
Bytes uso_super_packet(std::size_t payload, std::uint16_t gso_size, VirtioNetHdr& h) {
  Bytes p = udp_v4(payload, 7);
  auto pseudo = tuntap::pseudo_header(std::span(p).subspan(12, 4), std::span(p).subspan(16, 4), 17,
                                      static_cast<std::uint32_t>(8 + payload));
  put16(p, 26, pseudo.sum());
  h = {};
  h.flags = VirtioNetHdr::flag_needs_csum;
  h.gso_type = VirtioNetHdr::gso_udp_l4;
  h.hdr_len = 28;
  h.gso_size = gso_size;
  h.csum_start = 20;
  h.csum_offset = 6;
  return p;
}

// Checks one split segment: lengths, a valid IPv4 header checksum and a valid UDP checksum,
// and its payload equal to [from, from + size) of the super-packet's payload.
void expect_segment(const Bytes& seg, const Bytes& super, std::size_t from, std::size_t size) {
  ASSERT_EQ(seg.size(), 28 + size);
  EXPECT_EQ(get16(seg, 2), seg.size());
  EXPECT_EQ(tuntap::internet_checksum(std::span(seg).first(20)), 0) << "IPv4 header checksum";
  EXPECT_EQ(get16(seg, 24), 8 + size);
  auto sum = tuntap::pseudo_header(std::span(seg).subspan(12, 4), std::span(seg).subspan(16, 4), 17,
                                   static_cast<std::uint32_t>(8 + size));
  sum.add(std::span(seg).subspan(20));
  EXPECT_EQ(sum.sum(), 0xffff) << "UDP checksum";
  EXPECT_TRUE(std::equal(seg.begin() + 28, seg.end(), super.begin() + 28 + static_cast<std::ptrdiff_t>(from)));
}

TEST_F(CaptureTunTest, VirtioSuperPacketsAreRecordedAsTheirSegments) {
  auto fake = std::make_unique<FakeTun>();
  VirtioNetHdr h;
  Bytes super = uso_super_packet(2500, 1000, h);
  Bytes plain = udp_v4(64, 9);
  fake->to_read.push_back(vnet(h, super));
  fake->to_read.push_back(vnet(VirtioNetHdr{}, plain));
  auto* raw = fake.get();
  auto pcap = writer("virtio.pcap");
  CaptureTun cap(std::move(fake), pcap, CaptureOptions{.offload = tuntap::OffloadMode::passthrough});
  auto r = Batch::empty(4, 70000);
  auto got = cap.read(r.spans, r.sizes, 0);
  ASSERT_EQ(got.count, 2u);
  EXPECT_EQ(r.packet(0), vnet(h, super)) << "the reader still gets the super-packet untouched";

  // Writes too: the same super-packet, as a virtio writer would hand it to the device.
  auto w = Batch::of({vnet(h, super)});
  ASSERT_TRUE(cap.write(w.spans, 0));
  EXPECT_EQ(raw->written.at(0), vnet(h, super)) << "and the wrapped Tun gets it untouched";
  ASSERT_FALSE(pcap->close());

  auto records = bytes_of(read_back(file("virtio.pcap")));
  ASSERT_EQ(records.size(), 3u + 1 + 3);
  for (std::size_t base : {0u, 4u}) {
    expect_segment(records[base + 0], super, 0, 1000);
    expect_segment(records[base + 1], super, 1000, 1000);
    expect_segment(records[base + 2], super, 2000, 500);
  }
  EXPECT_EQ(records[3], plain) << "no virtio header in the capture";
  auto s = cap.stats();
  EXPECT_EQ(s.super_packets, 2u);
  EXPECT_EQ(s.recorded, 7u);
  EXPECT_EQ(s.unsplit, 0u);
}

TEST_F(CaptureTunTest, KeepGsoRecordsSuperPacketsWhole) {
  auto fake = std::make_unique<FakeTun>();
  VirtioNetHdr h;
  Bytes super = uso_super_packet(3000, 1200, h);
  fake->to_read.push_back(vnet(h, super));
  auto pcap = writer("keep.pcap");
  CaptureTun cap(std::move(fake), pcap, CaptureOptions{.offload = tuntap::OffloadMode::passthrough, .keep_gso = true});
  auto r = Batch::empty(2, 70000);
  ASSERT_EQ(cap.read(r.spans, r.sizes, 0).count, 1u);
  ASSERT_FALSE(pcap->close());
  EXPECT_EQ(bytes_of(read_back(file("keep.pcap"))), (std::vector<Bytes>{super}));
  EXPECT_EQ(cap.stats().super_packets, 0u);
}

TEST_F(CaptureTunTest, VirtioPacketsThatWillNotSplitAreRecordedWhole) {
  auto fake = std::make_unique<FakeTun>();
  VirtioNetHdr h;
  Bytes super = uso_super_packet(2000, 500, h);
  Bytes not_ip = super;
  not_ip[0] = std::byte(0x00);  // no IP version: split refuses it
  VirtioNetHdr tiny = h;
  tiny.gso_size = 1;  // 2000 segments: more than the wrapper splits
  fake->to_read.push_back(vnet(h, not_ip));
  fake->to_read.push_back(vnet(tiny, super));
  fake->to_read.push_back(Bytes(5, std::byte(0)));  // shorter than a virtio header
  auto pcap = writer("unsplit.pcap");
  CaptureTun cap(std::move(fake), pcap, CaptureOptions{.offload = tuntap::OffloadMode::passthrough});
  auto r = Batch::empty(4, 70000);
  ASSERT_EQ(cap.read(r.spans, r.sizes, 0).count, 3u);
  ASSERT_FALSE(pcap->close());
  EXPECT_EQ(bytes_of(read_back(file("unsplit.pcap"))), (std::vector<Bytes>{not_ip, super}));
  auto s = cap.stats();
  EXPECT_EQ(s.unsplit, 2u);
  EXPECT_EQ(s.not_recorded, 1u);
}

}  // namespace
