#include "config/listen_address.hpp"

#include <gtest/gtest.h>

namespace mw::config {
namespace {

TEST(ListenAddress, AcceptsIpv4Ipv6AndHostNames) {
    auto v4 = parse_listen_address("127.0.0.1:2525");
    ASSERT_TRUE(v4.ok()) << v4.error();
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 2525);
    auto v6 = parse_listen_address("[::1]:65535");
    ASSERT_TRUE(v6.ok()) << v6.error();
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 65535);
    EXPECT_EQ(parse_listen_address("localhost:1")->host, "localhost");
    EXPECT_EQ(parse_listen_address("[::]:25")->host, "::");
}

TEST(ListenAddress, RefusesBadSyntax) {
    for (const char* bad : {"", ":25", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                            "127.0.0.1:+25", "127.0.0.1:25x", "::1:25", "[::1:25", "[127.0.0.1]:25",
                            "[zz::1]:25", "999.0.0.1:25", "bad_host:25", "a..b:25"}) {
        EXPECT_FALSE(parse_listen_address(bad).ok()) << bad;
    }
    EXPECT_EQ(parse_listen_address("[zz::1]:25").error(),
              "'[zz::1]:25': 'zz::1' is not an IPv6 address");
    EXPECT_EQ(parse_listen_address("bad_host:25").error(),
              "'bad_host:25': 'bad_host' is not an IPv4 address or host name");
}

}  // namespace
}  // namespace mw::config
