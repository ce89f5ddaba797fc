#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "pipe_packets.hpp"
#include "tuntap/packet_stream.hpp"
#include "tuntap/pipe.hpp"

using namespace tuntap;
using namespace tuntap::test;

namespace {

std::shared_ptr<Tun> as_shared(std::unique_ptr<PipeEnd> end) { return end; }

// A Tun that returns scripted read results, to reach paths a pipe never takes.
class ScriptedTun final : public Tun {
 public:
  struct Step {
    std::vector<std::size_t> lengths;  // packets to deliver (test packets of these lengths)
    std::error_code error;
    std::size_t truncated_length = SIZE_MAX;  // if set, sizes[count] claims this length
  };
  explicit ScriptedTun(std::vector<Step> steps) : steps_(std::move(steps)) {}
  IoResult read(Buffers bufs, std::span<std::size_t> sizes, std::size_t offset) noexcept override {
    if (next_ == steps_.size()) return {0, errc::closed};
    const Step& s = steps_[next_++];
    for (std::size_t i = 0; i < s.lengths.size(); ++i) {
      fill_packet(bufs[i].subspan(offset, s.lengths[i]), seq_++);
      sizes[i] = s.lengths[i];
    }
    if (s.truncated_length != SIZE_MAX) sizes[s.lengths.size()] = s.truncated_length;
    return {s.lengths.size(), s.error};
  }
  IoResult write(Buffers bufs, std::size_t) noexcept override { return {bufs.size(), {}}; }
  std::size_t batch_size() const noexcept override { return 8; }
  std::size_t mtu() const noexcept override { return 200; }
  std::string_view name() const noexcept override { return "scripted"; }
  void close() noexcept override {}

 private:
  std::vector<Step> steps_;
  std::size_t next_ = 0;
  std::uint32_t seq_ = 0;
};

}  // namespace

TEST(PacketStream, HandsOutABatchOnePacketAtATime) {
  auto [a, b] = make_pipe({.batch_size = 4, .min_read_offset = 10});
  PacketStream stream(as_shared(std::move(b)));
  ASSERT_TRUE(a->write(OutBatch(0, {30, 40, 50, 60, 70, 80}, 0).bufs(), 0));
  std::vector<std::byte> out(1500);
  for (std::uint32_t i = 0; i < 6; ++i) {
    auto r = stream.read(out);
    ASSERT_TRUE(r) << r.error.message();
    EXPECT_EQ(r.size, 30u + 10 * i);
    EXPECT_EQ(check_packet(std::span(out).first(r.size)), i);
    // The first read fetched a batch of 4; the rest wait in the stream.
    if (i == 0) {
      EXPECT_EQ(stream.buffered(), 3u);
    }
  }
  EXPECT_EQ(stream.buffered(), 0u);
  a->close();
  EXPECT_EQ(stream.read(out).error, errc::closed);
}

TEST(PacketStream, WritesOnePacketBehindTheHeadroom) {
  auto [a, b] = make_pipe({.mtu = 300, .min_write_offset = 12});
  PacketStream stream(as_shared(std::move(a)));
  auto p = make_packet(42, 300);
  EXPECT_FALSE(stream.write(p));
  EXPECT_EQ(stream.write(make_packet(43, 301)), errc::jumbo_packet);
  TestBatch in(4, 400);
  auto got = b->read(in.bufs(), in.sizes, 0);
  ASSERT_EQ(got.count, 1u);
  EXPECT_EQ(check_packet(in.packet(0, 0)), 42u);
  b->close();
  EXPECT_EQ(stream.write(p), errc::closed);
}

TEST(PacketStream, APacketLargerThanTheCallersBufferIsCutAndReported) {
  auto [a, b] = make_pipe();
  PacketStream stream(as_shared(std::move(b)));
  ASSERT_TRUE(a->write(OutBatch(0, {500, 60}, 0).bufs(), 0));
  std::vector<std::byte> small(100);
  auto r = stream.read(small);
  EXPECT_EQ(r.error, errc::jumbo_packet);
  EXPECT_EQ(r.size, 100u);
  auto whole = make_packet(0, 500);
  EXPECT_TRUE(std::equal(small.begin(), small.end(), whole.begin()));
  r = stream.read(small);  // the next packet is unaffected
  ASSERT_TRUE(r);
  EXPECT_EQ(check_packet(std::span(small).first(r.size)), 1u);
}

TEST(PacketStream, AnErrorAfterABatchComesAfterItsPackets) {
  auto tun = std::make_shared<ScriptedTun>(std::vector<ScriptedTun::Step>{
      {.lengths = {30, 31}, .error = errc::not_ip_packet},
      {.lengths = {32}, .error = errc::jumbo_packet, .truncated_length = 150},
      {.lengths = {}, .error = errc::jumbo_packet, .truncated_length = 99999},  // a lying Tun
  });
  PacketStream stream(tun);
  std::vector<std::byte> out(1500);
  auto r = stream.read(out);
  ASSERT_TRUE(r);
  EXPECT_EQ(check_packet(std::span(out).first(r.size)), 0u);
  r = stream.read(out);
  ASSERT_TRUE(r);
  EXPECT_EQ(check_packet(std::span(out).first(r.size)), 1u);
  EXPECT_EQ(stream.read(out).error, errc::not_ip_packet);
  r = stream.read(out);
  ASSERT_TRUE(r);
  EXPECT_EQ(check_packet(std::span(out).first(r.size)), 2u);
  // The cut packet of a jumbo read is handed out in its turn, flagged.
  r = stream.read(out);
  EXPECT_EQ(r.error, errc::jumbo_packet);
  EXPECT_EQ(r.size, 150u);
  // A length beyond the stream's own buffer is never believed (no over-read).
  r = stream.read(out);
  EXPECT_EQ(r.error, errc::jumbo_packet);
  EXPECT_LE(r.size, 200u);
  EXPECT_EQ(stream.read(out).error, errc::closed);
}

TEST(PacketStream, ReaderAndWriterThreadsAtOnce) {
  auto left = make_pipe({.batch_size = 16, .capacity = 32});
  PacketStream stream(as_shared(std::move(left.b)));
  constexpr std::uint32_t kCount = 5000;
  std::thread writer([&] {
    for (std::uint32_t i = 0; i < kCount; ++i) ASSERT_FALSE(stream.write(make_packet(i, 24 + i % 500)));
  });
  std::thread echo([&] {  // the peer sends everything it gets straight back
    TestBatch in(32, 1500);
    for (std::uint32_t n = 0; n < kCount;) {
      auto got = left.a->read(in.bufs(), in.sizes, 0);
      ASSERT_TRUE(got);
      std::vector<std::span<std::byte>> back;
      for (std::size_t i = 0; i < got.count; ++i) back.push_back(std::span(in.storage[i]).first(in.sizes[i]));
      ASSERT_TRUE(left.a->write(back, 0));
      n += static_cast<std::uint32_t>(got.count);
    }
  });
  std::vector<std::byte> out(1500);
  for (std::uint32_t i = 0; i < kCount; ++i) {
    auto r = stream.read(out);
    ASSERT_TRUE(r);
    ASSERT_EQ(check_packet(std::span(out).first(r.size)), i);
  }
  writer.join();
  echo.join();
}
