// Runs a stretch of code inside a named network namespace (ip netns add NAME), then comes back.
// Descriptors opened inside (a TUN, a socket) stay bound to that namespace after the switch back.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tuntap::cli {

// A named namespace as it was when entered, to tell later whether it is still there: `ip netns del`
// removes the name, but a namespace lives on while anything (our devices) holds it.
class NetnsIdentity {
 public:
  NetnsIdentity(std::string name, unsigned long long device, unsigned long long inode)
      : name_(std::move(name)), device_(device), inode_(inode) {}
  const std::string& name() const noexcept { return name_; }
  // True once the name is gone or names another namespace.
  bool removed() const noexcept;

 private:
  std::string name_;
  unsigned long long device_ = 0, inode_ = 0;
};

class NetnsSwitch {
 public:
  // Enters /run/netns/NAME for the calling thread; an empty name stays where it is.
  // Throws tuntap::Error saying which namespace and why.
  explicit NetnsSwitch(const std::string& name);
  ~NetnsSwitch();
  NetnsSwitch(const NetnsSwitch&) = delete;
  NetnsSwitch& operator=(const NetnsSwitch&) = delete;
  // The namespace entered, taken from the descriptor that entered it (so a removal at any time
  // after entry is seen); empty when the switch stayed where it was.
  const std::optional<NetnsIdentity>& entered() const noexcept { return entered_; }

 private:
  int home_ = -1;
  std::optional<NetnsIdentity> entered_;
};

// Splits "[NETNS/]NAME" into its parts.
struct NsName {
  std::string netns;
  std::string name;
};
NsName split_ns_name(const std::string& text);

}  // namespace tuntap::cli
