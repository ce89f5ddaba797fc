// A Forwarder moves packets from one Tun to another on its own thread. Here it carries packets
// from a pipe into a counting CallbackTun wrapped around a second pipe, then its destination is
// swapped for a third pipe while traffic flows: nothing already read is lost. A PacketStream on
// each receiving side reads one packet at a time. No privileges.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "tuntap/callback_tun.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/packet_stream.hpp"
#include "tuntap/pipe.hpp"

namespace {

// Reads packets until the end is closed and drained; returns how many arrived.
std::size_t drain(tuntap::PacketStream& stream) {
  std::vector<std::byte> buf(2048);
  std::size_t n = 0;
  while (stream.read(buf)) ++n;
  return n;
}

}  // namespace

int main() {
  auto source = tuntap::make_pipe({.capacity = 64});
  auto first = tuntap::make_pipe({.capacity = 64});
  auto second = tuntap::make_pipe({.capacity = 64});

  // Count what goes into the first destination and drop anything that is not IPv4.
  std::atomic<std::uint64_t> counted{0};
  auto counting = std::make_shared<tuntap::CallbackTun>(
      std::move(first.a), tuntap::CallbackHooks{.on_write = [&](tuntap::PacketBatch& batch) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (batch[i].empty() || (std::to_integer<int>(batch[i][0]) >> 4) != 4) batch.drop(i);
        }
        counted += batch.size();
      }});

  tuntap::Forwarder forwarder(std::move(source.b), counting);

  tuntap::PacketStream in1(std::move(first.b)), in2(std::move(second.b));
  std::size_t got1 = 0, got2 = 0;
  std::thread r1([&] { got1 = drain(in1); });
  std::thread r2([&] { got2 = drain(in2); });

  tuntap::PacketStream sender(std::move(source.a));
  std::vector<std::byte> packet(100, std::byte{0x45});
  constexpr int kPackets = 20000;
  for (int i = 0; i < kPackets; ++i) {
    if (sender.write(packet)) break;
    // Half way, swap the destination; the old one is closed (its reader drains and stops).
    if (i == kPackets / 2) forwarder.set_destination(std::shared_ptr<tuntap::Tun>(std::move(second.a)));
  }
  while (forwarder.stats().packets + forwarder.stats().drops < kPackets) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  forwarder.stop();  // closes both ends: the second reader drains and stops too
  r1.join();
  r2.join();

  auto stats = forwarder.stats();
  std::printf("forwarded %llu packets (%llu bytes), %llu drops, %llu errors\n",
              static_cast<unsigned long long>(stats.packets), static_cast<unsigned long long>(stats.bytes),
              static_cast<unsigned long long>(stats.drops), static_cast<unsigned long long>(stats.errors));
  std::printf("first destination got %zu (hook saw %llu), second got %zu: %zu of %d\n", got1,
              static_cast<unsigned long long>(counted.load()), got2, got1 + got2, kPackets);
  return got1 + got2 == kPackets ? 0 : 1;
}
