#include "tuntap/virtio_net.hpp"

namespace tuntap {

std::string to_string(const VirtioNetHdr& hdr) {
  std::string out = "gso=";
  switch (hdr.gso_kind()) {
    case VirtioNetHdr::gso_none: out += "none"; break;
    case VirtioNetHdr::gso_tcpv4: out += "tcpv4"; break;
    case VirtioNetHdr::gso_udp: out += "ufo"; break;
    case VirtioNetHdr::gso_tcpv6: out += "tcpv6"; break;
    case VirtioNetHdr::gso_udp_l4: out += "udp_l4"; break;
    default: out += std::to_string(hdr.gso_kind()); break;
  }
  if ((hdr.gso_type & VirtioNetHdr::gso_ecn) != 0) out += "|ecn";
  out += " size=" + std::to_string(hdr.gso_size);
  out += " hdr_len=" + std::to_string(hdr.hdr_len);
  out += " csum=" + std::to_string(hdr.csum_start) + "+" + std::to_string(hdr.csum_offset);
  if (hdr.needs_csum()) out += " needs_csum";
  if ((hdr.flags & VirtioNetHdr::flag_data_valid) != 0) out += " data_valid";
  return out;
}

}  // namespace tuntap
