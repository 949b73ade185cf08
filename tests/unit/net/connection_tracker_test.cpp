// Concurrent-connection limits (issue #2 part 5): global and per client IP, released by RAII.
#include "net/connection_tracker.hpp"

#include <gtest/gtest.h>

namespace mw::net {
namespace {

TEST(ConnectionLimits, PerIpThenGlobalAndReleasedOnDestruction) {
    ConnectionTracker t(3, 2);
    auto a = t.admit("192.0.2.1", [] {});
    auto b = t.admit("192.0.2.1", [] {});
    EXPECT_EQ(a.refusal, ConnectionTracker::Refusal::None);
    EXPECT_EQ(b.refusal, ConnectionTracker::Refusal::None);
    EXPECT_EQ(t.admit("192.0.2.1", [] {}).refusal, ConnectionTracker::Refusal::PerIp);
    auto c = t.admit("192.0.2.2", [] {});
    EXPECT_EQ(c.refusal, ConnectionTracker::Refusal::None);
    EXPECT_EQ(t.admit("192.0.2.3", [] {}).refusal, ConnectionTracker::Refusal::Global);
    EXPECT_EQ(t.active(), 3u);
    a.slot = ConnectionSlot();  // the connection ends
    EXPECT_EQ(t.active(), 2u);
    EXPECT_EQ(t.admit("192.0.2.1", [] {}).refusal, ConnectionTracker::Refusal::None);
}

TEST(ConnectionLimits, StopAllAsksEveryLiveConnection) {
    ConnectionTracker t(10, 10);
    int asked = 0;
    auto a = t.admit("192.0.2.1", [&] { ++asked; });
    auto b = t.admit("192.0.2.2", [&] { ++asked; });
    EXPECT_EQ(t.stop_all(), 2u);
    EXPECT_EQ(asked, 2);
}

}  // namespace
}  // namespace mw::net
