// Ctrl-C and SIGTERM as a flag and a pollable descriptor, so long-running commands stop cleanly.
#pragma once

namespace tuntap::cli {

// Installs handlers for SIGINT and SIGTERM (once). After a signal, stop_requested() is true and
// stop_fd() is readable.
void install_stop_handlers();
bool stop_requested() noexcept;
int stop_fd() noexcept;
// The signal that asked to stop (SIGINT, SIGTERM), or 0: a command that ends early on a signal
// exits 128 + it, as a shell reports a process the signal killed.
int stop_signal() noexcept;
// Makes stop_requested() true as a signal would (for tests and for commands that end themselves).
void request_stop() noexcept;

}  // namespace tuntap::cli
