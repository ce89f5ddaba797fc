// The rtnetlink reply parser over hand-built byte buffers: ACKs, kernel errors with their
// extended-ACK text, dumps, sequence checks, and the link/address/route messages. Damaged input
// (cut short, lengths that lie, wrong attribute sizes) must come back as errc::malformed; ASan and
// UBSan builds check that no byte outside the buffer is read.
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "netlink/netlink_reply.hpp"

namespace {

using tuntap::errc;
using tuntap::IpAddress;
using tuntap::Prefix;
using namespace tuntap::detail::nl;

constexpr std::uint32_t kSeq = 77;
constexpr std::uint32_t kPort = 4242;

// Builds netlink datagrams the way the kernel lays them out: 4-byte aligned headers and attributes.
class Builder {
 public:
  Builder& begin(std::uint16_t type, std::uint16_t flags = 0, std::uint32_t seq = kSeq, std::uint32_t port = kPort) {
    start_ = bytes_.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    h.nlmsg_pid = port;
    return raw(h);
  }
  template <class T>
  Builder& raw(const T& value) {
    append(&value, sizeof value);
    pad();
    return *this;
  }
  Builder& attr(std::uint16_t type, const void* data, std::size_t size) {
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(sizeof a + size);
    a.nla_type = type;
    append(&a, sizeof a);
    append(data, size);
    pad();
    return *this;
  }
  Builder& u8(std::uint16_t type, std::uint8_t v) { return attr(type, &v, 1); }
  Builder& u32(std::uint16_t type, std::uint32_t v) { return attr(type, &v, 4); }
  Builder& str(std::uint16_t type, const std::string& s) { return attr(type, s.c_str(), s.size() + 1); }
  Builder& ip(std::uint16_t type, const char* text) {
    auto a = IpAddress::parse(text);
    return attr(type, a.bytes().data(), a.size());
  }
  std::size_t open_nest(std::uint16_t type) {
    std::size_t at = bytes_.size();
    attr(static_cast<std::uint16_t>(type | NLA_F_NESTED), nullptr, 0);
    return at;
  }
  Builder& close_nest(std::size_t at) {
    auto len = static_cast<std::uint16_t>(bytes_.size() - at);
    std::memcpy(bytes_.data() + at, &len, sizeof len);
    return *this;
  }
  Builder& end() {
    auto len = static_cast<std::uint32_t>(bytes_.size() - start_);
    std::memcpy(bytes_.data() + start_, &len, sizeof len);
    return *this;
  }
  std::vector<std::byte>& bytes() { return bytes_; }
  Bytes span() const { return bytes_; }

 private:
  void append(const void* data, std::size_t size) {
    auto* p = static_cast<const std::byte*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  void pad() {
    while (bytes_.size() % 4 != 0) bytes_.push_back(std::byte{0});
  }
  std::vector<std::byte> bytes_;
  std::size_t start_ = 0;
};

// An NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK (and NETLINK_EXT_ACK when text is given).
Builder error_reply(int error, const std::string& text = {}, bool capped = true) {
  Builder b;
  std::uint16_t flags = capped ? NLM_F_CAPPED : 0;
  if (!text.empty()) flags |= NLM_F_ACK_TLVS;
  b.begin(NLMSG_ERROR, flags);
  nlmsgerr err{};
  err.error = error;
  err.msg.nlmsg_type = RTM_NEWADDR;
  err.msg.nlmsg_seq = kSeq;
  err.msg.nlmsg_pid = kPort;
  if (capped) {
    err.msg.nlmsg_len = 40;
    b.raw(err);
  } else {
    // The echoed request: its header plus 8 bytes of body.
    err.msg.nlmsg_len = sizeof(nlmsghdr) + 8;
    b.raw(err);
    b.raw(std::uint64_t{0x1122334455667788});
  }
  if (!text.empty()) b.str(NLMSGERR_ATTR_MSG, text);
  return std::move(b.end());
}

ReplyStatus process(Bytes bytes, std::vector<Message>* data = nullptr) {
  return process_reply(bytes, kSeq, kPort, [&](const Message& m) {
    if (data) data->push_back(m);
    return std::error_code{};
  });
}

// RTM_NEWLINK for a persistent multi-queue TAP device "tap7" with every attribute the library reads.
Builder tap_link() {
  Builder b;
  b.begin(RTM_NEWLINK);
  ifinfomsg ifi{};
  ifi.ifi_index = 7;
  ifi.ifi_flags = IFF_UP | IFF_RUNNING | 0x10000;  // 0x10000: IFF_LOWER_UP (carrier)
  ifi.ifi_type = 1;                                // ARPHRD_ETHER
  b.raw(ifi);
  b.u32(IFLA_MASTER, 4);
  // rtnl_link_stats64 as a recent kernel sends it: the eight counters read, then more.
  std::array<std::uint64_t, 24> stats{};
  for (std::size_t i = 0; i < stats.size(); ++i) stats[i] = 100 + i;
  b.attr(IFLA_STATS64, stats.data(), sizeof stats);
  b.str(IFLA_IFNAME, "tap7").u32(IFLA_MTU, 1400).u32(IFLA_MIN_MTU, 68).u32(IFLA_MAX_MTU, 65521);
  b.u32(IFLA_TXQLEN, 500).u8(IFLA_OPERSTATE, 6);
  std::uint8_t mac[6] = {0x02, 0, 0x5e, 0x10, 0, 1};
  b.attr(IFLA_ADDRESS, mac, sizeof mac);
  auto info = b.open_nest(IFLA_LINKINFO);
  b.str(IFLA_INFO_KIND, "tun");
  auto data = b.open_nest(IFLA_INFO_DATA);
  b.u8(IFLA_TUN_TYPE, IFF_TAP).u8(IFLA_TUN_PI, 0).u8(IFLA_TUN_VNET_HDR, 1).u8(IFLA_TUN_PERSIST, 1);
  b.u8(IFLA_TUN_MULTI_QUEUE, 1).u32(IFLA_TUN_NUM_QUEUES, 2).u32(IFLA_TUN_NUM_DISABLED_QUEUES, 1);
  b.u32(IFLA_TUN_OWNER, 1000);
  b.close_nest(data);
  b.close_nest(info);
  return std::move(b.end());
}

Message only_message(Bytes bytes) {
  Message out;
  int count = 0;
  EXPECT_FALSE(for_each_message(bytes, [&](const Message& m) {
    out = m;
    ++count;
    return std::error_code{};
  }));
  EXPECT_EQ(count, 1);
  return out;
}

TEST(NetlinkReply, AckFinishesTheRequestWithoutError) {
  auto reply = error_reply(0);
  auto status = process(reply.span());
  EXPECT_TRUE(status.finished);
  EXPECT_FALSE(status.ec);
  EXPECT_TRUE(status.kernel_message.empty());
}

TEST(NetlinkReply, KernelErrorCarriesErrnoAndExtendedAckText) {
  auto reply = error_reply(-EINVAL, "ipv4: Invalid prefix length\n");
  auto status = process(reply.span());
  EXPECT_TRUE(status.finished);
  EXPECT_EQ(status.ec, errc::invalid_argument);
  EXPECT_EQ(status.kernel_message, "ipv4: Invalid prefix length");
}

TEST(NetlinkReply, ExtendedAckFollowsAnEchoedRequestWhenNotCapped) {
  auto reply = error_reply(-EEXIST, "Address already assigned", false);
  auto status = process(reply.span());
  EXPECT_EQ(status.ec, errc::already_exists);
  EXPECT_EQ(status.kernel_message, "Address already assigned");
}

TEST(NetlinkReply, EchoedLengthPastTheEndKeepsTheErrnoAndDropsTheText) {
  auto reply = error_reply(-EEXIST, "text", false);
  // The echoed header (after the 4-byte error) claims a request far larger than what is there.
  std::uint32_t huge = 0xfffffff0;
  std::memcpy(reply.bytes().data() + sizeof(nlmsghdr) + sizeof(int), &huge, sizeof huge);
  auto status = process(reply.span());
  EXPECT_TRUE(status.finished);
  EXPECT_EQ(status.ec, errc::already_exists);
  EXPECT_TRUE(status.kernel_message.empty());
}

TEST(NetlinkReply, ExtendedAckTextWithoutTerminatorStopsAtTheAttribute) {
  Builder b;
  b.begin(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
  nlmsgerr err{};
  err.error = -ENODEV;
  b.raw(err);
  b.attr(NLMSGERR_ATTR_MSG, "abcdefg", 7);  // no NUL: padding supplies one byte, the text stops at 7
  b.end();
  auto status = process(b.span());
  EXPECT_EQ(status.ec, errc::not_found);
  EXPECT_EQ(status.kernel_message, "abcdefg");
}

TEST(NetlinkReply, ErrorMessageShorterThanNlmsgerrIsMalformed) {
  Builder b;
  b.begin(NLMSG_ERROR).raw(std::int32_t{-EINVAL}).end();
  auto status = process(b.span());
  EXPECT_TRUE(status.finished);
  EXPECT_EQ(status.ec, errc::malformed);
}

TEST(NetlinkReply, ErrnoOutsideTheKernelRangeIsMalformed) {
  for (int bad : {1, 5000, -5000}) {
    auto reply = error_reply(bad);
    EXPECT_EQ(process(reply.span()).ec, errc::malformed) << bad;
  }
}

TEST(NetlinkReply, ReplyToAnotherRequestIsRejected) {
  Builder other_seq;
  other_seq.begin(NLMSG_ERROR, 0, kSeq + 1).raw(nlmsgerr{}).end();
  EXPECT_EQ(process(other_seq.span()).ec, errc::malformed);
  Builder other_port;
  other_port.begin(NLMSG_ERROR, 0, kSeq, kPort + 1).raw(nlmsgerr{}).end();
  EXPECT_EQ(process(other_port.span()).ec, errc::malformed);
}

TEST(NetlinkReply, DumpDeliversEveryMessageAndEndsAtDone) {
  Builder b;
  b.bytes() = tap_link().bytes();
  auto second = tap_link();
  b.bytes().insert(b.bytes().end(), second.bytes().begin(), second.bytes().end());
  auto first_part = process(b.span());
  EXPECT_FALSE(first_part.finished);  // more datagrams to come
  EXPECT_FALSE(first_part.ec);

  Builder done;
  done.begin(NLMSG_DONE, NLM_F_MULTI).raw(std::int32_t{0}).end();
  std::vector<Message> data;
  auto status = process(done.span(), &data);
  EXPECT_TRUE(status.finished);
  EXPECT_FALSE(status.ec);
  EXPECT_TRUE(data.empty());

  std::vector<Message> all;
  b.bytes().insert(b.bytes().end(), done.bytes().begin(), done.bytes().end());
  EXPECT_FALSE(process(b.span(), &all).ec);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, RTM_NEWLINK);
}

TEST(NetlinkReply, DumpInterruptedByAnErrorReportsIt) {
  Builder done;
  done.begin(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS)
      .raw(std::int32_t{-ENOBUFS})
      .str(NLMSGERR_ATTR_MSG, "dump failed")
      .end();
  auto status = process(done.span());
  EXPECT_TRUE(status.finished);
  EXPECT_EQ(status.ec, errc::exhausted);
  EXPECT_EQ(status.kernel_message, "dump failed");
}

TEST(NetlinkReply, AnythingAfterTheEndIsMalformed) {
  auto reply = error_reply(0);
  auto more = error_reply(0);
  reply.bytes().insert(reply.bytes().end(), more.bytes().begin(), more.bytes().end());
  EXPECT_EQ(process(reply.span()).ec, errc::malformed);
}

TEST(NetlinkReply, HeaderLengthsThatLieAreMalformed) {
  auto reply = error_reply(0);
  auto set_len = [&](std::uint32_t len) {
    auto copy = reply.bytes();
    std::memcpy(copy.data(), &len, sizeof len);
    return copy;
  };
  for (std::uint32_t len : {0u, 15u, static_cast<std::uint32_t>(reply.bytes().size() + 1), 0xffffffffu}) {
    auto bytes = set_len(len);
    EXPECT_EQ(process(bytes).ec, errc::malformed) << len;
  }
  // Trailing bytes too few for another header.
  auto bytes = reply.bytes();
  bytes.resize(bytes.size() + 8);
  EXPECT_EQ(process(bytes).ec, errc::malformed);
}

TEST(NetlinkReply, EveryTruncationOfAReplyIsMalformedNotAnOverRead) {
  auto link = tap_link();
  const auto& full = link.bytes();
  for (std::size_t n = 1; n < full.size(); ++n) {
    // Copied to a buffer of exactly n bytes so that ASan catches any read beyond it.
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(process(cut).ec, errc::malformed) << n;
  }
}

TEST(NetlinkReply, EveryCutInsideTheAttributesIsMalformed) {
  auto link = tap_link();
  const auto& full = link.bytes();
  std::size_t attrs_start = sizeof(nlmsghdr) + sizeof(ifinfomsg);
  // Cuts that leave whole attributes (the end of one, up to its padding) are shorter valid messages.
  std::set<std::size_t> whole;
  for (std::size_t at = attrs_start; at < full.size();) {
    std::uint16_t len;
    std::memcpy(&len, full.data() + at, sizeof len);
    for (std::size_t end = at + len; end <= at + ((len + 3u) & ~3u); ++end) whole.insert(end);
    at += (len + 3u) & ~3u;
  }
  int malformed = 0;
  for (std::size_t n = attrs_start + 1; n < full.size(); ++n) {
    // A consistent header (nlmsg_len = n) over attributes cut at byte n.
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto len = static_cast<std::uint32_t>(n);
    std::memcpy(cut.data(), &len, sizeof len);
    tuntap::netlink::LinkInfo info;
    auto ec = parse_link(only_message(cut), info);
    if (whole.count(n)) {
      EXPECT_FALSE(ec) << n;
    } else {
      EXPECT_EQ(ec, errc::malformed) << n;
      ++malformed;
    }
  }
  EXPECT_GT(malformed, 50);
}

TEST(NetlinkParse, LinkMessageGivesEveryField) {
  auto link = tap_link();
  tuntap::netlink::LinkInfo info;
  ASSERT_FALSE(parse_link(only_message(link.span()), info));
  EXPECT_EQ(info.index, 7u);
  EXPECT_EQ(info.name, "tap7");
  EXPECT_TRUE(info.up());
  EXPECT_TRUE(info.running());
  EXPECT_EQ(info.operstate, 6);
  EXPECT_EQ(info.mtu, 1400u);
  EXPECT_EQ(info.min_mtu, 68u);
  EXPECT_EQ(info.max_mtu, 65521u);
  EXPECT_EQ(info.txqueuelen, 500u);
  EXPECT_EQ(info.hardware_address, (std::vector<std::uint8_t>{0x02, 0, 0x5e, 0x10, 0, 1}));
  EXPECT_EQ(info.kind, "tun");
  ASSERT_TRUE(info.tun);
  EXPECT_EQ(info.tun->mode, tuntap::Mode::tap);
  EXPECT_FALSE(info.tun->packet_info);
  EXPECT_TRUE(info.tun->vnet_hdr);
  EXPECT_TRUE(info.tun->persist);
  EXPECT_TRUE(info.tun->multi_queue);
  EXPECT_EQ(info.tun->queues, 2u);
  EXPECT_EQ(info.tun->disabled_queues, 1u);
  EXPECT_EQ(info.tun->owner, std::optional<uid_t>(1000));
  EXPECT_FALSE(info.tun->group);
  EXPECT_EQ(info.link_type, 1);
  EXPECT_EQ(info.master, 4u);
  ASSERT_TRUE(info.stats);
  EXPECT_EQ(*info.stats, (tuntap::netlink::LinkStats{.rx_packets = 100,
                                                     .tx_packets = 101,
                                                     .rx_bytes = 102,
                                                     .tx_bytes = 103,
                                                     .rx_errors = 104,
                                                     .tx_errors = 105,
                                                     .rx_dropped = 106,
                                                     .tx_dropped = 107}));
}

TEST(NetlinkParse, UpButNotRunningIsNotOperationallyUp) {
  Builder b;
  b.begin(RTM_NEWLINK);
  ifinfomsg ifi{};
  ifi.ifi_index = 3;
  ifi.ifi_flags = IFF_UP;  // a TUN device nobody holds open: NO-CARRIER
  b.raw(ifi).str(IFLA_IFNAME, "tun0").end();
  tuntap::netlink::LinkInfo info;
  ASSERT_FALSE(parse_link(only_message(b.span()), info));
  EXPECT_TRUE(info.up());
  EXPECT_FALSE(info.running());
  EXPECT_FALSE(info.tun);
  EXPECT_TRUE(info.hardware_address.empty());
}

Builder link_with(const std::function<void(Builder&)>& attrs, int index = 3) {
  Builder b;
  b.begin(RTM_NEWLINK);
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  b.raw(ifi);
  attrs(b);
  return std::move(b.end());
}

TEST(NetlinkParse, LinkAttributesOfTheWrongShapeAreMalformed) {
  std::vector<std::pair<const char*, std::function<void(Builder&)>>> cases = {
      {"2-byte MTU",
       [](Builder& b) {
         std::uint16_t v = 1500;
         b.attr(IFLA_MTU, &v, 2);
       }},
      {"8-byte txqueuelen",
       [](Builder& b) {
         std::uint64_t v = 1;
         b.attr(IFLA_TXQLEN, &v, 8);
       }},
      {"empty name", [](Builder& b) { b.attr(IFLA_IFNAME, "", 1); }},
      {"56-byte stats64",
       [](Builder& b) {
         std::array<std::uint64_t, 7> v{};
         b.attr(IFLA_STATS64, v.data(), sizeof v);
       }},
      {"68-byte stats64",
       [](Builder& b) {
         std::array<std::uint8_t, 68> v{};
         b.attr(IFLA_STATS64, v.data(), v.size());
       }},
      {"2-byte master",
       [](Builder& b) {
         std::uint16_t v = 1;
         b.attr(IFLA_MASTER, &v, 2);
       }},
      {"16-char name", [](Builder& b) { b.str(IFLA_IFNAME, "abcdefghijklmnop"); }},
      {"33-byte address",
       [](Builder& b) {
         std::array<std::uint8_t, 33> a{};
         b.attr(IFLA_ADDRESS, a.data(), a.size());
       }},
      {"tun type 3",
       [](Builder& b) {
         auto info = b.open_nest(IFLA_LINKINFO);
         b.str(IFLA_INFO_KIND, "tun");
         auto data = b.open_nest(IFLA_INFO_DATA);
         b.u8(IFLA_TUN_TYPE, 3);
         b.close_nest(data);
         b.close_nest(info);
       }},
      {"4-byte tun flag",
       [](Builder& b) {
         auto info = b.open_nest(IFLA_LINKINFO);
         b.str(IFLA_INFO_KIND, "tun");
         auto data = b.open_nest(IFLA_INFO_DATA);
         b.u32(IFLA_TUN_PERSIST, 1);
         b.close_nest(data);
         b.close_nest(info);
       }},
  };
  for (auto& [what, fill] : cases) {
    auto b = link_with(fill);
    tuntap::netlink::LinkInfo info;
    EXPECT_EQ(parse_link(only_message(b.span()), info), errc::malformed) << what;
  }
  auto negative = link_with([](Builder&) {}, -1);
  tuntap::netlink::LinkInfo info;
  EXPECT_EQ(parse_link(only_message(negative.span()), info), errc::malformed);
}

TEST(NetlinkParse, AttributeLengthsThatLieAreMalformed) {
  auto b = link_with([](Builder& x) { x.u32(IFLA_MTU, 1500); });
  std::size_t at = sizeof(nlmsghdr) + sizeof(ifinfomsg);
  for (std::uint16_t bad : {std::uint16_t{0}, std::uint16_t{3}, std::uint16_t{9}, std::uint16_t{0xffff}}) {
    auto copy = b.bytes();
    std::memcpy(copy.data() + at, &bad, sizeof bad);
    tuntap::netlink::LinkInfo info;
    EXPECT_EQ(parse_link(only_message(copy), info), errc::malformed) << bad;
  }
}

TEST(NetlinkParse, NestedAndUnknownAttributesAreHandled) {
  // Type bits carry NLA_F_NESTED; types beyond the table are skipped, not stored out of bounds.
  Builder b;
  b.u32(static_cast<std::uint16_t>(2 | NLA_F_NET_BYTEORDER), 9).u32(500, 1).u8(1, 4);
  std::array<std::optional<Bytes>, 4> table;
  ASSERT_FALSE(collect_attributes(b.span(), table));
  ASSERT_TRUE(table[2]);
  EXPECT_EQ(table[2]->size(), 4u);
  ASSERT_TRUE(table[1]);
  EXPECT_EQ(table[1]->size(), 1u);
  EXPECT_FALSE(table[3]);
}

TEST(NetlinkParse, ParsesFromAnUnalignedBuffer) {
  auto link = tap_link();
  std::vector<std::byte> shifted(link.bytes().size() + 1);
  std::memcpy(shifted.data() + 1, link.bytes().data(), link.bytes().size());
  tuntap::netlink::LinkInfo info;
  ASSERT_FALSE(parse_link(only_message(Bytes(shifted).subspan(1)), info));
  EXPECT_EQ(info.mtu, 1400u);
  EXPECT_EQ(info.tun->queues, 2u);
}

Builder address(std::uint8_t family, std::uint8_t prefixlen, const std::function<void(Builder&)>& attrs) {
  Builder b;
  b.begin(RTM_NEWADDR);
  ifaddrmsg ifa{};
  ifa.ifa_family = family;
  ifa.ifa_prefixlen = prefixlen;
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_flags = IFA_F_PERMANENT;
  ifa.ifa_index = 5;
  b.raw(ifa);
  attrs(b);
  return std::move(b.end());
}

TEST(NetlinkParse, AddressesWithAndWithoutPeers) {
  std::optional<tuntap::netlink::Address> a;
  auto v4 = address(AF_INET, 24, [](Builder& b) { b.ip(IFA_ADDRESS, "10.0.0.1").ip(IFA_LOCAL, "10.0.0.1"); });
  ASSERT_FALSE(parse_address(only_message(v4.span()), a));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->prefix, Prefix::parse("10.0.0.1/24"));
  EXPECT_FALSE(a->peer);
  EXPECT_EQ(a->index, 5u);
  EXPECT_EQ(a->flags, static_cast<std::uint32_t>(IFA_F_PERMANENT));

  auto p2p = address(AF_INET, 32, [](Builder& b) { b.ip(IFA_ADDRESS, "10.1.0.2").ip(IFA_LOCAL, "10.1.0.1"); });
  ASSERT_FALSE(parse_address(only_message(p2p.span()), a));
  EXPECT_EQ(a->prefix, Prefix::parse("10.1.0.1/32"));
  EXPECT_EQ(a->peer, IpAddress::parse("10.1.0.2"));

  auto v6 = address(AF_INET6, 64,
                    [](Builder& b) { b.ip(IFA_ADDRESS, "fd00::1").u32(IFA_FLAGS, 0x200 | IFA_F_PERMANENT); });
  ASSERT_FALSE(parse_address(only_message(v6.span()), a));
  EXPECT_EQ(a->prefix, Prefix::parse("fd00::1/64"));
  EXPECT_FALSE(a->peer);
  EXPECT_EQ(a->flags, 0x200u | IFA_F_PERMANENT);  // IFA_FLAGS holds bits beyond the 8 of ifa_flags
}

TEST(NetlinkParse, AddressesThatDoNotFitTheirFamilyAreMalformed) {
  std::optional<tuntap::netlink::Address> a;
  auto too_long = address(AF_INET, 33, [](Builder& b) { b.ip(IFA_ADDRESS, "10.0.0.1"); });
  EXPECT_EQ(parse_address(only_message(too_long.span()), a), errc::malformed);
  auto wrong_size = address(AF_INET, 24, [](Builder& b) { b.ip(IFA_ADDRESS, "fd00::1"); });
  EXPECT_EQ(parse_address(only_message(wrong_size.span()), a), errc::malformed);
  auto none = address(AF_INET6, 64, [](Builder&) {});
  EXPECT_EQ(parse_address(only_message(none.span()), a), errc::malformed);
  EXPECT_FALSE(a);
  // Another family is not an error, just not ours.
  auto other = address(AF_PACKET, 0, [](Builder&) {});
  EXPECT_FALSE(parse_address(only_message(other.span()), a));
  EXPECT_FALSE(a);
}

Builder route(std::uint8_t family, std::uint8_t dst_len, const std::function<void(Builder&)>& attrs) {
  Builder b;
  b.begin(RTM_NEWROUTE);
  rtmsg rtm{};
  rtm.rtm_family = family;
  rtm.rtm_dst_len = dst_len;
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_type = RTN_UNICAST;
  b.raw(rtm);
  attrs(b);
  return std::move(b.end());
}

TEST(NetlinkParse, Routes) {
  std::optional<tuntap::netlink::Route> r;
  auto via = route(AF_INET, 16, [](Builder& b) {
    b.ip(RTA_DST, "10.6.0.0").ip(RTA_GATEWAY, "10.0.0.2").u32(RTA_PRIORITY, 5).u32(RTA_TABLE, 1000).u32(RTA_OIF, 4);
  });
  ASSERT_FALSE(parse_route(only_message(via.span()), r));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->destination, Prefix::parse("10.6.0.0/16"));
  EXPECT_EQ(r->gateway, IpAddress::parse("10.0.0.2"));
  EXPECT_EQ(r->metric, 5u);
  EXPECT_EQ(r->table, 1000u);  // RTA_TABLE wins over the 8-bit rtm_table
  EXPECT_EQ(r->index, 4u);
  EXPECT_EQ(r->protocol, RTPROT_BOOT);

  auto default_v6 = route(AF_INET6, 0, [](Builder& b) { b.u32(RTA_OIF, 4); });
  ASSERT_FALSE(parse_route(only_message(default_v6.span()), r));
  EXPECT_EQ(r->destination, Prefix::parse("::/0"));
  EXPECT_FALSE(r->gateway);

  auto bad = route(AF_INET, 40, [](Builder& b) { b.ip(RTA_DST, "10.6.0.0"); });
  EXPECT_EQ(parse_route(only_message(bad.span()), r), errc::malformed);
  auto short_header = Builder().begin(RTM_NEWROUTE).raw(std::uint32_t{2}).end();
  EXPECT_EQ(parse_route(only_message(short_header.span()), r), errc::malformed);
}

TEST(NetlinkTypes, InterfaceNames) {
  using tuntap::netlink::valid_ifname;
  EXPECT_TRUE(valid_ifname("tun0"));
  EXPECT_TRUE(valid_ifname("a-b_c.d"));
  EXPECT_TRUE(valid_ifname("abcdefghijklmno"));
  EXPECT_FALSE(valid_ifname("abcdefghijklmnop"));
  for (const char* bad : {"", ".", "..", "a/b", "a b", "eth0:1", "tab\there"}) EXPECT_FALSE(valid_ifname(bad)) << bad;
  EXPECT_FALSE(valid_ifname(std::string_view("a\0b", 3)));
}

}  // namespace
