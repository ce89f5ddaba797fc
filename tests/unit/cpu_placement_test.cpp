#include "cpu_placement.hpp"

#include <gtest/gtest.h>

#include "tuntap/error.hpp"

using tuntap::cli::CpuChoice;
using tuntap::cli::place_queue_pairs;
using Placement = std::vector<std::vector<unsigned>>;

TEST(CpuChoice, ParsesAutoAnyAndLists) {
  EXPECT_EQ(CpuChoice::parse("auto").kind, CpuChoice::Kind::automatic);
  EXPECT_EQ(CpuChoice::parse("any").kind, CpuChoice::Kind::any);
  auto one = CpuChoice::parse("3");
  EXPECT_EQ(one.kind, CpuChoice::Kind::list);
  EXPECT_EQ(one.list, (std::vector<unsigned>{3}));
  EXPECT_EQ(CpuChoice::parse("0,2,5").list, (std::vector<unsigned>{0, 2, 5}));
}

TEST(CpuChoice, RefusesAnythingElseNamingTheText) {
  for (const char* bad : {"", "all", "0,", ",1", "1,,2", "-1", "0-3", "1 2", "99999999999"}) {
    try {
      CpuChoice::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const tuntap::Error& e) {
      EXPECT_EQ(e.code(), tuntap::errc::invalid_argument) << bad;
      EXPECT_NE(std::string(e.what()).find(std::string("--cpus '") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(PlaceQueuePairs, AutoPutsBothThreadsOfEachPassthroughQueueOnOneAllowedCpuInTurn) {
  const std::vector<unsigned> allowed{2, 3, 6};
  EXPECT_EQ(place_queue_pairs({}, true, 1, allowed), (Placement{{2}}));
  EXPECT_EQ(place_queue_pairs({}, true, 4, allowed), (Placement{{2}, {3}, {6}, {2}}));
}

TEST(PlaceQueuePairs, AutoPinsNothingOutsidePassthroughOrWhenTheAllowedSetIsUnknown) {
  EXPECT_EQ(place_queue_pairs({}, false, 2, {0, 1}), (Placement{{}, {}}));
  EXPECT_EQ(place_queue_pairs({}, true, 2, {}), (Placement{{}, {}}));
}

TEST(PlaceQueuePairs, AnyPinsNothingAndAListIsGivenToEveryQueue) {
  EXPECT_EQ(place_queue_pairs(CpuChoice::parse("any"), true, 2, {0, 1}), (Placement{{}, {}}));
  EXPECT_EQ(place_queue_pairs(CpuChoice::parse("1,0"), false, 2, {0, 1}), (Placement{{1, 0}, {1, 0}}));
  EXPECT_EQ(place_queue_pairs(CpuChoice::parse("7"), true, 1, {0, 1}), (Placement{{7}}))
      << "a CPU outside the allowed set is the forwarder's to refuse, with its own message";
}
