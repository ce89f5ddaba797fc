// The one error category of tuntap: named failures that say what the caller must do.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "tuntap/export.hpp"

namespace tuntap {

/// The errors of tuntap, one category (category()); each also compares equal to the nearest std::errc.
enum class errc : int {
  busy = 1,           ///< the name is taken or the resource is in use: pick another or wait
  not_ready,          ///< non-blocking call found nothing to do: poll and retry
  exhausted,          ///< out of buffers, queue slots or kernel memory: retry later
  unsupported,        ///< the kernel or this endpoint does not offer the feature
  permission_denied,  ///< needs CAP_NET_ADMIN or ownership of the device
  invalid_argument,   ///< the caller passed a value the call cannot accept
  jumbo_packet,       ///< a packet larger than the caller's buffer (or the device MTU)
  not_ip_packet,      ///< bytes on a TUN that are neither IPv4 nor IPv6
  short_read,         ///< fewer bytes than the smallest header that must be there
  truncated_packet,   ///< the packet's own length field exceeds the bytes present
  too_many_segments,  ///< a super-packet splits into more packets than there are buffers
  closed,             ///< the endpoint was closed
  device_gone,        ///< the interface was deleted underneath the handle
  malformed,          ///< bytes that do not parse as what they claim to be
  not_found,          ///< no such interface, address or route
  already_exists,     ///< the address, route or device is already there
};

/// The error category of tuntap::errc.
TUNTAP_API const std::error_category& category() noexcept;

/// Makes tuntap::errc values usable as std::error_code.
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/// Maps an errno value to the tuntap code that names it, or to a system_category code when none does.
TUNTAP_API std::error_code errno_code(int err) noexcept;

/// "what: message (hint)", the text of every error tuntap throws.
TUNTAP_API std::string describe(std::string_view what, std::error_code ec, std::string_view hint = {});

/// The exception of the throwing forms: a std::system_error whose what() says which call failed.
class TUNTAP_API Error : public std::system_error {
 public:
  /// An error `ec` about `what` (an option, a device, a file), with a `hint` on what to do.
  Error(std::error_code ec, std::string_view what, std::string_view hint = {});
  /// "what: message (hint)", ready for a user.
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::string text_;
};

/// Throws Error if ec is set; used by the throwing forms that wrap the error_code forms.
TUNTAP_API void throw_if(std::error_code ec, std::string_view what, std::string_view hint = {});

}  // namespace tuntap

// Standard-library specialisations: they belong to std, not to the reference.
/// @cond std_specializations
template <>
struct std::is_error_code_enum<tuntap::errc> : std::true_type {};
/// @endcond
