// Opens a TUN device, gives it an address, sends a UDP datagram to its peer and reads that
// datagram back out of the device: the installed library, headers and link all work.
//   consumer NAME      (as root, in a network namespace of its own)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/packet_stream.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer NAME\n");
    return 2;
  }
  try {
    std::shared_ptr<tuntap::Tun> tun = tuntap::open_tun({.name = argv[1]});
    std::string dev(tun->name());
    tuntap::netlink::add_address(dev, tuntap::Prefix::parse("10.9.0.1/24"));
    tuntap::netlink::set_up(dev, true);
    tuntap::PacketStream stream(tun);

    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9);
    ::inet_pton(AF_INET, "10.9.0.2", &to.sin_addr);
    const char payload[] = "tuntap-consumer";
    if (fd < 0 || ::sendto(fd, payload, sizeof payload - 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      std::perror("consumer: sendto");
      return 1;
    }
    ::close(fd);
    // The kernel may send other packets first (IPv6 router solicitations): look at a few.
    std::vector<std::byte> packet(65535);
    for (int i = 0; i < 20; ++i) {
      auto got = stream.read(packet);
      if (got.error) {
        std::fprintf(stderr, "consumer: read: %s\n", got.error.message().c_str());
        return 1;
      }
      // IPv4, UDP, to 10.9.0.2 port 9, with our payload after a 20-byte IP and an 8-byte UDP header.
      auto* p = reinterpret_cast<const unsigned char*>(packet.data());
      if (got.size == 28 + sizeof payload - 1 && p[0] == 0x45 && p[9] == 17 && p[16] == 10 && p[17] == 9 &&
          p[18] == 0 && p[19] == 2 && p[22] == 0 && p[23] == 9 &&
          std::memcmp(p + 28, payload, sizeof payload - 1) == 0) {
        std::printf("consumer: %s carried the datagram to 10.9.0.2:9\n", dev.c_str());
        return 0;
      }
    }
    std::fprintf(stderr, "consumer: the datagram did not come out of %s\n", dev.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
