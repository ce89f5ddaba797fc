// Where `tuntap bridge` runs its forwarding threads: the --cpus option.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tuntap::cli {

// --cpus auto (the default), any, or a list such as 0 or 0,2.
struct CpuChoice {
  enum class Kind { automatic, any, list };
  Kind kind = Kind::automatic;
  std::vector<unsigned> list;  // for Kind::list

  // Throws tuntap::Error (invalid_argument) naming the text and what is expected.
  static CpuChoice parse(const std::string& text);
};

// The CPUs this process may run on, lowest first (empty if they cannot be read).
std::vector<unsigned> allowed_cpus();

// The CPUs each queue pair's two forwarding threads may run on (an empty entry: anywhere).
//  - a list: every pair gets the whole list;
//  - any: nothing is pinned;
//  - auto: in passthrough, pair i gets the single CPU allowed[i % allowed.size()], so both
//    directions of a queue share one CPU. Passthrough threads do almost no work of their own:
//    they carry the kernel's (the receiving stack runs inside their writes), and left alone the
//    scheduler keeps moving the data thread next to the sender that wakes it while the other CPU
//    idles (docs/benchmarks.md, "Placement"). In split and off mode the threads checksum, split
//    and coalesce, and pinned they cannot escape a busy CPU, so auto pins nothing there.
std::vector<std::vector<unsigned>> place_queue_pairs(const CpuChoice& choice, bool passthrough, std::size_t queues,
                                                     const std::vector<unsigned>& allowed);

}  // namespace tuntap::cli
