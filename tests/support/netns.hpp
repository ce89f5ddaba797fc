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
  int status = -1;      // exit status, or -1 if it did not exit normally
  std::string output;   // stdout and stderr, interleaved
};
// Runs a shell command in the calling thread's namespace.
Command sh(const std::string& command);
// Runs it and fails the test (ADD_FAILURE with the output) unless it exits 0; returns its output.
std::string must(const std::string& command);

// Open descriptors of this process (entries of /proc/self/fd).
int open_fds();

}  // namespace tuntap::test
