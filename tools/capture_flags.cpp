#include "capture_flags.hpp"

namespace tuntap::cli {

void CaptureFlags::add_to(CLI::App& app, bool with_keep_gso) {
  app.add_option("--write,-w", path, "also write the packets to this pcap file (Wireshark, tshark, tcpdump read it)");
  app.add_option("--snaplen", snaplen, "bytes kept of each packet in the file (0: 262144)");
  app.add_option("--rotate-mb", rotate_mb, "start a new file (NAME-1.pcap, NAME-2.pcap...) every N MiB");
  app.add_option("--max-packets", max_packets, "stop writing to the file after N packets");
  if (with_keep_gso)
    app.add_flag("--keep-gso", keep_gso,
                 "write super-packets whole, as they crossed, instead of as the packets on the wire");
}

std::shared_ptr<PcapWriter> CaptureFlags::open(PcapLinkType link) const {
  return std::make_shared<PcapWriter>(PcapWriter::open({.path = path,
                                                        .link_type = link,
                                                        .snaplen = snaplen,
                                                        .max_packets = max_packets,
                                                        .rotate_bytes = rotate_mb << 20}));
}

}  // namespace tuntap::cli
