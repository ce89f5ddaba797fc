// The command line as `ip` users expect it: -n NS on every subcommand, -j JSON whose every line a
// strict reader accepts, with ip's keys where the concept is ip's and snake_case everywhere, and rate
// lines that reach a log (a pipe) at the --interval asked.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/netns.hpp"

using namespace std::chrono_literals;
using tuntap::test::must;
using tuntap::test::sh;
using tuntap::test::wait_for_link;

namespace {

const std::string cli = TUNTAP_CLI;

class CliJson : public tuntap::test::NetnsTest {};

// Python's json module, strict (no NaN or Infinity), checks `output` line by line: each non-empty
// line one JSON value, every key at every depth snake_case, and each top-level object (or each
// object of a top-level array) holding the `required` keys. Returns "" or what was wrong.
std::string check_json_lines(const std::string& output, const std::string& required) {
  static int n = 0;
  auto path = "/tmp/tuntap-json-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".txt";
  { std::ofstream(path) << output; }
  const char* script = R"PY(
import json, re, sys
need = [k for k in sys.argv[2].split(",") if k]
def bad(c): raise ValueError("not JSON: " + c)
def keys(v, where):
    if isinstance(v, dict):
        for k, x in v.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", k): sys.exit("key %r is not snake_case in %s" % (k, where))
            keys(x, where)
    elif isinstance(v, list):
        for x in v: keys(x, where)
lines = [l for l in open(sys.argv[1]).read().split("\n") if l]
if not lines: sys.exit("no lines")
for line in lines:
    try:
        v = json.loads(line, parse_constant=bad)
    except ValueError as e:
        sys.exit("%s: %s" % (e, line))
    keys(v, line)
    for o in (v if isinstance(v, list) else [v]):
        if not isinstance(o, dict): sys.exit("not an object: " + line)
        missing = [k for k in need if k not in o]
        if missing: sys.exit("missing %s in %s" % (missing, line))
)PY";
  auto r = sh("python3 -c '" + std::string(script) + "' " + path + " '" + required + "'");
  ::unlink(path.c_str());
  return r.status == 0 ? "" : r.output;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

TEST_F(CliJson, CreateShowAndDeleteWorkInANamedNamespace) {
  tuntap::test::NamedNetns ns("cli-n");
  auto created = must(cli + " create -n " + ns.name() + " nt0 --addr 10.31.0.1/24 --up -j");
  EXPECT_EQ(check_json_lines(created, "ifname,ifindex,persist"), "") << created;
  EXPECT_NE(created.find(R"("ifname":"nt0")"), std::string::npos) << created;
  EXPECT_EQ(sh("ip link show nt0").status, 1) << "not here: in the namespace";
  EXPECT_EQ(sh("ip -n " + ns.name() + " link show nt0").status, 0) << "persistent, as ip tuntap add makes it";

  auto shown = must(cli + " show --netns " + ns.name() + " -j");
  EXPECT_EQ(check_json_lines(shown, "ifindex,ifname,flags,mtu,txqlen,operstate,link_type,linkinfo,addr_info"), "")
      << shown;
  EXPECT_NE(shown.find(R"("local":"10.31.0.1","prefixlen":24)"), std::string::npos) << shown;
  EXPECT_EQ(must(cli + " show -j"), "[]\n") << "the test's own namespace has no device";

  EXPECT_EQ(sh(cli + " delete -n " + ns.name() + " nt0").status, 0);
  EXPECT_NE(sh("ip -n " + ns.name() + " link show nt0").status, 0);
  auto missing = sh(cli + " show -n no-such-ns");
  EXPECT_EQ(missing.status, 1) << missing.output;
  EXPECT_NE(missing.output.find("network namespace 'no-such-ns'"), std::string::npos) << missing.output;
}

TEST_F(CliJson, DumpInANamedNamespacePrintsJsonLinesAndTakesTheDeviceAsAPositional) {
  tuntap::test::NamedNetns ns("cli-d");
  tuntap::test::Process dump("sh -c 'exec " + cli + " dump -n " + ns.name() +
                             " jd0 --addr 10.32.0.1/24 --up --count 2 -j 2>/dev/null'");
  ASSERT_TRUE(wait_for_link("jd0", "ip -n " + ns.name(), true));
  for (int i = 0; i < 50 && sh("kill -0 " + std::to_string(dump.pid())).status == 0; ++i)
    sh(ns.exec("ping -c 1 -W 0.1 10.32.0.2"));
  auto r = dump.wait(5000);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lines_of(r.output).size(), 2u) << r.output;
  EXPECT_EQ(check_json_lines(r.output, "time,bytes,version,protocol,src,dst"), "") << r.output;
}

TEST_F(CliJson, BridgeAndTunnelPrintOnlyJsonLinesWithTheirFields) {
  tuntap::test::NamedNetns h1("cli-b1"), h2("cli-b2");
  // -n places an end given without NETNS/ (the first), the second names its own.
  tuntap::test::Process bridge("sh -c 'exec " + cli + " bridge -n " + h1.name() + " jb1 " + h2.name() +
                               "/jb2 --addr-a 10.33.0.1/24 --addr-b 10.33.0.2/24 -j --interval 0.5 2>/dev/null'");
  ASSERT_TRUE(wait_for_link("jb2", "ip -n " + h2.name(), true));
  ASSERT_TRUE(wait_for_link("jb1", "ip -n " + h1.name(), true));
  EXPECT_EQ(sh(h1.exec("ping -c 4 -i 0.4 -W 2 10.33.0.2")).status, 0);
  bridge.signal(SIGTERM);
  auto b = bridge.wait(5000);
  ASSERT_EQ(b.status, 0) << b.output;
  auto blines = lines_of(b.output);
  EXPECT_GE(blines.size(), 3u) << "rate lines every 0.5 s and the summary:\n" << b.output;
  EXPECT_EQ(check_json_lines(b.output, "jb1_to_jb2,jb2_to_jb1,offload"), "") << b.output;
  EXPECT_EQ(blines.back().rfind(R"({"summary":true,)", 0), 0u) << b.output;
  EXPECT_EQ(b.output.find("note"), std::string::npos) << "structured fields, not prose:\n" << b.output;

  must(h1.exec("ip link set lo up"));
  tuntap::test::Process tunnel("sh -c 'exec " + cli + " tunnel --netns " + h1.name() +
                               " --dev jt0 --listen 127.0.0.1:5601 --peer 127.0.0.1:5602 -j --interval 0.5 "
                               "2>/dev/null'");
  ASSERT_TRUE(wait_for_link("jt0", "ip -n " + h1.name(), true));
  std::this_thread::sleep_for(1300ms);
  tunnel.signal(SIGINT);
  auto t = tunnel.wait(5000);
  ASSERT_EQ(t.status, 0) << t.output;
  EXPECT_GE(lines_of(t.output).size(), 2u) << t.output;
  EXPECT_EQ(check_json_lines(t.output, "to_peer,from_peer,dropped_foreign,dropped_malformed,gso,gro"), "") << t.output;
}

// In a pipe (a log), text rate lines come every --interval; without one, every 10 s, so a short run
// prints none, only the summary.
TEST_F(CliJson, RateLinesReachAPipeAtTheInterval) {
  tuntap::test::NamedNetns h1("cli-r1"), h2("cli-r2");
  auto run = [&](const std::string& extra, const std::string& a, const std::string& b) {
    tuntap::test::Process bridge("sh -c 'exec " + cli + " bridge " + h1.name() + "/" + a + " " + h2.name() + "/" + b +
                                 " " + extra + " 2>&1 | cat'");
    EXPECT_TRUE(wait_for_link(b, "ip -n " + h2.name(), true));
    std::this_thread::sleep_for(2500ms);
    must("pkill -INT -f '^" + cli + " bridge " + h1.name() + "/" + a + " '");
    return bridge.wait(5000);
  };
  auto paced = run("--interval 1", "rp1", "rp2");
  ASSERT_EQ(paced.status, 0) << paced.output;
  std::size_t rate_lines = 0;
  for (const auto& line : lines_of(paced.output)) rate_lines += line.find("kpps") != std::string::npos;
  // 2.5 s at one line a second: two, give or take one for a loaded machine's timing.
  EXPECT_GE(rate_lines, 1u) << paced.output;
  EXPECT_LE(rate_lines, 4u) << paced.output;
  EXPECT_NE(paced.output.find("after "), std::string::npos) << "the summary:\n" << paced.output;

  auto quiet_log = run("", "rq1", "rq2");
  ASSERT_EQ(quiet_log.status, 0) << quiet_log.output;
  rate_lines = 0;
  for (const auto& line : lines_of(quiet_log.output)) rate_lines += line.find("kpps") != std::string::npos;
  EXPECT_EQ(rate_lines, 0u) << quiet_log.output;
}

// The demo tells its steps on stderr and prints one summary object on stdout.
TEST_F(CliJson, DemoPrintsOneJsonSummaryWithEveryStep) {
  tuntap::test::MachineLock demos("demo");  // no other demo makes or sweeps namespaces meanwhile
  auto out = "/tmp/tuntap-demo-json-" + std::to_string(::getpid()) + ".txt";
  auto r = sh("{ " + cli + " demo -j --megabytes 1 2>/dev/null >" + out + "; }");  // sh() adds 2>&1 after
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  const std::string json = text.str();
  ::unlink(out.c_str());
  EXPECT_EQ(r.status, 0) << json;
  EXPECT_EQ(check_json_lines(json, "ok,seconds,capture,results"), "") << json;
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1) << "one line: " << json;
  for (auto step : {"\"step\":\"ping IPv4\",\"ok\":true", "\"step\":\"TCP transfer\",\"ok\":true"})
    EXPECT_NE(json.find(step), std::string::npos) << step << "\n" << json;
  auto at = json.find("\"capture\":\"");
  ASSERT_NE(at, std::string::npos) << json;
  auto capture = json.substr(at + 11, json.find('"', at + 11) - at - 11);
  ASSERT_EQ(capture.rfind("/tmp/tuntap-demo-", 0), 0u) << "in the demo's private directory: " << capture;
  std::filesystem::remove_all(std::filesystem::path(capture).parent_path());
}

TEST_F(CliJson, EverySubcommandTakesNetnsAndEveryOneThatPrintsTakesJson) {
  for (auto sub : {"create", "delete", "show", "dump", "bridge", "tunnel"}) {
    auto help = must(cli + " " + sub + " --help");
    EXPECT_NE(help.find("-n,--netns"), std::string::npos) << sub << "\n" << help;
  }
  for (auto sub : {"create", "show", "dump", "bridge", "tunnel", "demo"}) {
    auto help = must(cli + " " + sub + " --help");
    EXPECT_NE(help.find("-j,--json"), std::string::npos) << sub << "\n" << help;
  }
  // dump's device: a positional or -i; -n is the namespace, as in ip.
  auto dump = must(cli + " dump --help");
  EXPECT_NE(dump.find("-i,--name"), std::string::npos) << dump;
}
