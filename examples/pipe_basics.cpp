// A Pipe: two connected in-memory Tun endpoints. Write a batch on one end, read it on the other,
// then close and watch the reader drain what was sent before it sees `closed`. No privileges.
#include <array>
#include <cstdio>
#include <span>
#include <vector>

#include "tuntap/pipe.hpp"

int main() {
  auto [a, b] = tuntap::make_pipe({.batch_size = 8, .mtu = 1500});

  // Three packets (just bytes here: a pipe carries whatever it is given, up to the MTU).
  std::vector<std::vector<std::byte>> packets;
  for (std::size_t n : {60, 400, 1500}) packets.emplace_back(n, std::byte{0x45});
  std::vector<std::span<std::byte>> out(packets.begin(), packets.end());
  auto written = a->write(out, 0);
  std::printf("wrote %zu packets (%s)\n", written.count, written.error ? written.error.message().c_str() : "ok");

  // One too big for the MTU: refused, nothing queued.
  std::vector<std::byte> jumbo(1501);
  std::span<std::byte> one(jumbo);
  std::printf("1501 bytes: %s\n", a->write(tuntap::Buffers(&one, 1), 0).error.message().c_str());

  a->close();  // closes both directions; what was written is still delivered

  std::array<std::array<std::byte, 2048>, 8> storage{};
  std::vector<std::span<std::byte>> in(storage.begin(), storage.end());
  std::array<std::size_t, 8> sizes{};
  for (;;) {
    auto got = b->read(in, sizes, 0);
    for (std::size_t i = 0; i < got.count; ++i) std::printf("read a packet of %zu bytes\n", sizes[i]);
    if (got.error) {
      std::printf("then: %s\n", got.error.message().c_str());
      break;
    }
  }
  auto stats = b->stats();
  std::printf("end b read %llu packets\n", static_cast<unsigned long long>(stats.packets_read));
  return 0;
}
