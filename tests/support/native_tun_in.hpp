// System-test support: a native TUN opened inside a named namespace, addressed and up.
#pragma once

#include <memory>
#include <string>

#include "tuntap/native_tun.hpp"

namespace tuntap::test {

// Opens a TUN inside namespace ns ("" = the calling thread's), gives it `prefix` and brings it up.
// The device stays in that namespace; the calling thread stays in its own.
std::shared_ptr<NativeTun> open_tun_in(const std::string& ns, const TunOptions& options, const std::string& prefix);

}  // namespace tuntap::test
