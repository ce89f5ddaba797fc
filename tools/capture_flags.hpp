// The capture options shared by dump and bridge: --write FILE.pcap, --snaplen, --rotate-mb, --keep-gso.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "tuntap/pcap.hpp"

namespace tuntap::cli {

struct CaptureFlags {
  std::string path;
  std::uint32_t snaplen = 0;
  std::uint64_t rotate_mb = 0;
  std::uint64_t max_packets = 0;
  bool keep_gso = false;

  void add_to(CLI::App& app, bool with_keep_gso);
  bool enabled() const { return !path.empty(); }
  std::shared_ptr<PcapWriter> open(PcapLinkType link) const;
};

}  // namespace tuntap::cli
