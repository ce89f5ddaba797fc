// The buffers a forwarding loop reads a batch into and writes it from (Forwarder, NativeBridge).
// Not part of the API.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "tuntap/buffer_pool.hpp"

namespace tuntap::detail {

struct BatchBuffers {
  std::unique_ptr<BufferPool> pool;
  std::vector<PooledBuffer> buffers;
  std::vector<std::span<std::byte>> read_spans;   // whole buffers
  std::vector<std::span<std::byte>> write_spans;  // buffer[0, offset + length) per packet
  std::vector<std::size_t> sizes;
  std::size_t buffer_size = 0;

  // At least `count` buffers of at least `size` bytes, allocated on the first call and again only
  // when more or larger ones are asked for (a new source, an MTU that grew); call it only when
  // nothing read into the old ones is still needed. False, and no buffers, if they cannot be had.
  bool ensure(std::size_t size, std::size_t count) noexcept;
};

}  // namespace tuntap::detail
