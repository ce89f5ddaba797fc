// Real kernel traffic between network namespaces: a TCP transfer checked by hash, an ordered UDP
// flow. Used by `tuntap demo` and by the system tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tuntap::cli {

struct TransferResult {
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t sent_hash = 0;
  std::uint64_t received_hash = 0;
  double seconds = 0;
  std::string error;  // empty on success
  bool intact() const { return error.empty() && bytes_sent == bytes_received && sent_hash == received_hash; }
  double gbit_per_s() const { return seconds > 0 ? static_cast<double>(bytes_received) * 8 / seconds / 1e9 : 0; }
};

// Sends `bytes` of random data over TCP from a socket in client_ns to a listener on
// server_addr:port in server_ns (a namespace name as for ip netns; "" is the calling thread's).
// progress, if given, is called about once a second with the bytes received so far.
TransferResult tcp_transfer(const std::string& client_ns, const std::string& server_ns, const std::string& server_addr,
                            std::uint16_t port, std::size_t bytes, int timeout_seconds = 60,
                            const std::function<void(std::uint64_t received, double seconds)>& progress = {});

struct UdpFlowResult {
  std::size_t sent = 0;
  std::vector<std::uint32_t> received_sequence;  // sequence numbers, in arrival order
  std::vector<std::size_t> received_sizes;
  std::vector<std::size_t> sent_sizes;
  bool sizes_intact = true;  // every datagram's bytes matched what was sent
  std::string error;
};

// Sends `count` datagrams of uneven sizes (8..max_size bytes, each carrying its sequence number
// and a pattern) from client_ns to server_addr:port in server_ns, with at most 64 in flight (the
// receiver counts arrivals), so no queue on the way can overflow however loaded the machine is.
// A flow that stalls for 2 s (a datagram lost) stops and says so in `error`.
UdpFlowResult udp_flow(const std::string& client_ns, const std::string& server_ns, const std::string& server_addr,
                       std::uint16_t port, std::size_t count, std::size_t max_size);

}  // namespace tuntap::cli
