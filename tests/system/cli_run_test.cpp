// tuntap run: a device created as root, a program that inherits it (TUNTAP_FD), optionally as
// another user without capabilities, and the program's exit status as the command's.
#include <csignal>
#include <string>

#include "support/netns.hpp"

using tuntap::test::must;
using tuntap::test::sh;

namespace {

class CliRunTest : public tuntap::test::NetnsTest {};

const std::string cli = TUNTAP_CLI;

}  // namespace

TEST_F(CliRunTest, ProgramInheritsTheDescriptorAndItsStatusIsTheCommands) {
  auto r = sh(cli + " run --name rn0 --addr 10.88.0.1/24 --up -- sh -c "
                    "'echo fd=$TUNTAP_FD name=$TUNTAP_IFNAME; readlink /proc/self/fd/$TUNTAP_FD; "
                    "ip -o addr show rn0; exit 7'");
  EXPECT_EQ(r.status, 7) << r.output;
  EXPECT_NE(r.output.find("name=rn0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/dev/net/tun"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("10.88.0.1/24"), std::string::npos) << r.output;
  EXPECT_NE(sh("ip link show rn0").status, 0) << "the device went with the program";
}

TEST_F(CliRunTest, WithUserTheProgramRunsWithoutAnyCapability) {
  auto r = sh(cli + " run --name rn1 --user nobody -- sh -c 'id -u; id -G; grep -E \"^Cap(Eff|Prm|Bnd|Amb)\" "
                    "/proc/self/status; ls -l /proc/self/fd/$TUNTAP_FD >/dev/null && echo readable'");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("65534\n65534\n"), std::string::npos) << r.output;
  for (const char* set : {"CapEff", "CapPrm", "CapBnd", "CapAmb"})
    EXPECT_NE(r.output.find(std::string(set) + ":\t0000000000000000"), std::string::npos) << set << "\n" << r.output;
  EXPECT_NE(r.output.find("readable"), std::string::npos) << r.output;
}

TEST_F(CliRunTest, MissingProgramAndBadUserAreClearErrors) {
  auto missing = sh(cli + " run --name rn2 -- /nonexistent/program");
  EXPECT_EQ(missing.status, 127) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/program: No such file"), std::string::npos) << missing.output;
  auto user = sh(cli + " run --name rn3 --user no-such-user-here -- true");
  EXPECT_NE(user.status, 0);
  EXPECT_NE(user.output.find("--user 'no-such-user-here'"), std::string::npos) << user.output;
  EXPECT_NE(sh("ip link show rn3").status, 0) << "refused before any device existed";
  EXPECT_NE(sh(cli + " run --name rn4").status, 0) << "a program is required";
}

TEST_F(CliRunTest, SigtermToRunStopsTheProgramAndExits143) {
  tuntap::test::Process run(cli + " run --name rn6 -- sleep 30");
  ASSERT_TRUE(tuntap::test::wait_for_link("rn6")) << run.output();
  run.signal(SIGTERM);
  auto done = run.wait(5000);
  EXPECT_EQ(done.status, 143) << "128 + SIGTERM, passed on to the program\n" << done.output;
  EXPECT_NE(sh("ip link show rn6").status, 0);
}

#ifdef TUNTAP_EXAMPLE_ADOPT_FD
// The example program adopts TUNTAP_FD as nobody and answers the kernel's pings.
TEST_F(CliRunTest, ExampleAdoptsTheInheritedDescriptorAndAnswersPings) {
  tuntap::test::Process run(cli + " run --name rn5 --addr 10.89.0.1/24 --up --user nobody -- " +
                            TUNTAP_EXAMPLE_ADOPT_FD + " --count 3");
  ASSERT_TRUE(run.wait_for_output("answering pings", 5000)) << run.output();
  auto ping = sh("ping -c 3 -i 0.2 -W 2 10.89.0.2");
  EXPECT_NE(ping.output.find("3 received"), std::string::npos) << ping.output;
  auto done = run.wait(5000);
  EXPECT_EQ(done.status, 0) << done.output;
  EXPECT_NE(done.output.find("reply 3"), std::string::npos) << done.output;
}
#endif
