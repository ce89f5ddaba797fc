// The UDP endpoints of `tuntap tunnel`: --peer ADDR:PORT and --listen [ADDR:]PORT.
#pragma once

#include <string>

#include "tuntap/udp_link.hpp"

namespace tuntap::cli {

// "[ADDR:]PORT", "[v6]:PORT" or "ADDR:PORT" (an IP address, not a host name: no DNS here). With
// address_required, the address and a port other than 0 must be there. Throws tuntap::Error
// (invalid_argument) naming the text and the expected form.
UdpEndpoint parse_endpoint(const std::string& text, bool address_required);

}  // namespace tuntap::cli
