// A capture is complete however the command ends (SIGINT, SIGTERM), and a demo that was killed
// leaves nothing that the next one does not remove.
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "support/netns.hpp"

using namespace std::chrono_literals;
using tuntap::test::must;
using tuntap::test::sh;
using tuntap::test::wait_for_link;

namespace {

const std::string cli = TUNTAP_CLI;

// Every test here runs a demo or counts demo namespaces: one at a time with the other demo tests.
class CliCapture : public tuntap::test::NetnsTest {
  tuntap::test::MachineLock demos_{"demo"};
};

struct ReadBack {
  std::size_t packets = 0;
  std::string error;  // "" when libpcap read every record to the end of the file
};

// Reads the whole file with libpcap: a record cut short (a writer that never flushed) is an error.
ReadBack read_to_end(const std::string& path) {
  ReadBack r;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return {0, err};
  pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) ++r.packets;
  if (rc != PCAP_ERROR_BREAK) r.error = pcap_geterr(p);
  pcap_close(p);
  return r;
}

// Wireshark's reader too (capinfos: every record, without tshark's dissection, which takes minutes
// for a large capture on a loaded machine): it says "cut short in the middle of a packet" (and
// fails) on a truncated file.
void expect_wireshark_reads(const std::string& path) {
  auto t = sh("capinfos -c " + path);
  EXPECT_EQ(t.status, 0) << t.output;
  EXPECT_EQ(t.output.find("cut short"), std::string::npos) << t.output;
}

bool wait_for_output(const std::string& path, const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (sh("grep -q '" + text + "' " + path).status == 0) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::size_t demo_namespaces() {
  return static_cast<std::size_t>(std::stoul(sh("ip netns list | grep -c '^tuntap-demo-' || true").output));
}

class DemoSignal : public CliCapture, public ::testing::WithParamInterface<int> {};

}  // namespace

TEST_P(DemoSignal, DuringTheTransferLeavesACompleteCaptureAndExits128PlusTheSignal) {
  const int sig = GetParam();
  auto dir = "/tmp/tuntap-demo-sig-" + std::to_string(::getpid());
  std::filesystem::create_directory(dir);
  auto pcap = dir + "/c.pcap", log = dir + "/out.txt";
  // A transfer far longer than the test waits; the capture keeps every packet (256 bytes of each).
  tuntap::test::Process demo("sh -c 'exec " + cli + " demo --megabytes 100000 --max-packets 0 --pcap " + pcap + " > " +
                             log + " 2>&1'");
  ASSERT_TRUE(wait_for_output(log, "MB ", 60s)) << sh("cat " + log).output;  // the transfer is running
  // Kept: wait() forgets it.
  const int pid = demo.pid();
  ::kill(pid, sig);
  auto r = demo.wait(20000);
  auto out = sh("cat " + log).output;
  EXPECT_EQ(r.status, 128 + sig) << out;
  EXPECT_NE(out.find("interrupted"), std::string::npos) << out;
  auto back = read_to_end(pcap);
  EXPECT_EQ(back.error, "") << out;
  EXPECT_GT(back.packets, 1000u) << "pings, UDP and part of the transfer";
  expect_wireshark_reads(pcap);
  EXPECT_EQ(sh("ip netns list | grep -c 'tuntap-demo-" + std::to_string(pid) + "-'").output, "0\n");
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Signals, DemoSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& p) { return p.param == SIGINT ? "Sigint" : "Sigterm"; });

TEST_F(CliCapture, DumpCaptureIsCompleteAfterSigintOrSigterm) {
  for (int sig : {SIGINT, SIGTERM}) {
    auto pcap = "/tmp/tuntap-dump-sig-" + std::to_string(::getpid()) + ".pcap";
    ::unlink(pcap.c_str());
    tuntap::test::Process dump(cli + " dump cs0 --addr 10.34.0.1/24 --up -q --write " + pcap);
    ASSERT_TRUE(wait_for_link("cs0", "ip", true));  // up is the last of its setup: the address is there
    // A burst of packets that stay in the writer's buffer unless the file is flushed at the end.
    sh("ping -c 200 -i 0.002 -W 0.1 -s 1200 10.34.0.2 >/dev/null");
    dump.signal(sig);
    auto r = dump.wait(5000);
    EXPECT_EQ(r.status, 0) << r.output;
    auto back = read_to_end(pcap);
    EXPECT_EQ(back.error, "") << sig;
    EXPECT_GE(back.packets, 200u) << sig;
    expect_wireshark_reads(pcap);
    ::unlink(pcap.c_str());
  }
}

TEST_F(CliCapture, DemoRefusesToWriteOverAFileOrThroughASymlink) {
  auto dir = "/tmp/tuntap-demo-safe-" + std::to_string(::getpid());
  std::filesystem::create_directory(dir);
  must("echo keep > " + dir + "/target && ln -s " + dir + "/target " + dir + "/link.pcap");
  for (auto name : {"/target", "/link.pcap"}) {
    auto r = sh(cli + " demo --megabytes 1 --pcap " + dir + name);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_NE(r.output.find(dir + name), std::string::npos) << r.output;
  }
  EXPECT_EQ(must("cat " + dir + "/target"), "keep\n");
  EXPECT_EQ(demo_namespaces(), 0u) << "refused before any namespace exists";
  std::filesystem::remove_all(dir);
}

TEST_F(CliCapture, ADemoRemovesTheNamespacesOfOneThatWasKilled) {
  auto dir = "/tmp/tuntap-demo-kill-" + std::to_string(::getpid());
  std::filesystem::create_directory(dir);
  tuntap::test::Process killed("sh -c 'exec " + cli + " demo --megabytes 100000 --pcap " + dir + "/a.pcap > " + dir +
                               "/a.txt 2>&1'");
  ASSERT_TRUE(wait_for_output(dir + "/a.txt", "\\[3/8\\]", 60s)) << sh("cat " + dir + "/a.txt").output;
  const std::string left = "tuntap-demo-" + std::to_string(killed.pid()) + "-h";  // wait() forgets the pid
  ::kill(killed.pid(), SIGKILL);
  killed.wait(5000);
  EXPECT_EQ(sh("ip netns list | grep -c '^" + left + "'").output, "2\n") << "SIGKILL leaves both hosts";

  auto r = sh(cli + " demo --megabytes 1 --pcap " + dir + "/b.pcap");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Removed " + left + "1, left by a demo that was killed"), std::string::npos) << r.output;
  EXPECT_EQ(sh("ip netns list | grep -c '^" + left + "'").output, "0\n");
  EXPECT_EQ(demo_namespaces(), 0u);
  std::filesystem::remove_all(dir);
}

TEST_F(CliCapture, DemoWritesToAPrivateDirectoryAndStatesItsLimits) {
  auto r = sh(cli + " demo --megabytes 1 --max-packets 50 --snaplen 100");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("the first 50 packets, 100 bytes of each"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("packets left out after --max-packets 50"), std::string::npos) << r.output;
  auto at = r.output.find("/tmp/tuntap-demo-");
  ASSERT_NE(at, std::string::npos) << r.output;
  auto path = r.output.substr(at, r.output.find_first_of(" \n", at) - at);
  auto dir = std::filesystem::path(path).parent_path();
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0) << dir;
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "mkdtemp's private directory";
  EXPECT_EQ(read_to_end(path).packets, 50u);
  std::filesystem::remove_all(dir);
}
