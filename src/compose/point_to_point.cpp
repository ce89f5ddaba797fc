#include "tuntap/point_to_point.hpp"

#include <utility>

namespace tuntap {

Point2Point::Point2Point(std::shared_ptr<Tun> a, std::shared_ptr<Tun> b, ForwarderConfig config)
    : a_to_b_(a, b, config), b_to_a_(std::move(b), std::move(a), config) {}

Point2Point::~Point2Point() { stop(); }

std::shared_ptr<Tun> Point2Point::set_a(std::shared_ptr<Tun> a) {
  std::lock_guard lock(swap_mutex_);
  Tun* fresh = a.get();
  auto old = a_to_b_.exchange_source(a);
  b_to_a_.exchange_destination(std::move(a));
  // Only now is it safe to close: both threads already see the new end when theirs fails.
  if (old && old.get() != fresh) old->close();
  return old;
}

std::shared_ptr<Tun> Point2Point::set_b(std::shared_ptr<Tun> b) {
  std::lock_guard lock(swap_mutex_);
  Tun* fresh = b.get();
  auto old = b_to_a_.exchange_source(b);
  a_to_b_.exchange_destination(std::move(b));
  if (old && old.get() != fresh) old->close();
  return old;
}

void Point2Point::stop() noexcept {
  a_to_b_.stop();
  b_to_a_.stop();
}

}  // namespace tuntap
