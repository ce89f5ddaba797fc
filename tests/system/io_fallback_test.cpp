// Where io_uring is refused (kernel.io_uring_disabled, a container's seccomp profile), io uring and
// auto fall back to threads, say why, and carry traffic. The refusal is a seccomp filter of one
// thread: io_uring_setup fails with EPERM there, as under Docker's default profile, and nowhere else.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>

#include "support/io_engines.hpp"
#include "support/native_tun_in.hpp"
#include "support/netns.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/packet_builder.hpp"

using namespace tuntap;
using test::must;

namespace {

// Installs a filter on the calling thread (and the threads it starts) that fails io_uring_setup
// with EPERM and lets every other call through. False if the kernel refused the filter.
bool refuse_io_uring_here() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
  // Without NO_NEW_PRIVS only a process with CAP_SYS_ADMIN may filter itself; with it, anyone, and
  // the flag is the thread's own too.
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0;
}

// One datagram each way through `tun` (addressed 10.NET.0.1): a socket's send read from the
// device, and a packet written to the device received by a socket.
void carries_traffic(NativeTun& tun, unsigned net) {
  int s = test::udp_socket_through(tun, net);
  ASSERT_GE(s, 0);
  ASSERT_TRUE(test::send_udp(s, 300));
  const std::size_t offset = tun.min_read_offset();
  std::array<std::byte, 4096> storage{};
  std::span<std::byte> bufs[1] = {storage};
  std::size_t sizes[1] = {};
  auto r = tun.read(bufs, sizes, offset);
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_EQ(r.count, 1u);
  EXPECT_EQ(sizes[0], 20u + 8 + 300);
  ::close(s);

  int rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{AF_INET, htons(7200), {htonl((10u << 24) | (net << 16) | 1)}, {}};
  ASSERT_EQ(::bind(rx, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  timeval tv{2, 0};
  ::setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::array<std::byte, 256> out{};
  const std::string peer = "10." + std::to_string(net) + ".0.2", self = "10." + std::to_string(net) + ".0.1";
  std::size_t n = build_udp(std::span(out).subspan(offset),
                            {.src = IpAddress::parse(peer), .dst = IpAddress::parse(self)},
                            {.src_port = 9, .dst_port = 7200}, bytes_of("back through threads"));
  std::span<std::byte> packet(out.data(), offset + n);
  auto w = tun.write(std::span(&packet, 1), offset);
  EXPECT_FALSE(w.error) << w.error.message();
  char got[64] = {};
  EXPECT_EQ(::recv(rx, got, sizeof got, 0), 20);
  EXPECT_STREQ(got, "back through threads");
  ::close(rx);
}

class IoFallbackTest : public test::NetnsTest {};

}  // namespace

TEST_F(IoFallbackTest, RefusedIoUringFallsBackToThreadsSaysWhyAndCarriesTraffic) {
  std::thread refused([] {
    ASSERT_TRUE(refuse_io_uring_here()) << "seccomp: " << std::strerror(errno);
    unsigned net = 81;
    for (auto asked : {IoEngine::automatic, IoEngine::uring}) {
      SCOPED_TRACE(std::string(to_string(asked)));
      auto tun = NativeTun::open({.name = "fb" + std::to_string(net), .io = asked});
      auto state = tun->io_state();
      EXPECT_EQ(state.engine, IoEngine::threads);
      EXPECT_NE(state.fallback_reason.find("Operation not permitted"), std::string::npos) << state.fallback_reason;
      carries_traffic(*tun, net++);
    }
  });
  refused.join();
  // The filter was that thread's alone: here the ring is set up (where liburing was built in).
  auto tun = NativeTun::open({.name = "fb90", .io = IoEngine::automatic});
  TUNTAP_REQUIRE_ENGINE(*tun, IoEngine::uring);
  EXPECT_TRUE(tun->io_state().fallback_reason.empty());
  carries_traffic(*tun, 90);
}

TEST_F(IoFallbackTest, ThreadsAskedIsThreadsWithNoReason) {
  auto tun = NativeTun::open({.name = "fb91"});
  EXPECT_EQ(tun->io_state().engine, IoEngine::threads);
  EXPECT_TRUE(tun->io_state().fallback_reason.empty());
}
