// Flow-hash steering: a four-queue TUN device whose queue for each packet the kernel sends is chosen
// by a tiny eBPF program (TUNSETSTEERINGEBPF): the packet's flow hash modulo the queue count, so
// every flow stays on one queue. The program is loaded with the bpf() system call, no libbpf.
// Needs CAP_NET_ADMIN and CAP_BPF (root). Usage: example_steering_bpf [NAME]
#include <linux/bpf.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tuntap/device.hpp"

namespace {

constexpr int kQueues = 4;

// r0 = skb->hash % kQueues; return r0. A socket-filter program reads the hash through __sk_buff;
// the kernel takes the result modulo the queue count anyway, the mod only makes the intent plain.
int load_flow_hash_program() {
  const bpf_insn program[] = {
      {.code = BPF_LDX | BPF_MEM | BPF_W,
       .dst_reg = BPF_REG_0,
       .src_reg = BPF_REG_1,
       .off = offsetof(__sk_buff, hash),
       .imm = 0},
      {.code = BPF_ALU64 | BPF_MOD | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = kQueues},
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
  };
  static const char license[] = "GPL";
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = sizeof program / sizeof program[0];
  attr.insns = reinterpret_cast<std::uintptr_t>(program);
  attr.license = reinterpret_cast<std::uintptr_t>(license);
  return static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto queues = tuntap::Device::open_queues({.name = argc > 1 ? argv[1] : "steer%d"}, kQueues);
    int program = load_flow_hash_program();
    if (program < 0) {
      std::fprintf(stderr, "BPF_PROG_LOAD: %s\n", std::strerror(errno));
      return 1;
    }
    queues.front().set_steering_program(program);  // one program for the whole device
    ::close(program);                              // the device holds its own reference
    std::printf("%s: %d queues, steered by flow hash; set it up and send to it (10 s)\n", queues.front().name().c_str(),
                kQueues);
    // Which queue each packet lands on: one flow stays on one queue.
    std::vector<pollfd> fds;
    for (auto& q : queues) fds.push_back({q.fd(), POLLIN, 0});
    std::array<std::byte, 65536> buf;
    while (::poll(fds.data(), fds.size(), 10000) > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        auto packet = queues[i].read_packet(buf);
        if (packet) std::printf("queue %zu: %zu bytes, protocol 0x%04x\n", i, packet.data.size(), packet.protocol);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
