// tuntap::AsyncTun (include/tuntap/asio.hpp) over pipes, no privileges: reads and writes with
// callbacks, futures and coroutines, waits for room, per-operation cancellation, close from another
// thread.
#include <gtest/gtest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "tuntap/asio.hpp"
#include "tuntap/pipe.hpp"

using namespace tuntap;
using namespace std::chrono_literals;

namespace {

// Packets of a few bytes each whose first byte says which they are.
struct Packets {
  explicit Packets(std::size_t n, std::size_t size = 64) : storage(n, std::vector<std::byte>(size)), sizes(n) {
    for (std::size_t i = 0; i < n; ++i) {
      storage[i][0] = static_cast<std::byte>(i);
      bufs.emplace_back(storage[i]);
    }
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<std::span<std::byte>> bufs;
  std::vector<std::size_t> sizes;
};

struct Pipe {
  explicit Pipe(std::size_t capacity = 256) {
    auto ends = make_pipe({.capacity = capacity, .non_blocking = true});
    a = std::move(ends.a);
    b = std::move(ends.b);
  }
  std::shared_ptr<Tun> a, b;
};

}  // namespace

TEST(AsyncTun, AReadWithACallbackCompletesWhenPacketsArrive) {
  Pipe pipe;
  asio::io_context io;
  AsyncTun<> reader(io, pipe.b);
  Packets in(8), out(3);
  std::error_code result{errc::invalid_argument};
  std::size_t count = 0;
  reader.async_read(in.bufs, in.sizes, 0, [&](std::error_code ec, std::size_t n) {
    result = ec;
    count = n;
  });
  asio::steady_timer later(io, 20ms);
  later.async_wait([&](std::error_code) { ASSERT_TRUE(pipe.a->write(out.bufs, 0)); });
  io.run_for(5s);
  EXPECT_FALSE(result) << result.message();
  ASSERT_EQ(count, 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(in.storage[i][0], std::byte(i));
}

TEST(AsyncTun, AReadWithAFutureCompletesFromTheIoThread) {
  Pipe pipe;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  AsyncTun<> reader(io, pipe.b);
  std::thread runner([&] { io.run(); });
  Packets in(4), out(2);
  auto got = reader.async_read(in.bufs, in.sizes, 0, asio::use_future);
  ASSERT_TRUE(pipe.a->write(out.bufs, 0));
  ASSERT_EQ(got.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(got.get(), 2u);
  work.reset();
  io.stop();
  runner.join();
}

// Writes through a pipe of four slots: the writer waits for room again and again, the reader
// drains; every packet arrives once, in order.
TEST(AsyncTun, CoroutinesCarryMorePacketsThanThePipeHoldsInOrder) {
  Pipe pipe(4);
  asio::io_context io;
  AsyncTun<> writer(io, pipe.a), reader(io, pipe.b);
  Packets out(100);
  std::vector<int> seen;
  std::error_code write_error{errc::invalid_argument};
  std::size_t written = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        written = co_await writer.async_write(out.bufs, 0, asio::redirect_error(asio::use_awaitable, write_error));
      },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Packets in(3);
        while (seen.size() < 100) {
          std::size_t n = co_await reader.async_read(in.bufs, in.sizes, 0, asio::use_awaitable);
          for (std::size_t i = 0; i < n; ++i) seen.push_back(std::to_integer<int>(in.storage[i][0]));
        }
      },
      asio::detached);
  io.run_for(10s);
  EXPECT_FALSE(write_error) << write_error.message();
  EXPECT_EQ(written, 100u);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(AsyncTun, ACancelledReadCompletesAbortedAndLosesNothing) {
  Pipe pipe;
  asio::io_context io;
  AsyncTun<> reader(io, pipe.b);
  Packets in(4), out(2);
  asio::cancellation_signal cancel;
  std::error_code result;
  std::size_t count = 99;
  reader.async_read(in.bufs, in.sizes, 0,
                    asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, std::size_t n) {
                      result = ec;
                      count = n;
                    }));
  io.run_for(20ms);
  EXPECT_EQ(count, 99u) << "still waiting";
  cancel.emit(asio::cancellation_type::terminal);
  io.restart();
  io.run_for(1s);
  EXPECT_EQ(result, asio::error::operation_aborted);
  EXPECT_EQ(count, 0u);
  // The next read gets what is written afterwards.
  ASSERT_TRUE(pipe.a->write(out.bufs, 0));
  io.restart();
  auto got = reader.async_read(in.bufs, in.sizes, 0, asio::use_future);
  io.run_for(1s);
  ASSERT_EQ(got.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(got.get(), 2u);
}

TEST(AsyncTun, ACancelledWriteSaysHowManyPacketsItWrote) {
  Pipe pipe(2);
  asio::io_context io;
  AsyncTun<> writer(io, pipe.a);
  Packets out(5);
  asio::cancellation_signal cancel;
  std::error_code result;
  std::size_t count = 99;
  writer.async_write(out.bufs, 0, asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, std::size_t n) {
                       result = ec;
                       count = n;
                     }));
  io.run_for(20ms);
  EXPECT_EQ(count, 99u) << "waiting for room after two";
  cancel.emit(asio::cancellation_type::terminal);
  io.restart();
  io.run_for(1s);
  EXPECT_EQ(result, asio::error::operation_aborted);
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(pipe.a->write(out.bufs, 0).error, errc::not_ready) << "the pipe is still full: nothing else went";
}

TEST(AsyncTun, CloseFromAnotherThreadCompletesAPendingReadWithClosed) {
  Pipe pipe;
  asio::io_context io;
  AsyncTun<> reader(io, pipe.b);
  Packets in(4);
  std::error_code result;
  reader.async_read(in.bufs, in.sizes, 0, [&](std::error_code ec, std::size_t) { result = ec; });
  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    reader.close();
  });
  auto start = std::chrono::steady_clock::now();
  io.run_for(10s);
  closer.join();
  EXPECT_EQ(result, errc::closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s) << "woken by the close, not by the time limit";
  io.restart();
  auto again = reader.async_read(in.bufs, in.sizes, 0, asio::use_future);
  io.run_for(1s);
  ASSERT_EQ(again.wait_for(0s), std::future_status::ready);
  try {
    again.get();
    ADD_FAILURE() << "a read after close succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::closed);
  }
}

// Several threads run the io_context; the object lives on a strand, as the header asks.
TEST(AsyncTun, OnAStrandWithSeveralThreadsEveryPacketArrivesOnce) {
  Pipe pipe(8);
  asio::io_context io;
  using Strand = asio::strand<asio::io_context::executor_type>;
  auto strand = asio::make_strand(io);
  AsyncTun<Strand> writer(strand, pipe.a), reader(strand, pipe.b);
  Packets out(200);
  std::vector<int> seen;
  std::size_t written = 0;
  writer.async_write(out.bufs, 0, [&](std::error_code, std::size_t n) { written = n; });
  Packets in(5);
  std::function<void(std::error_code, std::size_t)> on_read = [&](std::error_code ec, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) seen.push_back(std::to_integer<int>(in.storage[i][0]));
    if (!ec && seen.size() < 200) reader.async_read(in.bufs, in.sizes, 0, on_read);
  };
  reader.async_read(in.bufs, in.sizes, 0, on_read);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { io.run_for(10s); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(written, 200u);
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(AsyncTun, AnEndpointWithoutReadinessIsRefused) {
  struct Plain final : Tun {
    IoResult read(Buffers, std::span<std::size_t>, std::size_t) noexcept override { return {}; }
    IoResult write(Buffers, std::size_t) noexcept override { return {}; }
    std::size_t batch_size() const noexcept override { return 1; }
    std::size_t mtu() const noexcept override { return 1500; }
    std::string_view name() const noexcept override { return "plain"; }
    void close() noexcept override {}
  };
  asio::io_context io;
  EXPECT_THROW(AsyncTun<>(io, std::make_shared<Plain>()), std::system_error);
}
