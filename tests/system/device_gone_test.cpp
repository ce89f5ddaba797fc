// A device deleted under the library (ip link del) in every offload mode: the native Tun, a
// CaptureTun around it, a Forwarder and a Point2Point all report errc::device_gone, the forwarding
// ones count it, and nothing waits for good.
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/io_engines.hpp"
#include "support/netns.hpp"
#include "tuntap/capture_tun.hpp"
#include "tuntap/forwarder.hpp"
#include "tuntap/native_tun.hpp"
#include "tuntap/netlink.hpp"
#include "tuntap/packet_builder.hpp"
#include "tuntap/pcap.hpp"
#include "tuntap/pipe.hpp"
#include "tuntap/point_to_point.hpp"

using namespace tuntap;
using namespace std::chrono_literals;
using test::must;

namespace {

class DeviceGoneTest : public test::NetnsTest, public ::testing::WithParamInterface<test::ModeAndIo> {
 protected:
  OffloadMode mode() const { return std::get<0>(GetParam()); }
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped()) return;
    auto probe = NativeTun::open({.name = "probe0", .io = std::get<1>(GetParam())});
    TUNTAP_REQUIRE_ENGINE(*probe, std::get<1>(GetParam()));
  }
  std::unique_ptr<NativeTun> open_up(const std::string& name) {
    auto tun = NativeTun::open({.name = name, .offload = mode(), .io = std::get<1>(GetParam())});
    must("sysctl -qw net.ipv6.conf." + name + ".disable_ipv6=1");  // nothing to read but what a test sends
    netlink::set_up(name, true);
    return tun;
  }
};

// One read into buffers large enough for anything the mode returns.
IoResult read_once(Tun& tun) {
  const std::size_t offset = tun.min_read_offset();
  std::vector<std::vector<std::byte>> storage(tun.batch_size(), std::vector<std::byte>(offset + 65536));
  std::vector<std::span<std::byte>> bufs(storage.begin(), storage.end());
  std::vector<std::size_t> sizes(bufs.size());
  return tun.read(bufs, sizes, offset);
}

// Writes one small UDP packet.
IoResult write_one(Tun& tun) {
  const std::size_t offset = tun.min_write_offset();
  std::vector<std::byte> buf(offset + 128);
  std::size_t n = build_udp(std::span(buf).subspan(offset),
                            {.src = IpAddress::parse("10.3.9.1"), .dst = IpAddress::parse("10.3.9.2")},
                            {.src_port = 1, .dst_port = 2}, bytes_of("gone?"));
  std::span<std::byte> packet(buf.data(), offset + n);
  return tun.write(std::span(&packet, 1), offset);
}

TEST_P(DeviceGoneTest, ABlockedReadAndTheNextWriteSayDeviceGoneThroughACaptureToo) {
  const std::string pcap = "/tmp/tuntap-gone-" + std::to_string(::getpid()) + ".pcap";
  for (bool captured : {false, true}) {
    SCOPED_TRACE(captured ? "inside a CaptureTun" : "the native Tun");
    std::unique_ptr<Tun> tun = open_up("gone0");
    if (captured) {
      auto writer = std::make_shared<PcapWriter>(PcapWriter::open({.path = pcap}));
      tun = std::make_unique<CaptureTun>(std::move(tun), writer, CaptureOptions{.offload = mode()});
    }
    auto reader = std::async(std::launch::async, [&] { return read_once(*tun); });
    EXPECT_EQ(reader.wait_for(100ms), std::future_status::timeout) << "the reader waits";
    must("ip link del gone0");
    ASSERT_EQ(reader.wait_for(1s), std::future_status::ready) << "and wakes when the device goes";
    auto r = reader.get();
    EXPECT_EQ(r.count, 0u);
    EXPECT_EQ(r.error, errc::device_gone) << r.error.message();
    EXPECT_EQ(write_one(*tun).error, errc::device_gone);
    EXPECT_EQ(read_once(*tun).error, errc::device_gone) << "and stays gone";
  }
  ::unlink(pcap.c_str());
}

TEST_P(DeviceGoneTest, AForwarderReadingADeletedDeviceCountsTheEndGoneAndCarriesNothing) {
  std::shared_ptr<Tun> tun = open_up("gone1");
  auto pipe = make_pipe();
  Forwarder forwarder(tun, std::shared_ptr<Tun>(std::move(pipe.a)));
  must("ip link del gone1");
  auto until = std::chrono::steady_clock::now() + 1s;
  while (forwarder.stats().ends_gone == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  auto s = forwarder.stats();
  EXPECT_EQ(s.ends_gone, 1u) << "counted once: the end is then treated as unset";
  EXPECT_GE(s.errors, s.ends_gone);
  EXPECT_EQ(s.packets, 0u);
  EXPECT_FALSE(forwarder.stopped()) << "it waits for a new source, as documented";
  forwarder.stop();
}

TEST_P(DeviceGoneTest, APoint2PointWithADeletedEndCountsItInTheDirectionThatMetIt) {
  std::shared_ptr<Tun> tun = open_up("gone2");
  auto pipe = make_pipe();
  auto far = std::shared_ptr<Tun>(std::move(pipe.b));
  Point2Point p2p(tun, std::shared_ptr<Tun>(std::move(pipe.a)));
  must("ip link del gone2");
  // The direction reading the device meets it at once; the other when it next writes there.
  auto until = std::chrono::steady_clock::now() + 1s;
  while (p2p.a_to_b().ends_gone == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(p2p.a_to_b().ends_gone, 1u);
  ASSERT_EQ(write_one(*far).count, 1u);
  until = std::chrono::steady_clock::now() + 1s;
  while (p2p.b_to_a().ends_gone == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(p2p.b_to_a().ends_gone, 1u) << "the packet for the deleted device found it gone";
  EXPECT_EQ(p2p.b_to_a().packets, 0u);
  p2p.stop();
}

INSTANTIATE_TEST_SUITE_P(Offload, DeviceGoneTest,
                         ::testing::Combine(::testing::Values(OffloadMode::split, OffloadMode::passthrough,
                                                              OffloadMode::off),
                                            test::io_engines()),
                         test::mode_and_io_name);

}  // namespace
