// Runs a stretch of code inside a named network namespace (ip netns add NAME), then comes back.
// Descriptors opened inside (a TUN, a socket) stay bound to that namespace after the switch back.
#pragma once

#include <string>

namespace tuntap::cli {

class NetnsSwitch {
 public:
  // Enters /run/netns/NAME for the calling thread; an empty name stays where it is.
  // Throws tuntap::Error saying which namespace and why.
  explicit NetnsSwitch(const std::string& name);
  ~NetnsSwitch();
  NetnsSwitch(const NetnsSwitch&) = delete;
  NetnsSwitch& operator=(const NetnsSwitch&) = delete;

 private:
  int home_ = -1;
};

// Splits "[NETNS/]NAME" into its parts.
struct NsName {
  std::string netns;
  std::string name;
};
NsName split_ns_name(const std::string& text);

}  // namespace tuntap::cli
