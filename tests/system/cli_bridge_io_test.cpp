// `tuntap bridge --io`: the same bridge over each I/O engine carries a TCP transfer byte-exact, in
// split (a thread per direction) and passthrough (NativeBridge: one thread, non-blocking reads of
// both devices), and its startup line says which engine is in force.
#include <signal.h>

#include <string>

#include "support/io_engines.hpp"
#include "support/netns.hpp"
#include "traffic.hpp"

using namespace tuntap;
using test::sh;

namespace {

const std::string tool = TUNTAP_CLI;

class CliBridgeIoTest : public test::NetnsTest, public ::testing::WithParamInterface<test::ModeAndIo> {};

}  // namespace

TEST_P(CliBridgeIoTest, CarriesATcpTransferByteExactAndSaysTheEngine) {
  const auto [mode, engine] = GetParam();
  test::NamedNetns h1("bio-1"), h2("bio-2");
  test::Process bridge(tool + " bridge " + h1.name() + "/bi1 " + h2.name() +
                       "/bi2 --addr-a 10.5.0.1/24 --addr-b 10.5.0.2/24 --interval 100 --offload " +
                       std::string(to_string(mode)) + " --io " + std::string(to_string(engine)));
  ASSERT_TRUE(test::wait_for_link("bi2", "ip -n " + h2.name(), true));
  auto r = cli::tcp_transfer(h1.name(), h2.name(), "10.5.0.2", 5001, 30 << 20);
  EXPECT_TRUE(r.intact()) << r.error << " sent " << r.bytes_sent << " received " << r.bytes_received;
  bridge.signal(SIGTERM);
  auto done = bridge.wait(5000);
  EXPECT_EQ(done.status, 0) << done.output;
  // "(1 queue, offload ..., io ENGINE[, cpus ...]); Ctrl-C to stop"
  const std::string said = ", io " + std::string(to_string(engine));
  const auto at = done.output.find(said);
  const char after = at == std::string::npos ? '?' : done.output[at + said.size()];
  if (after != ')' && after != ',') {
    if (test::in_ci()) ADD_FAILURE() << "the startup line names " << said << "\n" << done.output;
    else GTEST_SKIP() << "io_uring is not available here:\n" << done.output;
  }
}

INSTANTIATE_TEST_SUITE_P(Io, CliBridgeIoTest,
                         ::testing::Combine(::testing::Values(OffloadMode::split, OffloadMode::passthrough),
                                            test::io_engines()),
                         test::mode_and_io_name);
