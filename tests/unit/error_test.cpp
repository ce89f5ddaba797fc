#include <gtest/gtest.h>

#include <cerrno>

#include "tuntap/error.hpp"

using namespace tuntap;

TEST(Error, NamedCodesCompareWithPortableConditions) {
  std::error_code ec = errc::permission_denied;
  EXPECT_EQ(ec.category().name(), std::string("tuntap"));
  EXPECT_EQ(ec, std::errc::operation_not_permitted);
  EXPECT_EQ(std::error_code(errc::busy), std::errc::device_or_resource_busy);
  EXPECT_EQ(std::error_code(errc::not_ready), std::errc::resource_unavailable_try_again);
  EXPECT_NE(std::error_code(errc::closed), std::errc::operation_not_permitted);
}

TEST(Error, ErrnoMapsToNamedCodes) {
  EXPECT_EQ(errno_code(EPERM), errc::permission_denied);
  EXPECT_EQ(errno_code(EACCES), errc::permission_denied);
  EXPECT_EQ(errno_code(EBUSY), errc::busy);
  EXPECT_EQ(errno_code(EAGAIN), errc::not_ready);
  EXPECT_EQ(errno_code(EBADFD), errc::device_gone);
  EXPECT_EQ(errno_code(EINVAL), errc::invalid_argument);
  EXPECT_EQ(errno_code(ESRCH), errc::not_found);
  EXPECT_EQ(errno_code(EADDRNOTAVAIL), errc::not_found);
  auto other = errno_code(ENOENT);
  EXPECT_EQ(other.category(), std::system_category());
  EXPECT_EQ(other.value(), ENOENT);
}

TEST(Error, MessagesSayWhatFailedAndWhatToDo) {
  Error e(errc::permission_denied, "TUNSETIFF tun%d", "needs CAP_NET_ADMIN");
  EXPECT_STREQ(e.what(), "TUNSETIFF tun%d: Operation not permitted (needs CAP_NET_ADMIN)");
  EXPECT_EQ(e.code(), errc::permission_denied);
  EXPECT_NO_THROW(throw_if({}, "nothing"));
  EXPECT_THROW(throw_if(errc::closed, "read"), Error);
  for (int v = 1; v <= static_cast<int>(errc::already_exists); ++v) {
    EXPECT_EQ(category().message(v).find("Unknown"), std::string::npos) << v;
  }
}
