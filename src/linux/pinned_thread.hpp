// Starting a forwarding thread on chosen CPUs. The thread pins itself before it runs anything, so
// a refused placement is reported by the constructor that asked for it and leaves nothing half done.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace tuntap::detail {

// Starts a thread that restricts itself to `cpus` (no restriction when empty) and then runs `body`.
// Throws tuntap::Error if the thread cannot start, or, after joining it without running `body`, if
// the CPUs cannot be used (invalid_argument for one that is offline or not allowed). `who` names
// the caller in the message.
std::thread start_pinned(const std::vector<unsigned>& cpus, std::function<void()> body, const std::string& who);

}  // namespace tuntap::detail
