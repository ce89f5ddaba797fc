#include "support/netns.hpp"

#include "support/ci.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tuntap::test {

bool privileged() { return ::geteuid() == 0; }

void NetnsTest::SetUp() {
  if (!privileged()) {
    if (in_ci()) FAIL() << "system tests need root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and CI=true";
    GTEST_SKIP() << "needs root: run as root or via 'make test' as root";
  }
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
  auto lo = sh("ip link set lo up");
  ASSERT_EQ(lo.status, 0) << lo.output;
}

Command sh(const std::string& command) {
  Command result;
  std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(p);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string must(const std::string& command) {
  auto r = sh(command);
  if (r.status != 0) ADD_FAILURE() << "command failed (" << r.status << "): " << command << "\n" << r.output;
  return r.output;
}

int open_fds() {
  int count = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++count;
  }
  ::closedir(d);
  return count - 1;  // the directory stream's own descriptor
}

}  // namespace tuntap::test

namespace tuntap::test {

NamedNetns::NamedNetns(const std::string& tag) : name_("tt-" + tag + "-" + std::to_string(::getpid())) {
  sh("ip netns del " + name_);
  auto r = sh("ip netns add " + name_);
  if (r.status != 0) ADD_FAILURE() << "ip netns add " << name_ << ": " << r.output;
  sh("ip netns exec " + name_ + " ip link set lo up");
}

NamedNetns::~NamedNetns() { sh("ip netns del " + name_); }

MachineLock::MachineLock(const std::string& name) {
  const std::string path = "/tmp/tuntap-test-" + name + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) ADD_FAILURE() << "lock " << path << ": " << std::strerror(errno);
}

MachineLock::~MachineLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

bool enter_netns(const std::string& name) {
  std::string path = "/var/run/netns/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

}  // namespace tuntap::test

#include <signal.h>
#include <spawn.h>
extern char** environ;

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace tuntap::test {

Process::Process(const std::string& command)
    : output_path_("/tmp/tuntap-test-" + std::to_string(::getpid()) + "-" +
                   std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".out") {
  std::string full = "exec " + command + " >" + output_path_ + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
  pid_t pid;
  if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) == 0) pid_ = pid;
  else ADD_FAILURE() << "posix_spawn failed for " << command;
}

Process::~Process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(output_path_.c_str());
}

void Process::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

Command Process::wait(int timeout_ms) {
  Command result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms) * slowdown();
  int status = 0;
  while (pid_ > 0) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      pid_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.output = output();
  return result;
}

std::string Process::output() const {
  std::ifstream in(output_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Process::wait_for_output(const std::string& text, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms) * slowdown();
  while (output().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool wait_for_link(const std::string& name, const std::string& ip, bool up) {
  const std::string show = ip + " link show " + name + (up ? " | grep -qE '[<,]UP[,>]'" : "");
  for (int i = 0; i < 100 * slowdown(); ++i) {
    if (sh(show).status == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool wait_for_operstate(const std::string& name, const std::string& state, const std::string& ip) {
  const std::string show = ip + " -o link show " + name + " | grep -q ' state " + state + " '";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5) * slowdown();
  while (sh(show).status != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace tuntap::test
