// Tiny eBPF socket-filter programs loaded with the bpf() system call (no libbpf), for the tests of
// the tun driver's steering and filter programs.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <span>
#include <string>

namespace tuntap::test {

// A loaded BPF_PROG_TYPE_SOCKET_FILTER program; the descriptor closes with the object.
class BpfProgram {
 public:
  // Loads the instructions; on failure fd() is -1 and error() holds the errno text and the
  // verifier's log.
  explicit BpfProgram(std::span<const bpf_insn> instructions);
  // "return value" for every packet: for steering, the queue (modulo the queue count); for a
  // filter, the bytes to keep (0 drops the packet).
  static BpfProgram returning(std::int32_t value);
  ~BpfProgram();
  BpfProgram(BpfProgram&& other) noexcept;
  BpfProgram(const BpfProgram&) = delete;
  BpfProgram& operator=(const BpfProgram&) = delete;
  BpfProgram& operator=(BpfProgram&&) = delete;

  int fd() const { return fd_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

}  // namespace tuntap::test
