// Listener address syntax: "host:port", "[v6]:port", "*:port".
#include "net/endpoint.hpp"

#include <gtest/gtest.h>

namespace mw::net {
namespace {

TEST(ListenerEndpoint, ParsesIpv4Ipv6AndWildcard) {
    auto v4 = parse_endpoint("127.0.0.1:2525");
    ASSERT_TRUE(v4.ok()) << v4.error();
    EXPECT_EQ(v4->port(), 2525);
    EXPECT_TRUE(v4->address().is_v4());
    auto v6 = parse_endpoint("[::1]:25");
    ASSERT_TRUE(v6.ok()) << v6.error();
    EXPECT_TRUE(v6->address().is_v6());
    auto any = parse_endpoint("*:587");
    ASSERT_TRUE(any.ok());
    EXPECT_TRUE(any->address().is_unspecified());
}

TEST(ListenerEndpoint, RefusesBadInputWithTheReason) {
    for (const char* bad :
         {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "[::1:25", "host:25", "127.0.0.1:2x"}) {
        auto r = parse_endpoint(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_NE(r.error().find(bad), std::string::npos) << r.error();
        }
    }
}

}  // namespace
}  // namespace mw::net
