// Split and coalesce throughput per core: a 64 KiB TCP super-packet to 1500-byte packets and back,
// against plain memcpy of the same bytes in the same run (the floor any zero-trick split pays).
// Counters (CPU time of the benchmark thread): Gbit/s = 10^9 bits of IP packets per second on one
// core; x_memcpy = our time / the time to memcpy the same packets (split) -- lower is better.
#include <benchmark/benchmark.h>

#include <time.h>

#include <cstring>
#include <vector>

#include "../tests/unit/offload_test_support.hpp"
#include "tuntap/offload.hpp"

namespace {

using tuntap::VirtioNetHdr;
using tuntap::test::Spec;

constexpr std::size_t kMtu = 1500;
constexpr std::size_t kOffset = 16;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `body` as the timed loop; returns CPU seconds per iteration and sets Gbit/s for `bytes`.
template <typename Body>
double run(benchmark::State& state, std::size_t bytes, Body body) {
  const double start = thread_cpu_seconds();
  for (auto _ : state) body();
  const double per = (thread_cpu_seconds() - start) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["Gbit/s"] = static_cast<double>(bytes) * 8 / per * 1e-9;
  return per;
}

Spec base(bool v6, bool udp) {
  Spec s = v6 ? tuntap::test::v6_spec() : Spec{};
  s.udp = udp;
  return s;
}

std::size_t headers_of(bool v6, bool udp) { return (v6 ? 40 : 20) + (udp ? 8 : 20); }

// The largest super-packet of MTU-sized segments that fits 64 KiB, and its vnet header.
struct Super {
  std::vector<std::byte> bytes;
  VirtioNetHdr hdr;
  std::size_t segments = 0;
};

Super make_super(bool v6, bool udp) {
  const std::size_t headers = headers_of(v6, udp);
  const std::size_t mss = kMtu - headers;
  Super s;
  s.segments = (65535 - headers) / mss;
  Spec spec = base(v6, udp);
  spec.payload = s.segments * mss;
  s.bytes = tuntap::test::build(spec);
  s.hdr.flags = VirtioNetHdr::flag_needs_csum;
  s.hdr.gso_type = udp ? VirtioNetHdr::gso_udp_l4 : (v6 ? VirtioNetHdr::gso_tcpv6 : VirtioNetHdr::gso_tcpv4);
  s.hdr.hdr_len = static_cast<std::uint16_t>(headers);
  s.hdr.gso_size = static_cast<std::uint16_t>(mss);
  s.hdr.csum_start = v6 ? 40 : 20;
  s.hdr.csum_offset = udp ? 6 : 16;
  return s;
}

using Buffers = tuntap::test::OutBuffers;

double memcpy_seconds_per_super(const Super& s) {
  // The same bytes moved with memcpy alone, headers and all: the floor for split.
  Buffers out(s.segments, kOffset + kMtu);
  const std::size_t headers = s.hdr.hdr_len, mss = s.hdr.gso_size;
  const std::size_t reps = 20000;
  const double start = thread_cpu_seconds();
  for (std::size_t r = 0; r < reps; ++r) {
    for (std::size_t i = 0; i < s.segments; ++i) {
      std::byte* o = out.storage[i].data() + kOffset;
      std::memcpy(o, s.bytes.data(), headers);
      std::memcpy(o + headers, s.bytes.data() + headers + i * mss, mss);
    }
    benchmark::ClobberMemory();
  }
  return (thread_cpu_seconds() - start) / static_cast<double>(reps);
}

void BM_Split(benchmark::State& state) {
  const bool v6 = state.range(0) != 0, udp = state.range(1) != 0;
  const Super s = make_super(v6, udp);
  Buffers out(s.segments, kOffset + kMtu);
  const double floor = memcpy_seconds_per_super(s);
  std::error_code ec;
  const double per = run(state, s.segments * kMtu, [&] {
    const std::size_t n = tuntap::offload::split(s.hdr, s.bytes, out.spans, out.sizes, kOffset, ec);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  });
  if (ec) state.SkipWithError(ec.message().c_str());
  state.counters["segments"] = static_cast<double>(s.segments);
  state.counters["x_memcpy"] = per / floor;
}

// A batch of MTU-sized packets: `flows` TCP/UDP flows interleaved round-robin.
struct Batch {
  tuntap::test::Batch batch{kOffset};
  std::size_t bytes = 0;
};

Batch make_batch(bool v6, bool udp, std::size_t flows, std::size_t packets) {
  Batch b;
  const std::size_t mss = kMtu - headers_of(v6, udp);
  for (std::size_t i = 0; i < packets; ++i) {
    Spec spec = base(v6, udp);
    const std::size_t f = i % flows, k = i / flows;
    spec.sport = static_cast<std::uint16_t>(20000 + f);
    spec.payload = mss;
    spec.seq = static_cast<std::uint32_t>(1000 + k * mss);
    spec.id = static_cast<std::uint16_t>(100 + k);
    b.batch.add(tuntap::test::build(spec));
    b.bytes += kMtu;
  }
  b.batch.bufs();
  return b;
}

void BM_Coalesce(benchmark::State& state) {
  const bool v6 = state.range(0) != 0, udp = state.range(1) != 0;
  const auto flows = static_cast<std::size_t>(state.range(2));
  // One full super-packet per flow: as many MTU packets as fit 64 KiB.
  const std::size_t per_flow = (65535 - headers_of(v6, udp)) / (kMtu - headers_of(v6, udp));
  const std::size_t packets = std::min<std::size_t>(128, per_flow * flows);
  Batch b = make_batch(v6, udp, flows, packets);
  tuntap::offload::Coalescer coalescer;
  std::error_code ec;
  std::size_t writes = 0;
  run(state, b.bytes, [&] {
    auto plan = coalescer.plan(b.batch.spans, kOffset, ec);
    writes = plan.size();
    benchmark::DoNotOptimize(plan.data());
    coalescer.restore();  // the next iteration must see the original packets again
  });
  if (ec) state.SkipWithError(ec.message().c_str());
  state.counters["packets"] = static_cast<double>(packets);
  state.counters["writes"] = static_cast<double>(writes);
}

}  // namespace

// Args: v6, udp.
BENCHMARK(BM_Split)->ArgNames({"v6", "udp"})->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1});
// Args: v6, udp, interleaved flows.
BENCHMARK(BM_Coalesce)
    ->ArgNames({"v6", "udp", "flows"})
    ->Args({0, 0, 1})
    ->Args({1, 0, 1})
    ->Args({0, 1, 1})
    ->Args({0, 0, 4})
    ->Args({0, 0, 64});

BENCHMARK_MAIN();
