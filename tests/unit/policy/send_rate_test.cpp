// submission.max_messages_per_hour: a sliding one-hour window per login.
#include <gtest/gtest.h>

#include "policy/send_rate.hpp"

namespace mw::policy {
namespace {

using namespace std::chrono_literals;
using Clock = SendRateLimiter::Clock;

TEST(SendRateLimiter, RefusesAtTheLimitUntilTheOldestIsAnHourOld) {
    SendRateLimiter limiter(3);
    const auto t0 = Clock::from_time_t(1'800'000'000);
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(limiter.check("alice@example.test", t0 + i * 1min));
        limiter.record("alice@example.test", t0 + i * 1min);
    }
    auto refused = limiter.check("alice@example.test", t0 + 10min);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->count, 3u);
    EXPECT_EQ(refused->limit, 3u);
    EXPECT_EQ(refused->until, t0 + 1h);
    // Another login has its own window.
    EXPECT_FALSE(limiter.check("bob@example.test", t0 + 10min));
    // Once the first message is an hour old, one more may go.
    EXPECT_TRUE(limiter.check("alice@example.test", t0 + 1h - 1s));
    EXPECT_FALSE(limiter.check("alice@example.test", t0 + 1h));
}

TEST(SendRateLimiter, ZeroMeansNoLimit) {
    SendRateLimiter limiter(0);
    const auto t0 = Clock::from_time_t(1'800'000'000);
    for (int i = 0; i < 1000; ++i) limiter.record("alice@example.test", t0);
    EXPECT_FALSE(limiter.check("alice@example.test", t0));
}

}  // namespace
}  // namespace mw::policy
