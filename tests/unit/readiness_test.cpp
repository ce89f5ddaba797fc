// Tun::readiness() on the endpoints that live in memory (pipes, wrappers): the descriptors are
// readable exactly while a read or write would make progress, including segments a split end
// holds, and an event loop on them alone never stalls (support/epoll_relay.hpp).
#include <poll.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "offload_test_support.hpp"
#include "support/epoll_relay.hpp"
#include "tuntap/callback_tun.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using namespace tuntap::test;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kHdr = virtio_net_hdr_len;

// `flows` TCP flows of `segments` in-order segments each, one flow after the other.
std::vector<std::vector<std::byte>> tcp_flows(std::size_t flows, std::size_t segments, std::size_t payload) {
  std::vector<std::vector<std::byte>> out;
  for (std::size_t f = 0; f < flows; ++f) {
    for (std::size_t i = 0; i < segments; ++i) {
      Spec s;
      s.sport = static_cast<std::uint16_t>(40000 + f);
      s.payload = payload;
      s.seq = static_cast<std::uint32_t>(1000 + i * payload);
      s.id = static_cast<std::uint16_t>(i);
      s.payload_seed = static_cast<std::uint8_t>(f * 7 + i);
      out.push_back(build(s));
    }
  }
  return out;
}

IoResult write_all(Tun& end, const std::vector<std::vector<std::byte>>& packets) {
  Batch b(kHdr);
  for (const auto& p : packets) b.add(p);
  return end.write(b.bufs(), kHdr);
}

IoResult read_into(Tun& end, OutBuffers& in) { return end.read(in.bufs(), in.sizes, kHdr); }

void wait_for(int fd) {
  pollfd p{fd, POLLIN, 0};
  ::poll(&p, 1, 1000);
}

// A pipe's ends share its non-blocking switch: the producer and consumer wait on readiness too.
IoResult write_waiting(Tun& end, const std::vector<std::vector<std::byte>>& packets) {
  Batch b(kHdr);
  for (const auto& p : packets) b.add(p);
  std::size_t done = 0;
  for (;;) {
    auto r = end.write(b.bufs().subspan(done), kHdr);
    done += r.count;
    if (r.error != errc::not_ready) return {done, r.error};
    wait_for(end.readiness().write);
  }
}

IoResult read_waiting(Tun& end, OutBuffers& in) {
  for (;;) {
    auto r = read_into(end, in);
    if (r.count != 0 || r.error != errc::not_ready) return r;
    wait_for(end.readiness().read);
  }
}

}  // namespace

TEST(Readiness, APipeEndIsReadableExactlyWhilePacketsAreQueuedForIt) {
  auto [a, b] = make_pipe({.non_blocking = true});
  auto ready = b->readiness();
  ASSERT_TRUE(ready);
  EXPECT_EQ(b->readiness().read, ready.read) << "the same descriptors every time";
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_TRUE(fd_readable(ready.write)) << "an empty pipe has room";
  ASSERT_TRUE(write_all(*a, tcp_flows(1, 3, 100)));
  EXPECT_TRUE(fd_readable(ready.read));
  OutBuffers in(2, 2048);
  EXPECT_EQ(read_into(*b, in).count, 2u);
  EXPECT_TRUE(fd_readable(ready.read)) << "one packet is still queued";
  EXPECT_EQ(read_into(*b, in).count, 1u);
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_EQ(read_into(*b, in).error, errc::not_ready);
}

// A read takes a super-packet only when all its segments fit the buffers left: after one of 40
// segments, 24 buffers cannot take the next, which the end holds for the next read.
TEST(Readiness, ASplitEndHoldingASuperPacketForTheNextReadStaysReadable) {
  auto [a, b] = make_pipe(
      {.batch_size = 128, .non_blocking = true, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  auto ready = b->readiness();
  ASSERT_TRUE(ready);
  ASSERT_TRUE(write_all(*a, tcp_flows(1, 40, 1000)));
  ASSERT_TRUE(write_all(*a, tcp_flows(1, 40, 1000)));
  ASSERT_EQ(a->queued_out(), 2u) << "two super-packets in the pipe";
  OutBuffers in(64, 2048);
  EXPECT_EQ(read_into(*b, in).count, 40u);
  EXPECT_EQ(b->queued_in(), 0u) << "the second super-packet is held by the end, not queued";
  EXPECT_TRUE(fd_readable(ready.read));
  EXPECT_EQ(read_into(*b, in).count, 40u);
  EXPECT_FALSE(fd_readable(ready.read));
  EXPECT_EQ(read_into(*b, in).error, errc::not_ready);
}

TEST(Readiness, TheWriteDescriptorWaitsForRoomForWhatOneWriteQueues) {
  auto [a, b] = make_pipe({.capacity = 4, .non_blocking = true});
  auto ready = a->readiness();
  ASSERT_TRUE(ready);
  ASSERT_TRUE(write_all(*a, tcp_flows(1, 4, 100)));
  EXPECT_FALSE(fd_readable(ready.write));
  EXPECT_EQ(write_all(*a, tcp_flows(1, 1, 100)).error, errc::not_ready);
  OutBuffers in(1, 2048);
  ASSERT_EQ(read_into(*b, in).count, 1u);
  EXPECT_TRUE(fd_readable(ready.write)) << "the reader made room";

  // An end that queues chunks all or none: writable only with room for a whole chunk (capacity 4).
  auto [c, d] = make_pipe({.capacity = 4,
                           .non_blocking = true,
                           .offload_a = OffloadMode::split,
                           .offload_b = OffloadMode::split,
                           .tcp_coalescing = false});
  auto chunked = c->readiness();
  ASSERT_TRUE(write_all(*c, tcp_flows(1, 1, 100)));
  EXPECT_FALSE(fd_readable(chunked.write)) << "room for 3, a chunk is 4";
  ASSERT_EQ(read_into(*d, in).count, 1u);
  EXPECT_TRUE(fd_readable(chunked.write));
}

TEST(Readiness, CloseFromAnotherThreadWakesALoopAndTheReadSaysClosed) {
  auto [a, b] = make_pipe({.non_blocking = true});
  auto ready = b->readiness();
  ASSERT_TRUE(ready);
  auto start = std::chrono::steady_clock::now();
  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    a->close();
  });
  pollfd p{ready.read, POLLIN, 0};
  int n = ::poll(&p, 1, 10'000);
  closer.join();
  EXPECT_EQ(n, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  OutBuffers in(1, 2048);
  EXPECT_EQ(read_into(*b, in).error, errc::closed);
  EXPECT_TRUE(fd_readable(ready.write)) << "a write fails at once, so it does not wait";
  EXPECT_EQ(write_all(*b, tcp_flows(1, 1, 100)).error, errc::closed);
  EXPECT_TRUE(fd_readable(a->readiness().read)) << "the closing end too";
}

TEST(Readiness, WrappersForwardTheReadinessOfWhatTheyWrap) {
  auto [a, b] = make_pipe({.non_blocking = true});
  std::shared_ptr<Tun> inner(std::move(b));
  auto ready = inner->readiness();
  CallbackTun wrapped(inner, {.on_read = [](PacketBatch&) {}});
  EXPECT_EQ(wrapped.readiness().read, ready.read);
  EXPECT_EQ(wrapped.readiness().write, ready.write);
}

namespace {

struct RelayCase {
  const char* name;
  OffloadMode source_end;  // the end the relay reads (the producer writes split)
  OffloadMode sink_end;    // the end the relay writes (the consumer reads split)
  std::size_t buffers;     // per relay read: enough for one super-packet, not two (so a split end holds)
  bool wrap;               // the relay reads through a CallbackTun
  std::size_t capacity;    // per pipe direction
};

class ReadinessRelay : public ::testing::TestWithParam<RelayCase> {};

}  // namespace

// producer -> [pipe 1] -> relay (epoll on readiness only) -> [pipe 2] -> consumer, every packet
// accounted for and byte-exact, and no wake-up the relay needed was missing.
TEST_P(ReadinessRelay, AnEpollLoopOnReadinessAloneNeverStallsAndLosesNothing) {
  const auto& c = GetParam();
  auto [producer, source] = make_pipe(
      {.batch_size = 128, .capacity = c.capacity, .offload_a = OffloadMode::split, .offload_b = c.source_end});
  auto [sink, consumer] = make_pipe(
      {.batch_size = 128, .capacity = c.capacity, .offload_a = c.sink_end, .offload_b = OffloadMode::split});
  source->set_non_blocking(true);
  sink->set_non_blocking(true);
  std::shared_ptr<Tun> source_tun(std::move(source));
  std::unique_ptr<Tun> wrapper;
  if (c.wrap) wrapper = std::make_unique<CallbackTun>(source_tun, CallbackHooks{.on_read = [](PacketBatch&) {}});
  Tun& from = c.wrap ? *wrapper : *source_tun;

  const auto packets = tcp_flows(30, 40, 1000);
  std::atomic<bool> stop{false};
  producer->readiness();
  consumer->readiness();
  auto relay = std::async(std::launch::async, [&] { return EpollRelay(from, *sink, c.buffers).run(stop); });
  auto consumed = std::async(std::launch::async, [&] {
    std::vector<std::vector<std::byte>> got;
    OutBuffers in(128, 2048);
    while (got.size() < packets.size()) {
      auto r = read_waiting(*consumer, in);
      for (std::size_t i = 0; i < r.count; ++i) {
        auto p = in.packet(i, kHdr);
        got.emplace_back(p.begin(), p.end());
      }
      if (r.error) {
        ADD_FAILURE() << "consumer: " << r.error.message();
        break;
      }
    }
    return got;
  });
  // One flow per write: each becomes one super-packet on the offload wire.
  for (std::size_t f = 0; f < 30; ++f) {
    std::vector<std::vector<std::byte>> flow(packets.begin() + f * 40, packets.begin() + (f + 1) * 40);
    auto w = write_waiting(*producer, flow);
    ASSERT_TRUE(w) << w.error.message() << " after " << w.count;
  }
  auto status = consumed.wait_for(30s);
  stop = true;
  auto counts = relay.get();
  if (status != std::future_status::ready) consumer->close();  // ends the consumer's wait
  ASSERT_EQ(status, std::future_status::ready)
      << "the consumer is still waiting: the relay moved " << counts.packets[0] << " packets, stalled " << counts.stalls
      << " times, waited to write " << counts.write_waits << " times; " << producer->stats().packets_written
      << " written";
  auto got = consumed.get();
  EXPECT_EQ(counts.stalls, 0u);
  if (c.source_end == OffloadMode::passthrough) {
    EXPECT_GT(counts.packets[0], 0u) << "super-packets, passed whole";
  } else {
    EXPECT_EQ(counts.packets[0], packets.size());
  }
  ASSERT_EQ(got.size(), packets.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], packets[i]) << "packet " << i;
  EXPECT_EQ(counts.errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    PipesAndWrappers, ReadinessRelay,
    ::testing::Values(RelayCase{"SplitEndsSmallBatches", OffloadMode::split, OffloadMode::split, 50, false, 256},
                      RelayCase{"SplitToPlainTinyPipe", OffloadMode::split, OffloadMode::off, 41, false, 8},
                      RelayCase{"PassthroughWhole", OffloadMode::passthrough, OffloadMode::passthrough, 4, false, 4},
                      RelayCase{"PlainEnds", OffloadMode::off, OffloadMode::off, 64, false, 16},
                      RelayCase{"ThroughACallbackTun", OffloadMode::split, OffloadMode::split, 64, true, 256}),
    [](const auto& test_case) { return std::string(test_case.param.name); });
