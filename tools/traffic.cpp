#include "traffic.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <thread>

#include "netns_switch.hpp"
#include "signals.hpp"

namespace tuntap::cli {
namespace {

std::uint64_t fnv(std::uint64_t h, const unsigned char* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}
constexpr std::uint64_t fnv_init = 1469598103934665603ULL;

// Resolves text to a sockaddr of either family.
bool make_addr(const std::string& text, std::uint16_t port, sockaddr_storage& ss, socklen_t& len) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
    return true;
  }
  return false;
}

// Runs fn on a thread inside namespace ns ("" = the caller's).
template <typename Fn>
auto in_netns(const std::string& ns, Fn fn) {
  return std::async(std::launch::async, [ns, fn]() mutable {
    NetnsSwitch inside(ns);
    return fn();
  });
}

// Waits for `fd` to be ready for `events`; false on timeout or once a stop is requested (Ctrl-C,
// SIGTERM), so a transfer ends within a moment of it rather than at its timeout.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p[2] = {{fd, events, 0}, {stop_fd(), POLLIN, 0}};  // a negative fd (no handlers) is skipped
  while (!stop_requested()) {
    int n = ::poll(p, 2, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && p[1].revents == 0 && p[0].revents != 0;
  }
  return false;
}

bool wait_readable(int fd, int timeout_ms) { return wait_for(fd, POLLIN, timeout_ms); }

}  // namespace

TransferResult tcp_transfer(const std::string& client_ns, const std::string& server_ns, const std::string& server_addr,
                            std::uint16_t port, std::size_t bytes, int timeout_seconds,
                            const std::function<void(std::uint64_t, double)>& progress) {
  TransferResult result;
  sockaddr_storage ss;
  socklen_t len;
  if (!make_addr(server_addr, port, ss, len)) {
    result.error = "bad address " + server_addr;
    return result;
  }
  std::promise<void> listening;
  auto ready = listening.get_future();
  auto server = in_netns(server_ns, [&, ss, len]() -> std::pair<std::uint64_t, std::uint64_t> {
    int ls = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(ls, reinterpret_cast<const sockaddr*>(&ss), len) != 0 || ::listen(ls, 1) != 0) {
      ::close(ls);
      listening.set_value();
      return {0, 0};
    }
    listening.set_value();
    if (!wait_readable(ls, timeout_seconds * 1000)) {
      ::close(ls);
      return {0, 0};
    }
    int c = ::accept(ls, nullptr, nullptr);
    ::close(ls);
    std::vector<unsigned char> buf(1 << 18);
    std::uint64_t got = 0, h = fnv_init;
    auto began = std::chrono::steady_clock::now(), reported = began;
    while (wait_readable(c, timeout_seconds * 1000)) {
      auto n = ::read(c, buf.data(), buf.size());
      if (n <= 0) break;
      h = fnv(h, buf.data(), static_cast<std::size_t>(n));
      got += static_cast<std::uint64_t>(n);
      auto now = std::chrono::steady_clock::now();
      if (progress && now - reported >= std::chrono::seconds(1)) {
        reported = now;
        progress(got, std::chrono::duration<double>(now - began).count());
      }
    }
    ::close(c);
    return {got, h};
  });
  ready.wait();
  auto client = in_netns(client_ns, [&, ss, len]() -> std::string {
    int s = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{timeout_seconds, 0};
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    // The device may just have come up: retry the connect for a while.
    bool connected = false;
    for (int i = 0; i < 50 && !connected && !stop_requested(); ++i) {
      connected = ::connect(s, reinterpret_cast<const sockaddr*>(&ss), len) == 0;
      if (!connected) {
        ::close(s);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        s = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      }
    }
    if (!connected) {
      ::close(s);
      return std::string("connect: ") + std::strerror(errno);
    }
    // Non-blocking from here, so a stop request ends a write waiting for the window.
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
    std::mt19937_64 rng(bytes);
    std::vector<unsigned char> chunk(1 << 18);
    std::size_t left = bytes;
    std::uint64_t h = fnv_init;
    while (left > 0) {
      std::size_t n = std::min(left, chunk.size());
      for (std::size_t i = 0; i < n; i += 8) {
        auto r = rng();
        std::memcpy(chunk.data() + i, &r, std::min<std::size_t>(8, n - i));
      }
      h = fnv(h, chunk.data(), n);
      std::size_t off = 0;
      while (off < n) {
        auto w = ::send(s, chunk.data() + off, n - off, MSG_NOSIGNAL);  // a closed peer is an error, not SIGPIPE
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
          if (wait_for(s, POLLOUT, timeout_seconds * 1000)) continue;
          ::close(s);
          return std::string(stop_requested() ? "stopped" : "write: timed out");
        }
        if (w <= 0) {
          ::close(s);
          return std::string("write: ") + std::strerror(errno);
        }
        off += static_cast<std::size_t>(w);
      }
      left -= n;
    }
    ::shutdown(s, SHUT_WR);
    ::close(s);
    return "hash:" + std::to_string(h);
  });
  auto start = std::chrono::steady_clock::now();
  std::string client_result;
  try {
    client_result = client.get();
  } catch (const std::exception& e) {
    client_result = e.what();
  }
  auto [got, received_hash] = server.get();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.bytes_received = got;
  result.received_hash = received_hash;
  if (client_result.rfind("hash:", 0) == 0) {
    result.bytes_sent = bytes;
    result.sent_hash = std::stoull(client_result.substr(5));
  } else {
    result.error = client_result;
  }
  return result;
}

UdpFlowResult udp_flow(const std::string& client_ns, const std::string& server_ns, const std::string& server_addr,
                       std::uint16_t port, std::size_t count, std::size_t max_size) {
  UdpFlowResult result;
  sockaddr_storage ss;
  socklen_t len;
  if (!make_addr(server_addr, port, ss, len) || max_size < 8) {
    result.error = "bad arguments";
    return result;
  }
  std::mt19937 rng(static_cast<unsigned>(count));
  for (std::size_t i = 0; i < count; ++i) result.sent_sizes.push_back(8 + rng() % (max_size - 7));
  std::promise<void> bound;
  auto ready = bound.get_future();
  constexpr std::size_t window = 64;
  std::atomic<std::size_t> arrived{0};
  auto server = in_netns(server_ns, [&, ss, len] {
    int s = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int big = 8 << 20;
    ::setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
    ::bind(s, reinterpret_cast<const sockaddr*>(&ss), len);
    bound.set_value();
    std::vector<unsigned char> buf(65536);
    while (result.received_sequence.size() < count && wait_readable(s, 2000)) {
      auto n = ::recv(s, buf.data(), buf.size(), 0);
      if (n < 8) continue;
      std::uint32_t seq;
      std::memcpy(&seq, buf.data(), 4);
      result.received_sequence.push_back(seq);
      result.received_sizes.push_back(static_cast<std::size_t>(n));
      arrived.fetch_add(1, std::memory_order_release);
      for (std::size_t i = 8; i < static_cast<std::size_t>(n); ++i)
        if (buf[i] != static_cast<unsigned char>(seq + i)) result.sizes_intact = false;
    }
    ::close(s);
    return 0;
  });
  ready.wait();
  auto client = in_netns(client_ns, [&, ss, len] {
    int s = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    std::vector<unsigned char> buf(max_size);
    for (std::size_t i = 0; i < count; ++i) {
      // At most `window` datagrams in flight: fewer than any queue on the way holds, so none can
      // overflow one however slowly the path runs. A path that stalls (a datagram lost) ends the flow.
      auto stalled_at = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (i - std::min(i, arrived.load(std::memory_order_acquire)) >= window && !stop_requested()) {
        if (std::chrono::steady_clock::now() > stalled_at) {
          result.error = "the flow stalled after " + std::to_string(i) + " datagrams sent";
          ::close(s);
          return 0;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      auto seq = static_cast<std::uint32_t>(i);
      std::memcpy(buf.data(), &seq, 4);
      std::memset(buf.data() + 4, 0, 4);
      for (std::size_t j = 8; j < result.sent_sizes[i]; ++j) buf[j] = static_cast<unsigned char>(seq + j);
      if (::sendto(s, buf.data(), result.sent_sizes[i], 0, reinterpret_cast<const sockaddr*>(&ss), len) > 0)
        ++result.sent;
      if (stop_requested()) break;
    }
    ::close(s);
    return 0;
  });
  client.get();
  server.get();
  return result;
}

}  // namespace tuntap::cli
