// A plain epoll loop over a native TUN (no threads, no Asio): it waits on the device's readiness
// descriptor (Tun::readiness), reads with non-blocking calls until the endpoint says not_ready,
// and answers every ping. The readiness descriptor also counts packets the endpoint holds (segments
// of a super-packet that did not fit the last read), so the loop never sleeps with data in hand.
//
//   sudo example_epoll_loop [--name eloop%d] [--local 10.78.0.1/32] [--peer 10.78.0.2] [--count N]
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/packet_builder.hpp"

int main(int argc, char** argv) {
  std::string name = "eloop%d", local = "10.78.0.1/32", peer = "10.78.0.2";
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
  // Ctrl-C and SIGTERM arrive as a descriptor the loop waits on too.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

  try {
    auto tun = tuntap::NativeTun::open({.name = name, .non_blocking = true});
    std::string dev(tun->name());
    tuntap::netlink::add_address(dev, tuntap::Prefix::parse(local), tuntap::IpAddress::parse(peer));
    tuntap::netlink::set_up(dev, true);
    std::printf("%s up: %s, answering pings to %s\n", dev.c_str(), local.c_str(), peer.c_str());
    std::fflush(stdout);

    tuntap::Readiness ready = tun->readiness();
    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event on_tun{.events = EPOLLIN, .data = {.fd = ready.read}};
    epoll_event on_signal{.events = EPOLLIN, .data = {.fd = signal_fd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ready.read, &on_tun);
    epoll_ctl(ep, EPOLL_CTL_ADD, signal_fd, &on_signal);

    const std::size_t offset = tun->min_read_offset(), batch = tun->batch_size();
    std::vector<std::vector<std::byte>> storage(batch, std::vector<std::byte>(offset + 65535));
    std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
    std::vector<std::size_t> sizes(batch);
    std::vector<std::byte> reply(offset + 65535);
    long replies = 0;
    bool running = true;
    while (running && (count < 0 || replies < count)) {
      epoll_event events[2];
      int n = epoll_wait(ep, events, 2, -1);
      for (int e = 0; e < n; ++e) {
        if (events[e].data.fd == signal_fd) {
          running = false;
          continue;
        }
        // Readable: read until not_ready (or closed); each read returns at most one batch.
        for (;;) {
          auto got = tun->read(bufs, sizes, offset);
          for (std::size_t i = 0; i < got.count; ++i) {
            std::error_code ec;
            auto request = std::span<const std::byte>(storage[i]).subspan(offset, sizes[i]);
            std::size_t length = tuntap::make_echo_reply(request, std::span(reply).subspan(offset), ec);
            if (ec) continue;  // not an echo request: ignore it
            std::span<std::byte> packet(reply.data(), offset + length);
            if (tun->write(std::span(&packet, 1), offset)) ++replies;
          }
          if (got.error == tuntap::errc::not_ready) break;
          if (got.error == tuntap::errc::closed || got.error == tuntap::errc::device_gone) {
            running = false;
            break;
          }
        }
      }
    }
    close(ep);
    std::printf("%ld replies\n", replies);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
