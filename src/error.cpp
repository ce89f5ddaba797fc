#include "tuntap/error.hpp"

#include <cerrno>

namespace tuntap {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tuntap"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::busy: return "Device or resource busy";
      case errc::not_ready: return "Not ready, try again";
      case errc::exhausted: return "Resources exhausted";
      case errc::unsupported: return "Operation not supported";
      case errc::permission_denied: return "Operation not permitted";
      case errc::invalid_argument: return "Invalid argument";
      case errc::jumbo_packet: return "Packet larger than the buffer";
      case errc::not_ip_packet: return "Not an IP packet";
      case errc::short_read: return "Short read: fewer bytes than a header";
      case errc::truncated_packet: return "Truncated packet: length field exceeds the bytes read";
      case errc::too_many_segments: return "Super-packet has more segments than buffers";
      case errc::closed: return "Closed";
      case errc::device_gone: return "Device was deleted";
      case errc::malformed: return "Malformed data";
      case errc::not_found: return "Not found";
      case errc::already_exists: return "Already exists";
    }
    return "Unknown tuntap error " + std::to_string(value);
  }

  // Lets callers compare with the portable std::errc values too: ec == std::errc::permission_denied.
  std::error_condition default_error_condition(int value) const noexcept override {
    switch (static_cast<errc>(value)) {
      case errc::busy: return std::errc::device_or_resource_busy;
      case errc::not_ready: return std::errc::resource_unavailable_try_again;
      case errc::exhausted: return std::errc::no_buffer_space;
      case errc::unsupported: return std::errc::not_supported;
      case errc::permission_denied: return std::errc::operation_not_permitted;
      case errc::invalid_argument: return std::errc::invalid_argument;
      case errc::jumbo_packet: return std::errc::message_size;
      case errc::not_found: return std::errc::no_such_device;
      case errc::already_exists: return std::errc::file_exists;
      default: return {value, *this};
    }
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category instance;
  return instance;
}

std::error_code errno_code(int err) noexcept {
  switch (err) {
    case EPERM:
    case EACCES: return errc::permission_denied;
    case EBUSY: return errc::busy;
    case EAGAIN: return errc::not_ready;
    case EINVAL: return errc::invalid_argument;
    case ENOBUFS:
    case ENOMEM: return errc::exhausted;
    case EOPNOTSUPP: return errc::unsupported;
    case EMSGSIZE: return errc::jumbo_packet;
    case EBADFD: return errc::device_gone;
    case EEXIST: return errc::already_exists;
    case ENODEV:
    case ESRCH:          // netlink: no such route
    case EADDRNOTAVAIL:  // netlink: no such address
      return errc::not_found;
    default: return {err, std::system_category()};
  }
}

std::string describe(std::string_view what, std::error_code ec, std::string_view hint) {
  std::string text(what);
  text += ": ";
  text += ec.message();
  if (!hint.empty()) {
    text += " (";
    text += hint;
    text += ')';
  }
  return text;
}

Error::Error(std::error_code ec, std::string_view what, std::string_view hint)
    : std::system_error(ec), text_(describe(what, ec, hint)) {}

void throw_if(std::error_code ec, std::string_view what, std::string_view hint) {
  if (ec) throw Error(ec, what, hint);
}

}  // namespace tuntap
