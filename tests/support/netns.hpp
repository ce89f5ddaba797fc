// System-test support: each test in a fresh network namespace, shell helpers, descriptor counts.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace tuntap::test {

// True when the process may create devices and namespaces (root / CAP_NET_ADMIN + CAP_SYS_ADMIN).
bool privileged();

// Moves the calling thread into a new network namespace with loopback up. Fails the test when that
// is impossible; skips only outside CI (CI=true makes a missing privilege a failure).
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
};

struct Command {
  int status = -1;     // exit status, or -1 if it did not exit normally
  std::string output;  // stdout and stderr, interleaved
};
// Runs a shell command in the calling thread's namespace.
Command sh(const std::string& command);
// Runs it and fails the test (ADD_FAILURE with the output) unless it exits 0; returns its output.
std::string must(const std::string& command);
// Waits up to 5 s (stretched by slowdown()) until `IP link show NAME` succeeds (IP is "ip", or "ip -n NETNS" for a
// named namespace) and, with up, shows the link administratively up: a program that brings its device up as the last
// step of its setup is then past it.
bool wait_for_link(const std::string& name, const std::string& ip = "ip", bool up = false);
// Waits (5 s, stretched by slowdown()) until `IP link show NAME` reports operational state `state`
// ("DOWN", "UNKNOWN", "UP"). The kernel applies a carrier change to the operational state later, in its link
// watch work (rate-limited to about once a second), and reports the old state until then; a test that
// compares states waits for them to settle.
bool wait_for_operstate(const std::string& name, const std::string& state, const std::string& ip = "ip");

// Open descriptors of this process (entries of /proc/self/fd).
int open_fds();

}  // namespace tuntap::test

namespace tuntap::test {

// A named network namespace (ip netns add) for tests that need a second host; deleted with its
// devices when the object goes. The name carries the pid so parallel tests never collide.
class NamedNetns {
 public:
  explicit NamedNetns(const std::string& tag);
  ~NamedNetns();
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;
  const std::string& name() const { return name_; }
  // "ip netns exec NAME " + command
  std::string exec(const std::string& command) const { return "ip netns exec " + name_ + " " + command; }

 private:
  std::string name_;
};

// An exclusive lock on /tmp/tuntap-test-NAME.lock, held while the object lives: tests that share
// something machine-wide (the demo's namespaces, which any demo may sweep) then run one at a time,
// even when ctest runs them in parallel processes.
class MachineLock {
 public:
  explicit MachineLock(const std::string& name);
  ~MachineLock();
  MachineLock(const MachineLock&) = delete;
  MachineLock& operator=(const MachineLock&) = delete;

 private:
  int fd_ = -1;
};

// Moves the calling thread into the named namespace (for threads made to serve a second host).
bool enter_netns(const std::string& name);

}  // namespace tuntap::test

namespace tuntap::test {

// A command running in the background (sh -c "exec ..."), so its pid is the command's own and a
// signal reaches it, not a shell around it. Output goes to a temporary file.
class Process {
 public:
  explicit Process(const std::string& command);
  ~Process();  // kills it if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  int pid() const { return pid_; }
  void signal(int sig) const;
  // Waits up to timeout_ms (stretched by slowdown()) for the exit; status -1 (and the process
  // killed) on timeout.
  Command wait(int timeout_ms);
  // What it printed so far.
  std::string output() const;
  // Waits up to timeout_ms (stretched by slowdown()) until its output contains `text`; false if it
  // never did.
  bool wait_for_output(const std::string& text, int timeout_ms) const;

 private:
  int pid_ = -1;
  std::string output_path_;
};

}  // namespace tuntap::test
