// In-memory throughput of the composition parts: 64-byte packets through a Pipe (one thread
// writing then reading; and a writer thread feeding a reader), through a Forwarder between two
// pipes, and through an offload pipe that coalesces a TCP flow and splits it again.
// Counters: Mpps = million packets per second (wall clock); allocs/pkt = calls of any global
// operator new per packet in the timed loop (steady state: the target is 0). A plain memcpy of
// the same packets into a ring (one copy in, one out) is the floor the pipe is compared with.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "../tests/unit/offload_test_support.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/pipe.hpp"

// ---- allocation counting: every global operator new of this program goes through here ----------

namespace {
std::atomic<std::uint64_t> g_allocations{0};

void* counted(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* counted_aligned(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  auto a = static_cast<std::size_t>(align);
  std::size_t rounded = (size + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted(size); }
void* operator new[](std::size_t size) { return counted(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t a) { return counted_aligned(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_aligned(size, a); }
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned(size, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned(size, a);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace tuntap;

constexpr std::size_t kPacket = 64;

// Batch buffers: n buffers of `size` bytes, each holding a 64-byte packet after `offset`.
struct Buffers {
  Buffers(std::size_t n, std::size_t size, std::size_t offset, std::size_t packet = kPacket)
      : storage(n, std::vector<std::byte>(size)), read(n), write(n), sizes(n) {
    for (std::size_t i = 0; i < n; ++i) {
      read[i] = storage[i];
      write[i] = std::span(storage[i]).first(offset + packet);
      storage[i][offset] = std::byte{0x45};
    }
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> read, write;
  std::vector<std::size_t> sizes;
};

// Measures the timed loop: packets per second (wall clock) and allocations per packet.
class Meter {
 public:
  explicit Meter(benchmark::State& state) : state_(state), start_(g_allocations.load()) {}
  void add(std::size_t packets) { packets_ += packets; }
  ~Meter() {
    auto allocs = g_allocations.load() - start_;
    state_.SetItemsProcessed(static_cast<std::int64_t>(packets_));
    state_.counters["Mpps"] = benchmark::Counter(static_cast<double>(packets_) * 1e-6, benchmark::Counter::kIsRate);
    state_.counters["allocs/pkt"] = packets_ == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(packets_);
  }

 private:
  benchmark::State& state_;
  std::uint64_t start_;
  std::uint64_t packets_ = 0;
};

// The floor: the pipe's two copies (in and out) of each packet through a ring, nothing else.
void BM_MemcpyFloor(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  Buffers bufs(batch, 2048, 0);
  std::vector<std::byte> ring(256 * 1500);
  std::size_t slot = 0;
  Meter meter(state);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) {
      std::memcpy(ring.data() + (slot + i) % 256 * 1500, bufs.write[i].data(), kPacket);
    }
    for (std::size_t i = 0; i < batch; ++i) {
      std::memcpy(bufs.read[i].data(), ring.data() + (slot + i) % 256 * 1500, kPacket);
      bufs.sizes[i] = kPacket;
    }
    slot += batch;
    benchmark::DoNotOptimize(bufs.read[0].data());
    benchmark::ClobberMemory();
    meter.add(batch);
  }
}

// One thread writes a batch into a pipe, then reads it from the other end.
void BM_PipeOneThread(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  auto [a, b] = make_pipe({.batch_size = batch, .mtu = 1500, .capacity = 256});
  Buffers out(batch, 2048, 0), in(batch, 2048, 0);
  Meter meter(state);
  for (auto _ : state) {
    auto w = a->write(out.write, 0);
    auto r = b->read(in.read, in.sizes, 0);
    if (w.count != batch || r.count != batch) state.SkipWithError("short batch");
    meter.add(r.count);
  }
}

// A writer thread floods `source` with batches while this thread reads `sink` and meters it;
// `stop` then ends the flood (it must close or stop what the writer writes to).
template <class Stop>
void meter_flood(benchmark::State& state, Tun& source, Tun& sink, std::size_t batch, Stop stop) {
  std::thread writer([&] {
    Buffers out(batch, 2048, 0);
    while (source.write(out.write, 0)) {
    }
  });
  Buffers in(batch, 2048, 0);
  for (int i = 0; i < 100; ++i) sink.read(in.read, in.sizes, 0);  // warm up
  {
    Meter meter(state);
    for (auto _ : state) meter.add(sink.read(in.read, in.sizes, 0).count);
  }
  stop();
  writer.join();
}

// A writer thread feeds the pipe; the benchmark thread reads.
void BM_PipeTwoThreads(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  auto [a, b] = make_pipe({.batch_size = batch, .mtu = 1500, .capacity = 1024});
  meter_flood(state, *a, *b, batch, [&] { a->close(); });
}

// writer -> pipe -> Forwarder -> pipe -> the benchmark thread.
void BM_Forwarder(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  auto in = make_pipe({.batch_size = batch, .capacity = 1024});
  auto out = make_pipe({.batch_size = batch, .capacity = 1024});
  auto writer_end = std::move(in.a);
  auto reader_end = std::move(out.b);
  auto fwd = std::make_unique<Forwarder>(std::move(in.b), std::move(out.a));
  meter_flood(state, *writer_end, *reader_end, batch, [&] {
    state.counters["fwd_drops"] = static_cast<double>(fwd->stats().drops);
    fwd->stop();
  });
}

// An offload pipe: 64 segments of one TCP flow (1448-byte payloads) coalesced on write into one
// super-packet, split on read. Counts segments.
void BM_OffloadPipeTcp(benchmark::State& state) {
  constexpr std::size_t kSegments = 44;  // 44 x 1448 fits a 64 KiB super-packet
  auto [a, b] = make_pipe({.batch_size = 64, .offload_a = OffloadMode::split, .offload_b = OffloadMode::split});
  std::vector<std::vector<std::byte>> storage;
  for (std::size_t i = 0; i < kSegments; ++i) {
    test::Spec s;
    s.payload = 1448;
    s.seq = static_cast<std::uint32_t>(1000 + i * 1448);
    s.id = static_cast<std::uint16_t>(i);
    auto p = test::build(s);
    std::vector<std::byte> framed(16 + p.size());
    std::memcpy(framed.data() + 16, p.data(), p.size());
    storage.push_back(std::move(framed));
  }
  std::vector<std::span<std::byte>> out(storage.begin(), storage.end());
  Buffers in(64, 2048, 16);
  a->write(out, 16);  // warm up
  b->read(in.read, in.sizes, 16);
  {
    Meter meter(state);
    for (auto _ : state) {
      auto w = a->write(out, 16);
      auto r = b->read(in.read, in.sizes, 16);
      if (w.count != kSegments || r.count != kSegments) state.SkipWithError("short batch");
      meter.add(r.count);
    }
  }
  state.counters["super/iter"] = static_cast<double>(a->stats().super_packets_written) /
                                 static_cast<double>(state.iterations());
}

}  // namespace

BENCHMARK(BM_MemcpyFloor)->Arg(64);
BENCHMARK(BM_PipeOneThread)->Arg(1)->Arg(8)->Arg(64)->Arg(128);
BENCHMARK(BM_PipeTwoThreads)->Arg(64)->UseRealTime();
BENCHMARK(BM_Forwarder)->Arg(64)->UseRealTime();
BENCHMARK(BM_OffloadPipeTcp);

BENCHMARK_MAIN();
