// Devices handed over: a descriptor attached elsewhere is adopted (Device::adopt, NativeTun::adopt),
// passed over a Unix socket (send_fd / receive_fd) to a process without any privilege, and wrong
// descriptors are refused with the problem named.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <future>
#include <string>

#include "support/netns.hpp"
#include "support/packets.hpp"
#include "tuntap/device.hpp"
#include "tuntap/fd_passing.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/packet_builder.hpp"
#include "tuntap/virtio_net.hpp"

using namespace tuntap;
using test::must;
using test::sh;

namespace {

class AdoptTest : public test::NetnsTest {};

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// The text of the Error that adopting `fd` throws, or "" if it does not throw.
std::string adopt_error(int fd) {
  try {
    Device::adopt(fd);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

// Answers `count` pings on `tun` (any Tun: batched reads, each echo request turned into its reply);
// returns how many replies were written.
int answer_pings(Tun& tun, int count) {
  const std::size_t off = tun.min_read_offset();
  std::array<std::byte, 70000> in, out;
  std::span<std::byte> bufs[1] = {in};
  std::size_t sizes[1];
  int answered = 0;
  while (answered < count) {
    auto r = tun.read(bufs, sizes, off);
    if (r.error && r.count == 0) return answered;
    std::error_code ec;
    auto n = make_echo_reply(std::span<const std::byte>(in).subspan(off, sizes[0]),
                             std::span(out).subspan(tun.min_write_offset()), ec);
    if (ec) continue;  // not an echo request
    std::fill_n(out.begin(), tun.min_write_offset(), std::byte{0});
    std::span<std::byte> reply[1] = {std::span(out).first(tun.min_write_offset() + n)};
    if (tun.write(reply, tun.min_write_offset()).count != 1) return answered;
    ++answered;
  }
  return answered;
}

}  // namespace

TEST_F(AdoptTest, LearnsModeNameFlagsAndHeaderSizeFromTheDescriptor) {
  auto original = Device::open({.name = "ad0", .multi_queue = true, .vnet_hdr = true, .vnet_hdr_size = 12});
  auto dev = Device::adopt(::fcntl(original.fd(), F_DUPFD_CLOEXEC, 0));
  EXPECT_EQ(dev.name(), "ad0");
  EXPECT_EQ(dev.mode(), Mode::tun);
  EXPECT_TRUE(dev.vnet_hdr());
  EXPECT_FALSE(dev.packet_info());
  EXPECT_TRUE(dev.flags() & iff::multi_queue);
  EXPECT_EQ(dev.vnet_hdr_size(), 12);
  EXPECT_EQ(dev.ifindex(), original.ifindex());

  auto tap = Device::open({.mode = Mode::tap, .name = "ad1", .packet_info = true});
  auto adopted_tap = Device::adopt(::fcntl(tap.fd(), F_DUPFD_CLOEXEC, 0));
  EXPECT_EQ(adopted_tap.mode(), Mode::tap);
  EXPECT_TRUE(adopted_tap.packet_info()) << "TUNGETIFF cannot tell; netlink does";
  EXPECT_FALSE(adopted_tap.vnet_hdr());
}

TEST_F(AdoptTest, TakesTheDescriptorOnSuccessAndLeavesItOnFailure) {
  auto original = Device::open({.name = "ad2"});
  const int fd = ::fcntl(original.fd(), F_DUPFD_CLOEXEC, 0);
  auto dev = Device::adopt(fd);
  EXPECT_FALSE(is_open(fd)) << "the Device owns a private copy; the one handed over is closed";
  EXPECT_TRUE(dev.is_open());

  int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::error_code ec;
  Device::adopt(sock, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_TRUE(is_open(sock)) << "a refused descriptor is the caller's still";
  ::close(sock);
}

TEST_F(AdoptTest, AdoptedDeviceCarriesPingsAndTheOriginalMayClose) {
  auto original = Device::open({.name = "ad3"});
  must("ip addr add 10.86.0.1/24 dev ad3 && ip link set ad3 up");
  auto dev = Device::adopt(::fcntl(original.fd(), F_DUPFD_CLOEXEC, 0));
  original.close();
  auto ping = std::async(std::launch::async, [] { return sh("ping -c 3 -i 0.2 -W 2 10.86.0.2"); });
  std::array<std::byte, 2048> buf, reply;
  for (int answered = 0; answered < 3;) {
    auto r = dev.read_packet(buf);
    ASSERT_FALSE(r.error) << r.error.message();
    auto n = test::echo_reply_v4(r.data, reply);
    if (n == 0) continue;
    ASSERT_FALSE(dev.write_packet(std::span(reply).first(n)));
    ++answered;
  }
  auto result = ping.get();
  EXPECT_NE(result.output.find("3 received"), std::string::npos) << result.output;
}

TEST_F(AdoptTest, WrongDescriptorsAreRefusedWithTheProblemNamed) {
  // Closed: a number that names nothing.
  int closed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(closed);
  std::error_code ec;
  Device::adopt(closed, ec);
  EXPECT_EQ(ec, std::error_code(EBADF, std::system_category()));
  EXPECT_NE(adopt_error(closed).find("not an open descriptor"), std::string::npos) << adopt_error(closed);

  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_NE(adopt_error(sock).find("a socket, not a /dev/net/tun descriptor"), std::string::npos) << adopt_error(sock);
  ::close(sock);

  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  EXPECT_NE(adopt_error(null).find("the character device 1:3"), std::string::npos) << adopt_error(null);
  ::close(null);

  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  EXPECT_NE(adopt_error(pipe_fds[0]).find("a pipe"), std::string::npos);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);

  // /dev/net/tun itself, but never attached (no TUNSETIFF).
  int unattached = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  ASSERT_GE(unattached, 0);
  Device::adopt(unattached, ec);
  EXPECT_EQ(ec, errc::invalid_argument);
  EXPECT_NE(adopt_error(unattached).find("attached to no device"), std::string::npos) << adopt_error(unattached);
  ::close(unattached);

  EXPECT_NE(adopt_error(-1).find("adopt fd -1"), std::string::npos);
}

TEST_F(AdoptTest, NativeTunAdoptsWithTheOptionsLayoutAndRefusesAMismatch) {
  auto plain = Device::open({.name = "ad4"});
  std::error_code ec;
  EXPECT_EQ(NativeTun::adopt(std::move(plain), {}, ec), nullptr);
  EXPECT_EQ(ec, errc::invalid_argument) << "split needs IFF_VNET_HDR";
  try {
    NativeTun::adopt(Device::open({.name = "ad4"}), {});
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("without IFF_VNET_HDR"), std::string::npos) << e.what();
  }
  // A TAP is adopted as a TAP, whatever the options said: the mode is the descriptor's.
  auto tap = NativeTun::adopt(Device::open({.mode = Mode::tap, .name = "ad5", .vnet_hdr = true}), {}, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(tap->device().mode(), Mode::tap);
  EXPECT_EQ(tap->min_read_offset(), virtio_net_hdr_len);

  // A device left with another layout: adopt sets the one asked for, and the offloads.
  auto vnet = Device::open({.name = "ad6", .vnet_hdr = true, .vnet_hdr_size = 12});
  auto tun = NativeTun::adopt(std::move(vnet), {.vnet_hdr_size = 10});
  EXPECT_EQ(tun->name(), "ad6");
  EXPECT_EQ(tun->device().vnet_hdr_size(), 10);
  EXPECT_TRUE(tun->offload_state().tso);
}

TEST_F(AdoptTest, FdPassingHandsOverOneDescriptorAndNamesWhatWentWrong) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  auto dev = Device::open({.name = "ad7"});
  send_fd(pair[0], dev.fd());
  int got = receive_fd(pair[1]);
  ASSERT_GE(got, 0);
  EXPECT_TRUE(::fcntl(got, F_GETFD) & FD_CLOEXEC);
  EXPECT_EQ(Device::adopt(got).name(), "ad7");

  // A message without a descriptor, then the peer gone.
  ASSERT_EQ(::send(pair[0], "x", 1, 0), 1);
  std::error_code ec;
  EXPECT_EQ(receive_fd(pair[1], ec), -1);
  EXPECT_EQ(ec, errc::malformed);
  ::close(pair[0]);
  EXPECT_EQ(receive_fd(pair[1], ec), -1);
  EXPECT_EQ(ec, errc::closed);
  EXPECT_THROW(receive_fd(pair[1]), Error);
  ::close(pair[1]);

  send_fd(-1, dev.fd(), ec);
  EXPECT_TRUE(ec);
  EXPECT_THROW(send_fd(-1, dev.fd()), Error);
}

// The privilege-separation pattern end to end: the test (root) opens the device with offloads and
// passes it over a Unix socket to a child that has become nobody with no capability at all; the
// child wraps it as a batched NativeTun and answers the pings the kernel sends.
TEST_F(AdoptTest, DescriptorPassedToAChildWithoutCapabilitiesCarriesPackets) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pair[0]);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
      _exit(10);
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2]{};
    if (::syscall(SYS_capset, &hdr, caps) != 0) _exit(11);
    if (::syscall(SYS_capget, &hdr, caps) != 0 || caps[0].effective != 0 || caps[0].permitted != 0 ||
        caps[1].effective != 0 || caps[1].permitted != 0)
      _exit(12);
    std::error_code ec;
    if (Device::open({.name = "nope0"}, ec); ec != errc::permission_denied) _exit(13);  // really unprivileged
    try {
      auto dev = Device::adopt(receive_fd(pair[1]));
      auto tun = NativeTun::adopt(std::move(dev), {.watch_events = false});
      _exit(answer_pings(*tun, 5) == 5 ? 0 : 14);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      _exit(15);
    }
  }
  ::close(pair[1]);
  {
    auto dev = Device::open({.name = "ad8", .vnet_hdr = true});
    must("ip addr add 10.87.0.1/24 dev ad8 && ip link set ad8 up");
    send_fd(pair[0], dev.fd());
  }  // our copy closed: the device lives on in the child
  ::close(pair[0]);
  auto ping = sh("ping -c 5 -i 0.2 -W 2 10.87.0.2");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10-12: dropping privileges, 13: still privileged, 14: pings, 15: adopt";
  EXPECT_NE(ping.output.find("5 received"), std::string::npos) << ping.output;
  EXPECT_NE(sh("ip link show ad8").status, 0) << "the device went with the child";
}

TEST_F(AdoptTest, NoDescriptorLeaksOnSuccessOrFailure) {
  auto original = Device::open({.name = "ad9"});
  const int before = test::open_fds();
  for (int i = 0; i < 20; ++i) {
    { auto dev = Device::adopt(::fcntl(original.fd(), F_DUPFD_CLOEXEC, 0)); }
    std::error_code ec;
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    Device::adopt(sock, ec);
    ::close(sock);
    int unattached = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    Device::adopt(unattached, ec);
    ::close(unattached);
    EXPECT_TRUE(ec);
  }
  EXPECT_EQ(test::open_fds(), before);
}
