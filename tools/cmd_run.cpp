// tuntap run: the privilege-separation pattern as a command. Creates and configures a device as
// root, then runs a program that inherits the device's descriptor (its number in TUNTAP_FD) and,
// with --user, holds no privilege at all. The device lives as long as the program holds it.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "accounts.hpp"
#include "command.hpp"
#include "drop_privileges.hpp"
#include "netconf_options.hpp"
#include "netns_option.hpp"
#include "netns_switch.hpp"
#include "tuntap/device.hpp"

namespace tuntap::cli {
namespace {

struct RunOptions {
  std::string name;
  bool tap = false;
  bool vnet_hdr = false;
  bool multi_queue = false;
  std::string netns;
  std::string user;
  NetConfOptions net;
  std::vector<std::string> command;
};

sigset_t saved_mask;  // the mask before run() blocked the signals it waits for

// Waits for the program to end, passing on every SIGTERM and SIGHUP sent to this command so that
// stopping `tuntap run` stops the program (Ctrl-C reaches the program from the terminal itself).
// The signals stay blocked and are taken with sigwaitinfo: no handler has to interrupt a waitpid.
int wait_passing_signals_on(pid_t pid, const sigset_t& waited_for) {
  for (;;) {
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&waited_for, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      throw Error(errno_code(errno), "sigwaitinfo");
    }
    if (sig != SIGCHLD) {
      ::kill(pid, sig);
      continue;
    }
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done < 0) throw Error(errno_code(errno), "waitpid");
    if (done == 0) continue;  // stopped or continued, not ended
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
  }
}

// In the child, between fork and exec: the descriptor becomes inheritable (and blocking, as a freshly
// opened one is), then the identity changes, then the program replaces us. Never returns.
[[noreturn]] void start_program(int device_fd, const std::string& name, const Identity* who, std::vector<char*>& argv) {
  const int fd = ::fcntl(device_fd, F_DUPFD, 3);  // no FD_CLOEXEC on the copy
  if (fd < 0) {
    fmt::print(stderr, "tuntap run: dup: {}\n", std::strerror(errno));
    ::_exit(126);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  ::sigprocmask(SIG_SETMASK, &saved_mask, nullptr);  // exec keeps the mask: the program gets its own
  ::setenv("TUNTAP_FD", std::to_string(fd).c_str(), 1);
  ::setenv("TUNTAP_IFNAME", name.c_str(), 1);
  if (who != nullptr) {
    if (auto problem = become(*who); !problem.empty()) {
      fmt::print(stderr, "tuntap run: {}\n", problem);
      ::_exit(126);
    }
  }
  ::execvp(argv[0], argv.data());
  const int err = errno;
  fmt::print(stderr, "tuntap run: {}: {}\n", argv[0], std::strerror(err));
  ::_exit(err == ENOENT ? 127 : 126);
}

int run(const RunOptions& o) {
  // SIGTERM and SIGHUP wait until there is a program to pass them to: blocked from here and taken
  // once it is started (a signal meanwhile stays pending, not lost); SIGCHLD says it ended.
  sigset_t waited_for;
  ::sigemptyset(&waited_for);
  ::sigaddset(&waited_for, SIGTERM);
  ::sigaddset(&waited_for, SIGHUP);
  ::sigaddset(&waited_for, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &waited_for, &saved_mask);
  ::signal(SIGCHLD, SIG_DFL);  // inherited SIG_IGN would reap the program before we could
  NetnsSwitch in_ns(o.netns);  // the device and the program both live there
  // Values no device could take are refused before one exists; apply() checks the rest against the
  // device (a TAP's lower MTU bound...), and a device refused there goes with this process.
  o.net.check();
  std::unique_ptr<Identity> who;
  DeviceConfig cfg{.mode = o.tap ? Mode::tap : Mode::tun,
                   .name = o.name,
                   .multi_queue = o.multi_queue,
                   .vnet_hdr = o.vnet_hdr};
  if (!o.user.empty()) {
    const auto account = resolve_account(o.user);
    who = std::make_unique<Identity>(identity_of(account.uid, account.gid, account.name));
    cfg.owner = account.uid;  // so the user may also open more queues of it
  }
  std::vector<std::string> args = o.command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  auto dev = Device::open(cfg);
  o.net.apply(dev.name());

  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(errno_code(errno), "fork");
  if (pid == 0) start_program(dev.fd(), dev.name(), who.get(), argv);
  dev.close();  // the program holds the device now: it goes when the program does
  // SIGINT: the terminal sends it to the program as well; this command waits for the program.
  ::signal(SIGINT, SIG_IGN);
  return wait_passing_signals_on(pid, waited_for);
}

Runner install(CLI::App& app) {
  auto o = std::make_shared<RunOptions>();
  app.add_option("--name", o->name, "device name (or a pattern like tun%d; empty: the kernel picks)");
  app.add_flag("--tap", o->tap, "a TAP device (Ethernet frames) instead of TUN (IP packets)");
  app.add_flag("--vnet-hdr", o->vnet_hdr, "packets carry a virtio-net header (for offloads: NativeTun::adopt)");
  app.add_flag("--multi-queue", o->multi_queue, "allow several queues (IFF_MULTI_QUEUE)");
  add_netns_option(app, o->netns);
  app.add_option("--user", o->user,
                 "run the program as this user, with its groups and no capabilities; the user owns the device")
      ->type_name("U");
  o->net.add_to(app);
  app.add_option("PROGRAM", o->command, "the program and its arguments, after --")->required()->type_name("ARGS");
  app.footer("Example: tuntap run --name t0 --addr 10.9.0.1/24 --up --user nobody -- ./worker --verbose\n"
             "The program finds the device's descriptor in TUNTAP_FD (its name in TUNTAP_IFNAME) and may\n"
             "wrap it with tuntap::Device::adopt. The command exits with the program's status (128+N\n"
             "when a signal N ended it); the device goes away with the program.");
  return [o] { return run(*o); };
}

const bool registered = register_command(
    {"run", "create a device, then run a program that inherits it (optionally unprivileged)", install});

}  // namespace
}  // namespace tuntap::cli
