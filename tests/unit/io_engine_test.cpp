// TunOptions::io's words: what the CLI's --io takes and what io_state() is printed as.
#include <gtest/gtest.h>

#include "tuntap/native_tun.hpp"

using namespace tuntap;

TEST(IoEngine, EachEngineReadsBackFromItsWord) {
  for (auto engine : {IoEngine::threads, IoEngine::uring, IoEngine::automatic})
    EXPECT_EQ(io_engine_from(to_string(engine)), engine) << to_string(engine);
  EXPECT_EQ(to_string(IoEngine::threads), "threads");
  EXPECT_EQ(to_string(IoEngine::uring), "uring");
  EXPECT_EQ(to_string(IoEngine::automatic), "auto");
}

TEST(IoEngine, OtherWordsAreRefused) {
  for (const char* word : {"", "automatic", "io_uring", "Threads", "uring ", "thread", "?"})
    EXPECT_FALSE(io_engine_from(word).has_value()) << '"' << word << '"';
}

TEST(IoEngine, ThreadsIsTheDefault) {
  EXPECT_EQ(TunOptions{}.io, IoEngine::threads);
  EXPECT_EQ(IoState{}.engine, IoEngine::threads);
  EXPECT_TRUE(IoState{}.fallback_reason.empty());
}

TEST(IoEngine, AnEngineOutsideTheEnumIsRefusedAtOpen) {
  std::error_code ec;
  EXPECT_EQ(NativeTun::open({.name = "never0", .io = static_cast<IoEngine>(7)}, ec), nullptr);
  EXPECT_EQ(ec, errc::invalid_argument);
}
