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

// A named namespace as it was when this was made, to tell later whether it is still there: `ip
// netns del` removes the name, but a namespace lives on while anything (our devices) holds it.
class NetnsIdentity {
 public:
  // Throws tuntap::Error if there is no namespace of that name.
  explicit NetnsIdentity(std::string name);
  const std::string& name() const noexcept { return name_; }
  // True once the name is gone or names another namespace.
  bool removed() const noexcept;

 private:
  std::string name_;
  unsigned long long device_ = 0, inode_ = 0;
};

// Splits "[NETNS/]NAME" into its parts.
struct NsName {
  std::string netns;
  std::string name;
};
NsName split_ns_name(const std::string& text);

}  // namespace tuntap::cli
