// Fixed-size byte buffers reused across the hot path: a bounded, thread-safe pool.
#pragma once

#include <cstddef>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include "tuntap/export.hpp"

namespace tuntap {

class BufferPool;

/// One buffer on loan from a BufferPool. Move-only; goes back to its pool when destroyed or reset.
/// The pool must outlive every buffer it lends.
class TUNTAP_API PooledBuffer {
 public:
  PooledBuffer() noexcept = default;
  ~PooledBuffer() { reset(); }
  /// Takes the buffer over; `other` becomes empty.
  PooledBuffer(PooledBuffer&& other) noexcept;
  /// Returns the held buffer to its pool, then takes `other`'s over.
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;

  /// The buffer's first byte, or nullptr for an empty handle.
  std::byte* data() const noexcept { return data_; }
  /// The buffer's size in bytes (the pool's buffer_size()).
  std::size_t size() const noexcept { return size_; }
  /// The whole buffer.
  std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  /// True when the handle holds a buffer.
  explicit operator bool() const noexcept { return data_ != nullptr; }
  /// Returns the buffer to its pool now; the handle becomes empty.
  void reset() noexcept;

 private:
  friend class BufferPool;
  PooledBuffer(BufferPool* pool, std::byte* data, std::size_t size) noexcept : pool_(pool), data_(data), size_(size) {}
  BufferPool* pool_ = nullptr;
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// At most `capacity` buffers of `buffer_size` bytes each exist at once. Buffers are allocated on
/// first demand (or up front with `preallocate`) and then recycled: once the working set has been
/// allocated, acquire and release never allocate. Any thread may acquire and release.
/// Buffers start on a 64-byte line; buffers of 4096 bytes or more start on a 4096-byte page, which
/// keeps the payload of a super-packet written from one clear of a slow kernel copy
/// (docs/offloads.md, "Buffers for super-packets").
class TUNTAP_API BufferPool {
 public:
  /// buffer_size and capacity must be positive (invalid_argument otherwise); preallocate is
  /// clamped to capacity. Throws tuntap::Error, or std::bad_alloc when preallocation fails.
  BufferPool(std::size_t buffer_size, std::size_t capacity, std::size_t preallocate = 0);
  /// Frees the buffers. Every loan must have been returned (a debug build asserts it).
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  /// One buffer, or an empty handle with errc::exhausted when `capacity` are on loan (or memory
  /// ran out). Never throws.
  PooledBuffer acquire(std::error_code& ec) noexcept;
  /// acquire(ec) without the reason: an empty handle when none is available.
  PooledBuffer acquire() noexcept {
    std::error_code ignored;
    return acquire(ignored);
  }
  /// Fills out[0..k) with k buffers under one lock, k as many as are available; returns k.
  /// Handles in `out` that already hold a buffer are returned first.
  std::size_t acquire(std::span<PooledBuffer> out) noexcept;

  /// The size of every buffer, in bytes.
  std::size_t buffer_size() const noexcept { return buffer_size_; }
  /// Buffers the pool lends at most at once.
  std::size_t capacity() const noexcept { return capacity_; }
  /// Buffers allocated so far (on loan or free); never exceeds capacity().
  std::size_t allocated() const noexcept;
  /// Buffers on loan now.
  std::size_t in_use() const noexcept;
  /// Buffers one could still acquire: free ones plus those not yet allocated.
  std::size_t available() const noexcept;

 private:
  friend class PooledBuffer;
  void release(std::byte* data) noexcept;
  std::byte* take_locked() noexcept;

  const std::size_t buffer_size_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<std::byte*> free_;  ///< reserved to capacity: pushing back never allocates
  std::size_t allocated_ = 0;
};

}  // namespace tuntap
