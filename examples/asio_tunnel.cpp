// A complete TUN <-> UDP tunnel in one thread: two C++20 coroutines on one io_context, each moving
// batches one way through tuntap::AsyncTun (include/tuntap/asio.hpp). Run one on each host:
//
//   sudo example_asio_tunnel --name tun0 --address 10.9.0.1/24 --bind 192.0.2.1:5555 --peer 192.0.2.2:5555
//   sudo example_asio_tunnel --name tun0 --address 10.9.0.2/24 --bind 192.0.2.2:5555 --peer 192.0.2.1:5555
//
// SIGINT or SIGTERM closes both endpoints; the coroutines then end with errc::closed.
#include <algorithm>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "tuntap/asio.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/udp_link.hpp"

namespace {

// Reads batches from one side and writes them to the other until either is closed.
asio::awaitable<void> pump(tuntap::AsyncTun<>& from, tuntap::AsyncTun<>& to) {
  const std::size_t offset = std::max(from.tun().min_read_offset(), to.tun().min_write_offset());
  const std::size_t count = from.tun().batch_size();
  std::vector<std::vector<std::byte>> storage(count, std::vector<std::byte>(offset + from.tun().mtu()));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end()), out(count);
  std::vector<std::size_t> sizes(count);
  for (;;) {
    std::error_code read_error, write_error;
    std::size_t n = co_await from.async_read(bufs, sizes, offset,
                                             asio::redirect_error(asio::use_awaitable, read_error));
    if (read_error == tuntap::errc::closed) break;
    for (std::size_t i = 0; i < n; ++i) out[i] = std::span(storage[i]).first(offset + sizes[i]);
    if (n == 0) continue;  // a read that stopped at a packet it could not use (too long): go on
    // A packet the other side refuses (too long for it) is dropped, as a router drops it.
    co_await to.async_write(std::span(out).first(n), offset, asio::redirect_error(asio::use_awaitable, write_error));
    if (write_error == tuntap::errc::closed) break;
  }
  from.close();  // one direction ending ends the other
  to.close();
}

tuntap::UdpEndpoint endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  return {tuntap::IpAddress::parse(text.substr(0, colon)),
          static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1)))};
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "atun%d", address = "10.9.0.1/24", bind = "127.0.0.1:5555", peer = "127.0.0.1:5556";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--name") name = value;
    else if (flag == "--address") address = value;
    else if (flag == "--bind") bind = value;
    else if (flag == "--peer") peer = value;
    else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    auto local = endpoint(bind);
    auto link = std::shared_ptr<tuntap::Tun>(tuntap::UdpLink::open(
        {.peer = endpoint(peer), .bind_address = local.address, .bind_port = local.port, .non_blocking = true}));
    auto tun = std::shared_ptr<tuntap::NativeTun>(tuntap::NativeTun::open({.name = name, .non_blocking = true}));
    const std::string device(tun->name());
    tuntap::netlink::set_mtu(device, static_cast<std::uint32_t>(link->mtu()));
    tuntap::netlink::add_address(device, tuntap::Prefix::parse(address));
    tuntap::netlink::set_up(device, true);

    asio::io_context io;
    tuntap::AsyncTun<> tun_side(io, tun), udp_side(io, link);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code, int) {
      tun_side.close();
      udp_side.close();
    });
    int running = 2;
    auto done = [&](std::exception_ptr) {
      if (--running == 0) signals.cancel();  // nothing left to stop: let run() return
    };
    asio::co_spawn(io, pump(tun_side, udp_side), done);
    asio::co_spawn(io, pump(udp_side, tun_side), done);
    std::printf("tunnel %s (%s) <-> udp %s -> %s\n", device.c_str(), address.c_str(), bind.c_str(), peer.c_str());
    std::fflush(stdout);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_tunnel: %s\n", e.what());
    return 1;
  }
  return 0;
}
