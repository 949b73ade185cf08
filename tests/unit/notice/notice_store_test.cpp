// The notice store: one claim per (account, cause) per interval, kept across reopening (a
// restart), given back by release(), and exactly one winner when claims race.
#include "notice/notice_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "unit/spool/spool_test_util.hpp"

namespace mw::notice {
namespace {

using namespace std::chrono;
const auto kT0 = system_clock::time_point(seconds(1'795'555'085));
const seconds kDay(86400);

TEST(NoticeStore, OneClaimPerAccountAndCausePerInterval) {
    test::TempDir dir;
    NoticeStore store(dir.path() / "notices.sqlite3");
    EXPECT_TRUE(store.claim("alice@example.org", "auth_failed", "R1", kT0, kDay));
    EXPECT_FALSE(store.claim("alice@example.org", "auth_failed", "R2", kT0 + hours(23), kDay));
    EXPECT_FALSE(store.claim("ALICE@Example.ORG", "auth_failed", "R3", kT0 + hours(1), kDay));
    EXPECT_TRUE(store.claim("alice@example.org", "ip_banned", "R4", kT0, kDay));
    EXPECT_TRUE(store.claim("bob@example.org", "auth_failed", "R5", kT0, kDay));
    EXPECT_TRUE(store.claim("alice@example.org", "auth_failed", "R6", kT0 + kDay, kDay));
    EXPECT_EQ(store.last_sent("alice@example.org", "auth_failed"), kT0 + kDay);
    EXPECT_FALSE(store.last_sent("carol@example.org", "auth_failed"));
}

TEST(NoticeStore, AClockSetBackStaysWithinTheInterval) {
    test::TempDir dir;
    NoticeStore store(dir.path() / "notices.sqlite3");
    EXPECT_TRUE(store.claim("alice@example.org", "auth_failed", "R1", kT0, kDay));
    EXPECT_FALSE(store.claim("alice@example.org", "auth_failed", "R2", kT0 - hours(5), kDay));
}

TEST(NoticeStore, ClaimsSurviveReopening) {
    test::TempDir dir;
    {
        NoticeStore store(dir.path() / "notices.sqlite3");
        EXPECT_TRUE(store.claim("alice@example.org", "auth_failed", "R1", kT0, kDay));
    }
    NoticeStore again(dir.path() / "notices.sqlite3");
    EXPECT_FALSE(again.claim("alice@example.org", "auth_failed", "R2", kT0 + hours(2), kDay));
}

TEST(NoticeStore, ReleaseGivesThePreviousClaimBack) {
    test::TempDir dir;
    NoticeStore store(dir.path() / "notices.sqlite3");
    ASSERT_TRUE(store.claim("alice@example.org", "auth_failed", "R1", kT0, kDay));
    store.release("alice@example.org", "auth_failed", kT0);
    EXPECT_FALSE(store.last_sent("alice@example.org", "auth_failed"));
    ASSERT_TRUE(store.claim("alice@example.org", "auth_failed", "R2", kT0 + minutes(1), kDay));
    ASSERT_TRUE(store.claim("alice@example.org", "auth_failed", "R3", kT0 + kDay * 2, kDay));
    store.release("alice@example.org", "auth_failed", kT0 + kDay * 2);
    EXPECT_EQ(store.last_sent("alice@example.org", "auth_failed"), kT0 + minutes(1));
    // Someone else's later claim is not undone by a stale release.
    store.release("alice@example.org", "auth_failed", kT0);
    EXPECT_EQ(store.last_sent("alice@example.org", "auth_failed"), kT0 + minutes(1));
}

TEST(NoticeStore, RacingClaimsFromTwoConnectionsHaveOneWinner) {
    // Two stores on one file stand for two processes sharing a data directory.
    test::TempDir dir;
    NoticeStore a(dir.path() / "notices.sqlite3");
    NoticeStore b(dir.path() / "notices.sqlite3");
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto& store = i % 2 ? a : b;
            if (store.claim("alice@example.org", "auth_failed", "R", kT0 + seconds(i), kDay))
                ++wins;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1);
}

}  // namespace
}  // namespace mw::notice
