// Answers pings on a device it did not open: the descriptor is inherited from `tuntap run` (its
// number in TUNTAP_FD), so this program needs no privilege at all.
//
//   sudo tuntap run --name pingme --addr 10.77.0.1/24 --up --user nobody -- example_adopt_fd [--count N]
//   ping 10.77.0.2        (any address of the subnet but the device's own)
//
// Stops after N replies (default: until killed). The device goes away with the program.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tuntap/device.hpp"
#include "tuntap/packet_builder.hpp"

int main(int argc, char** argv) {
  long count = -1;
  if (argc == 3 && std::string(argv[1]) == "--count") count = std::strtol(argv[2], nullptr, 10);
  const char* inherited = std::getenv("TUNTAP_FD");
  if (inherited == nullptr) {
    std::fprintf(stderr, "TUNTAP_FD is not set: start me with tuntap run ... -- %s\n", argv[0]);
    return 2;
  }
  try {
    // Learns the device (TUN or TAP, name, headers) from the descriptor itself.
    auto dev = tuntap::Device::adopt(std::atoi(inherited));
    if (dev.mode() != tuntap::Mode::tun || dev.vnet_hdr()) {
      std::fprintf(stderr, "%s: this example answers on a plain TUN device\n", dev.name().c_str());
      return 2;
    }
    std::printf("adopted %s, answering pings\n", dev.name().c_str());
    std::fflush(stdout);
    std::vector<std::byte> request(65535), reply(65535);
    for (long replies = 0; count < 0 || replies < count;) {
      auto got = dev.read_packet(request);
      if (got.error == tuntap::errc::closed || got.error == tuntap::errc::device_gone) break;
      if (got.error) continue;  // a cut packet: not worth an answer
      std::error_code ec;
      std::size_t n = tuntap::make_echo_reply(got.data, reply, ec);
      if (ec) continue;  // not an echo request
      if (auto err = dev.write_packet(std::span(reply).first(n))) {
        std::fprintf(stderr, "write: %s\n", err.message().c_str());
        return 1;
      }
      std::printf("reply %ld\n", ++replies);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
