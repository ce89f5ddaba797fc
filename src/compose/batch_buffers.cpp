#include "compose/batch_buffers.hpp"

namespace tuntap::detail {

bool BatchBuffers::ensure(std::size_t size, std::size_t count) noexcept {
  if (buffers.size() >= count && buffer_size >= size) return true;
  try {
    buffers.clear();
    pool.reset();
    buffer_size = 0;
    pool = std::make_unique<BufferPool>(size, count, count);
    buffers.resize(count);
    if (pool->acquire(buffers) != count) return false;
    read_spans.resize(count);
    write_spans.resize(count);
    sizes.resize(count);
    for (std::size_t i = 0; i < count; ++i) read_spans[i] = buffers[i].bytes();
    buffer_size = size;
    return true;
  } catch (...) {
    buffers.clear();
    return false;
  }
}

}  // namespace tuntap::detail
