#include "tuntap/buffer_pool.hpp"

#include <cassert>
#include <new>
#include <utility>

#include "tuntap/error.hpp"

namespace tuntap {
namespace {

// Cache-line alignment keeps two buffers from sharing a line when two threads fill them.
constexpr std::size_t kLineAlignment = 64;
// Buffers of a page or more start on a page. A super-packet read at a small offset then has its
// payload near the start of a page, never in the last bytes before a page boundary: on AMD Zen
// the kernel's `rep movsb` copy of a GSO write into fresh, page-aligned skb pages runs at about a
// tenth of its speed when the source sits 1-15 bytes below a page boundary (the C loop's passthrough
// ran at 8.8 against 14.6 Gbit/s, docs/benchmarks.md). With 64-byte alignment 1 buffer in 64 lands there.
constexpr std::size_t kPageAlignment = 4096;

std::align_val_t alignment_for(std::size_t buffer_size) noexcept {
  return std::align_val_t{buffer_size >= kPageAlignment ? kPageAlignment : kLineAlignment};
}

std::byte* allocate_buffer(std::size_t size) noexcept {
  return static_cast<std::byte*>(::operator new(size, alignment_for(size), std::nothrow));
}

void free_buffer(std::byte* data, std::size_t size) noexcept { ::operator delete(data, alignment_for(size)); }

}  // namespace

PooledBuffer::PooledBuffer(PooledBuffer&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::exchange(other.pool_, nullptr);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void PooledBuffer::reset() noexcept {
  if (data_ != nullptr) pool_->release(data_);
  pool_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

BufferPool::BufferPool(std::size_t buffer_size, std::size_t capacity, std::size_t preallocate)
    : buffer_size_(buffer_size), capacity_(capacity) {
  if (buffer_size == 0 || capacity == 0) {
    throw Error(errc::invalid_argument, "BufferPool", "buffer size and capacity must be positive");
  }
  free_.reserve(capacity);
  if (preallocate > capacity) preallocate = capacity;
  for (std::size_t i = 0; i < preallocate; ++i) {
    std::byte* data = allocate_buffer(buffer_size_);
    if (data == nullptr) {
      for (std::byte* p : free_) free_buffer(p, buffer_size_);
      throw std::bad_alloc();
    }
    free_.push_back(data);
    ++allocated_;
  }
}

BufferPool::~BufferPool() {
  assert(free_.size() == allocated_ && "BufferPool destroyed while buffers are on loan");
  for (std::byte* p : free_) free_buffer(p, buffer_size_);
}

std::byte* BufferPool::take_locked() noexcept {
  if (!free_.empty()) {
    std::byte* data = free_.back();
    free_.pop_back();
    return data;
  }
  if (allocated_ == capacity_) return nullptr;
  std::byte* data = allocate_buffer(buffer_size_);
  if (data != nullptr) ++allocated_;
  return data;
}

PooledBuffer BufferPool::acquire(std::error_code& ec) noexcept {
  std::byte* data;
  {
    std::lock_guard lock(mutex_);
    data = take_locked();
  }
  if (data == nullptr) {
    ec = errc::exhausted;
    return {};
  }
  ec.clear();
  return PooledBuffer(this, data, buffer_size_);
}

std::size_t BufferPool::acquire(std::span<PooledBuffer> out) noexcept {
  for (auto& buffer : out) buffer.reset();
  std::lock_guard lock(mutex_);
  std::size_t k = 0;
  for (; k < out.size(); ++k) {
    std::byte* data = take_locked();
    if (data == nullptr) break;
    // Assigning to the raw members: the handle is empty (reset above), so nothing is released.
    out[k].pool_ = this;
    out[k].data_ = data;
    out[k].size_ = buffer_size_;
  }
  return k;
}

void BufferPool::release(std::byte* data) noexcept {
  std::lock_guard lock(mutex_);
  // Cannot allocate: free_ was reserved to capacity and holds at most allocated_ <= capacity.
  free_.push_back(data);
}

std::size_t BufferPool::allocated() const noexcept {
  std::lock_guard lock(mutex_);
  return allocated_;
}

std::size_t BufferPool::in_use() const noexcept {
  std::lock_guard lock(mutex_);
  return allocated_ - free_.size();
}

std::size_t BufferPool::available() const noexcept {
  std::lock_guard lock(mutex_);
  return capacity_ - allocated_ + free_.size();
}

}  // namespace tuntap
