// Answers pings in user space: a native TUN device joined to an in-memory Pipe by a Point2Point
// (two Forwarders); on the pipe's far end, a PacketStream reads each packet and writes the echo
// reply back. The kernel routes pings for the peer address into the device, and the replies
// come back out of it, so `ping PEER` works while this runs.
//
//   sudo example_ping_responder [--name pingme%d] [--local 10.77.0.1/32] [--peer 10.77.0.2]
//                               [--count N]      (stop after N replies; default: until Ctrl-C)
#include <pthread.h>
#include <time.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/packet.hpp"
#include "tuntap/packet_builder.hpp"
#include "tuntap/packet_stream.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/point_to_point.hpp"

int main(int argc, char** argv) {
  std::string name = "pingme%d", local = "10.77.0.1/32", peer = "10.77.0.2";
  long count = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--name") name = argv[i + 1];
    else if (flag == "--local") local = argv[i + 1];
    else if (flag == "--peer") peer = argv[i + 1];
    else if (flag == "--count") count = std::strtol(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }

  // Ctrl-C and SIGTERM are taken by a thread with sigwait, which may then close things safely.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    std::shared_ptr<tuntap::Tun> tun = tuntap::open_tun({.name = name});
    std::string dev(tun->name());
    tuntap::netlink::add_address(dev, tuntap::Prefix::parse(local), tuntap::IpAddress::parse(peer));
    tuntap::netlink::set_up(dev, true);
    std::printf("%s up: %s, answering pings to %s\n", dev.c_str(), local.c_str(), peer.c_str());

    auto [near_end, far_end] = tuntap::make_pipe({.mtu = 65535});
    tuntap::Point2Point joined(tun, std::move(near_end));
    tuntap::PacketStream stream(std::move(far_end));

    std::atomic<bool> done{false};
    std::thread stopper([&] {
      const timespec tick{0, 100'000'000};
      while (!done) {
        if (sigtimedwait(&signals, nullptr, &tick) > 0) {
          stream.tun().close();  // wakes the loop below with errc::closed
          return;
        }
      }
    });

    std::vector<std::byte> request(65535), reply(65535);
    long replies = 0;
    while (count < 0 || replies < count) {
      auto got = stream.read(request);
      if (got.error == tuntap::errc::closed) break;
      if (got.error) continue;  // a cut packet: not worth an answer
      std::error_code ec;
      std::size_t n = tuntap::make_echo_reply(std::span(request).first(got.size), reply, ec);
      if (ec) continue;  // not an echo request (router solicitations, ...): ignore it
      if (auto err = stream.write(std::span(reply).first(n))) {
        std::fprintf(stderr, "write: %s\n", err.message().c_str());
        break;
      }
      ++replies;
      auto ip = tuntap::IpPacket::parse(std::span<const std::byte>(reply).first(n));
      std::printf("reply %ld to %s\n", replies, ip.dst().to_string().c_str());
      std::fflush(stdout);
    }
    // Give the last replies time to leave the pipe for the device before closing both.
    for (int i = 0; i < 100 && joined.b_to_a().packets < static_cast<std::uint64_t>(replies); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    joined.stop();
    done = true;
    stopper.join();
    auto in = joined.a_to_b(), out = joined.b_to_a();
    std::printf("device to pipe: %llu packets, pipe to device: %llu packets\n",
                static_cast<unsigned long long>(in.packets), static_cast<unsigned long long>(out.packets));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
