// The JSON lines of LiveStats (bridge and tunnel --json): each one object that a strict reader
// accepts, keys snake_case, a source named alike in ticks and the summary.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "json_text.hpp"
#include "live_stats.hpp"
#include "system/netlink_json.hpp"

namespace {

using tuntap::cli::LiveStats;
using tuntap::cli::Totals;
using tuntap::test::Json;

// Every key in the object and the objects inside it.
void collect_keys(const Json& value, std::vector<std::string>& keys) {
  if (value.type() != Json::Type::object) return;
  for (const auto& [key, member] : value.members()) {
    keys.push_back(key);
    collect_keys(member, keys);
  }
}

std::vector<std::string> lines_of(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LiveStatsJson, EveryLineIsOneObjectWithSnakeCaseKeys) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  // A note with every character that needs escaping, and the labels bridge and tunnel use.
  const std::string note = "offload \"split\" C:\\ tab\there\nnext \x01";
  {
    LiveStats stats(f, true, 1.0);
    stats.add("to-peer", [] { return Totals{.packets = 3, .bytes = 300, .drops = 1, .errors = 0}; });
    stats.add("tt0->tt1", [] { return Totals{.packets = 5, .bytes = 500, .drops = 0, .errors = 2}; });
    stats.set_note([&] { return note; });
    std::this_thread::sleep_for(std::chrono::milliseconds(1050));  // a tick prints once a second
    stats.tick();
    stats.summary();
  }
  auto lines = lines_of(f);
  std::fclose(f);
  ASSERT_EQ(lines.size(), 2u) << "one tick and the summary";

  std::vector<Json> objects;
  for (const auto& line : lines) {
    try {
      objects.push_back(Json::parse(line));
    } catch (const std::exception& e) {
      FAIL() << e.what() << " in: " << line;
    }
    ASSERT_EQ(objects.back().type(), Json::Type::object) << line;
    std::vector<std::string> keys;
    collect_keys(objects.back(), keys);
    for (const auto& key : keys)
      EXPECT_TRUE(!key.empty() && key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos)
          << key << " in " << line;
  }
  const auto& tick = objects[0];
  const auto& summary = objects[1];
  EXPECT_GE(tick["t"].number(), 1.0);
  EXPECT_EQ(tick["note"].string(), note);
  EXPECT_EQ(summary["summary"].boolean(), true);
  for (const auto* line : {&tick, &summary}) {
    EXPECT_EQ((*line)["to_peer"]["packets"].integer(), 3);
    EXPECT_EQ((*line)["to_peer"]["drops"].integer(), 1);
    EXPECT_EQ((*line)["tt0_to_tt1"]["bytes"].integer(), 500);
    EXPECT_EQ((*line)["tt0_to_tt1"]["errors"].integer(), 2);
  }
}

TEST(LiveStatsJson, LabelsBecomeSnakeCaseKeys) {
  EXPECT_EQ(tuntap::cli::json_key("to-peer"), R"("to_peer")");
  EXPECT_EQ(tuntap::cli::json_key("from-peer"), R"("from_peer")");
  EXPECT_EQ(tuntap::cli::json_key("br1->br2"), R"("br1_to_br2")");
  EXPECT_EQ(tuntap::cli::json_key("a\"b"), R"("a\"b")");
}

// Fields (structured values) take the note's place in JSON; text lines keep the note. Lines come
// at the interval asked, also into a file (a log), not only on a terminal.
TEST(LiveStatsJson, FieldsReplaceTheNoteAndLinesFollowTheInterval) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    LiveStats stats(f, true, 0.2);
    EXPECT_EQ(stats.interval(), 0.2);
    stats.add("a->b", [] { return Totals{.packets = 1}; });
    stats.set_note([] { return std::string("prose"); });
    stats.set_fields([] { return LiveStats::Fields{{"dropped_foreign", "3"}, {"gso", "true"}}; });
    stats.tick();  // too early: nothing
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    stats.tick();
    stats.summary();
  }
  auto lines = lines_of(f);
  std::fclose(f);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& line : lines) {
    auto o = Json::parse(line);
    EXPECT_EQ(o["dropped_foreign"].integer(), 3) << line;
    EXPECT_TRUE(o["gso"].boolean()) << line;
    EXPECT_EQ(line.find("prose"), std::string::npos) << line;
  }
  std::FILE* log = std::tmpfile();
  EXPECT_EQ(LiveStats(log, false).interval(), 10.0) << "a file is not a terminal: a line every 10 s";
  std::fclose(log);
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(tuntap::cli::json_quote("plain"), R"("plain")");
  EXPECT_EQ(tuntap::cli::json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(tuntap::cli::json_quote("t\tn\n\x1f"), R"("t\u0009n\u000a\u001f")");
}

}  // namespace
