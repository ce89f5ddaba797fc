// Internet checksum throughput, against the textbook RFC 1071 loop in the same run.
// Counters (CPU time of the benchmark thread): GB/s = 10^9 bytes per second on one core;
// x_naive = how many times faster than the naive loop over a buffer of the same size.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "tuntap/checksum.hpp"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::byte> random_bytes(std::size_t n) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(42);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

// RFC 1071 section 4.1, one 16-bit word at a time: the floor to compare with.
std::uint16_t naive_checksum(const std::byte* p, std::size_t n) {
  std::uint32_t sum = 0;
  while (n > 1) {
    sum += (std::to_integer<std::uint32_t>(p[0]) << 8) | std::to_integer<std::uint32_t>(p[1]);
    p += 2;
    n -= 2;
  }
  if (n > 0) sum += std::to_integer<std::uint32_t>(p[0]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// CPU seconds the naive loop takes per buffer of `size` bytes, measured once per size.
double naive_seconds(std::size_t size) {
  static std::map<std::size_t, double> cache;
  if (auto it = cache.find(size); it != cache.end()) return it->second;
  const auto data = random_bytes(size);
  const std::size_t reps = std::max<std::size_t>(1, (std::size_t{128} << 20) / size);
  const double start = thread_cpu_seconds();
  for (std::size_t i = 0; i < reps; ++i) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(naive_checksum(data.data(), data.size()));
  }
  return cache[size] = (thread_cpu_seconds() - start) / static_cast<double>(reps);
}

// Runs `body` as the timed loop and reports GB/s and, if naive > 0, the ratio to it.
template <typename Body>
void run(benchmark::State& state, std::size_t size, double naive, Body body) {
  const double start = thread_cpu_seconds();
  for (auto _ : state) body();
  const double per_buffer = (thread_cpu_seconds() - start) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
  state.counters["GB/s"] = static_cast<double>(size) / per_buffer * 1e-9;
  if (naive > 0) state.counters["x_naive"] = naive / per_buffer;
}

void BM_Checksum(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto data = random_bytes(size);
  run(state, size, naive_seconds(size), [&] {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(tuntap::internet_checksum(data));
  });
}

// An odd start address and length: the unaligned path the split of odd-sized payloads takes.
void BM_ChecksumUnaligned(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto data = random_bytes(size + 1);
  const std::span<const std::byte> view(data.data() + 1, size);
  run(state, size, naive_seconds(size), [&] {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(tuntap::internet_checksum(view));
  });
}

void BM_ChecksumNaive(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const auto data = random_bytes(size);
  run(state, size, 0, [&] {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(naive_checksum(data.data(), data.size()));
  });
}

}  // namespace

BENCHMARK(BM_Checksum)->Arg(40)->Arg(1500)->Arg(65536);
BENCHMARK(BM_ChecksumUnaligned)->Arg(1499)->Arg(65535);
BENCHMARK(BM_ChecksumNaive)->Arg(1500)->Arg(65536);

BENCHMARK_MAIN();
