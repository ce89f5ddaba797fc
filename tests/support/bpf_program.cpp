#include "support/bpf_program.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tuntap::test {

BpfProgram::BpfProgram(std::span<const bpf_insn> instructions) {
  static const char license[] = "GPL";
  char log[4096] = {};
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insn_cnt = static_cast<std::uint32_t>(instructions.size());
  attr.insns = reinterpret_cast<std::uintptr_t>(instructions.data());
  attr.license = reinterpret_cast<std::uintptr_t>(license);
  attr.log_level = 1;
  attr.log_size = sizeof log;
  attr.log_buf = reinterpret_cast<std::uintptr_t>(log);
  fd_ = static_cast<int>(::syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
  if (fd_ < 0) error_ = std::string("BPF_PROG_LOAD: ") + std::strerror(errno) + "\n" + log;
}

BpfProgram BpfProgram::returning(std::int32_t value) {
  const bpf_insn program[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = value},  // r0 = value
      {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},                       // return r0
  };
  return BpfProgram(program);
}

BpfProgram::~BpfProgram() {
  if (fd_ >= 0) ::close(fd_);
}

BpfProgram::BpfProgram(BpfProgram&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), error_(std::move(other.error_)) {}

}  // namespace tuntap::test
