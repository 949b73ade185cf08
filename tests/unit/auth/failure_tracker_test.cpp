// Tests for auth::FailureTracker (issue #3 part 6): IP threshold in a sliding window, ban expiry
// and escalation, allowlist CIDRs, per-account progressive delay, memory caps, threads.
// Every test drives a fake clock; nothing sleeps.
#include "auth/failure_tracker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mw::auth {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

struct FakeClock {
    std::shared_ptr<std::atomic<std::int64_t>> seconds =
        std::make_shared<std::atomic<std::int64_t>>(1'700'000'000);
    Clock clock() const {
        return [s = seconds] { return TimePoint{std::chrono::seconds(s->load())}; };
    }
    TimePoint now() const { return TimePoint{std::chrono::seconds(seconds->load())}; }
    void advance(std::chrono::seconds d) { *seconds += d.count(); }
};

class BruteForceBan : public ::testing::Test {
protected:
    FakeClock clock;
    FailureOutcome fail_n(FailureTracker& t, const std::string& ip, int n,
                          const std::string& account = "user@example.org") {
        FailureOutcome last;
        for (int i = 0; i < n; ++i) last = t.record_failure(ip, account);
        return last;
    }
};

TEST_F(BruteForceBan, FifthFailureInTenMinutesBansForFifteen) {
    // Issue #3 part 6: default 5 failures in 10 minutes ban the IP for 15 minutes.
    RecordProperty("rfc", "issue-3 6");
    FailureTracker t({}, clock.clock());
    EXPECT_FALSE(fail_n(t, "192.0.2.7", 4).ban_started);
    EXPECT_FALSE(t.check_ip("192.0.2.7").has_value());
    const auto fifth = t.record_failure("192.0.2.7", "user@example.org");
    EXPECT_TRUE(fifth.ban_started);
    ASSERT_TRUE(fifth.banned_until.has_value());
    EXPECT_EQ(*fifth.banned_until, clock.now() + 15min);
    EXPECT_EQ(t.check_ip("192.0.2.7"), clock.now() + 15min);
    EXPECT_FALSE(t.check_ip("192.0.2.8").has_value()) << "a neighbour is not banned";
    const auto during = t.record_failure("192.0.2.7", "user@example.org");
    EXPECT_FALSE(during.ban_started) << "a failure during a ban does not restart it";
    EXPECT_EQ(during.banned_until, clock.now() + 15min);
}

TEST_F(BruteForceBan, WindowSlides) {
    // Failures older than the window no longer count.
    RecordProperty("rfc", "issue-3 6");
    FailureTracker t({}, clock.clock());
    fail_n(t, "192.0.2.7", 4);
    clock.advance(601s);
    EXPECT_FALSE(t.record_failure("192.0.2.7", "a@example.org").ban_started);
    clock.advance(60s);
    fail_n(t, "192.0.2.7", 3);
    EXPECT_FALSE(t.check_ip("192.0.2.7").has_value()) << "4 in the window, want no ban";
    EXPECT_TRUE(t.record_failure("192.0.2.7", "a@example.org").ban_started);
}

TEST_F(BruteForceBan, BanExpires) {
    RecordProperty("rfc", "issue-3 6");
    FailureTracker t({}, clock.clock());
    fail_n(t, "192.0.2.7", 5);
    clock.advance(15min - 1s);
    EXPECT_TRUE(t.check_ip("192.0.2.7").has_value());
    clock.advance(1s);
    EXPECT_FALSE(t.check_ip("192.0.2.7").has_value());
    EXPECT_TRUE(t.list().empty());
}

TEST_F(BruteForceBan, RepeatOffendersDoubleUpToTheCap) {
    // Escalation: 15, 30, 60 ... minutes for bans within 24 h, capped at 24 h; then forgiven.
    RecordProperty("rfc", "issue-3 6");
    BanPolicy policy;
    policy.max_ban = 2h;
    FailureTracker t(policy, clock.clock());
    const std::chrono::seconds want[] = {15min, 30min, 60min, 2h, 2h};
    for (const auto length : want) {
        const auto out = fail_n(t, "2001:db8::1", 5);
        ASSERT_TRUE(out.ban_started);
        EXPECT_EQ(*out.banned_until - clock.now(), length)
            << "got " << (*out.banned_until - clock.now()).count() << ", want " << length.count();
        clock.advance(length);
    }
    clock.advance(25h);
    EXPECT_EQ(*fail_n(t, "2001:db8::1", 5).banned_until - clock.now(), 15min)
        << "after 24 h clean the IP starts over";
}

TEST_F(BruteForceBan, AllowlistCidrV4AndV6NeverBanned) {
    // Issue #3: a configurable allowlist is never banned; loopback is not exempt by default.
    RecordProperty("rfc", "issue-3 6");
    BanPolicy policy;
    policy.allowlist = {"198.51.100.0/24", "2001:db8:aa::/48"};
    FailureTracker t(policy, clock.clock());
    for (const char* ip : {"198.51.100.200", "::ffff:198.51.100.9", "2001:db8:aa:ffff::1"}) {
        EXPECT_FALSE(fail_n(t, ip, 20).ban_started) << ip;
        EXPECT_FALSE(t.check_ip(ip).has_value()) << ip;
        EXPECT_FALSE(t.ban(ip, clock.now() + 1h, "manual")) << ip;
    }
    for (const char* ip : {"198.51.101.1", "2001:db8:ab::1", "127.0.0.1", "::1"}) {
        EXPECT_TRUE(fail_n(t, ip, 5).ban_started) << ip << " is outside the allowlist";
    }
}

TEST(AuthAllowlist, ParseCidr) {
    EXPECT_TRUE(parse_cidr("10.0.0.0/8").ok());
    EXPECT_TRUE(parse_cidr("::1").ok());
    EXPECT_TRUE(parse_cidr("0.0.0.0/0").ok());
    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "nope",
                            "10.0.0.0/8x", "::1/-1", ""}) {
        EXPECT_FALSE(parse_cidr(bad).ok()) << bad;
    }
    BanPolicy policy;
    policy.allowlist = {"10.0.0.1/8"};
    EXPECT_THROW(FailureTracker{policy}, std::invalid_argument);
    EXPECT_EQ(canonical_ip("::ffff:192.0.2.1"), "192.0.2.1");
    EXPECT_EQ(canonical_ip("2001:DB8:0:0::1"), "2001:db8::1");
    EXPECT_FALSE(canonical_ip("192.0.2.1 ").has_value());
}

TEST_F(BruteForceBan, AccountDelayProgressesAndResetsOnSuccess) {
    // Issue #3: an attack on one account from many IPs slows that account down: 0 s for the
    // first 3 failures, then 1, 2, 4, 8, 15, 15 s.
    RecordProperty("rfc", "issue-3 6");
    FailureTracker t({}, clock.clock());
    const milliseconds want[] = {0s, 0s, 0s, 1s, 2s, 4s, 8s, 15s, 15s};
    for (std::size_t i = 0; i < std::size(want); ++i) {
        const std::string ip = "203.0.113." + std::to_string(i + 1);  // one try per IP
        const auto out = t.record_failure(ip, "Victim@Example.org");
        EXPECT_EQ(out.delay, want[i]) << "failure " << i + 1 << ": got " << out.delay.count()
                                      << " ms, want " << want[i].count();
        EXPECT_FALSE(out.ban_started);
    }
    EXPECT_EQ(t.account_delay("victim@example.org"), 15s) << "case does not dodge the delay";
    // The real user from a clean IP is delayed at most the cap, never refused.
    EXPECT_FALSE(t.check_ip("192.0.2.50").has_value());
    t.record_success("192.0.2.50", "victim@example.org");
    EXPECT_EQ(t.account_delay("victim@example.org"), 0s);
    EXPECT_EQ(t.record_failure("203.0.113.99", "victim@example.org").delay, 0s);
}

TEST_F(BruteForceBan, AccountDelayForgetsOldFailures) {
    FailureTracker t({}, clock.clock());
    for (int i = 0; i < 6; ++i) t.record_failure("203.0.113." + std::to_string(i), "v@example.org");
    EXPECT_EQ(t.account_delay("v@example.org"), 8s);
    clock.advance(601s);
    EXPECT_EQ(t.account_delay("v@example.org"), 0s);
}

TEST_F(BruteForceBan, SuccessClearsIpFailures) {
    FailureTracker t({}, clock.clock());
    fail_n(t, "192.0.2.7", 4);
    t.record_success("192.0.2.7", "user@example.org");
    EXPECT_FALSE(fail_n(t, "192.0.2.7", 4).ban_started);
}

TEST_F(BruteForceBan, ManualBanUnbanList) {
    FailureTracker t({}, clock.clock());
    EXPECT_TRUE(t.ban("192.0.2.9", clock.now() + 1h, "abuse report"));
    EXPECT_TRUE(t.ban("::ffff:192.0.2.10", clock.now() + 2h, "spam"));
    EXPECT_FALSE(t.ban("not-an-ip", clock.now() + 1h, "x"));
    const auto bans = t.list();
    ASSERT_EQ(bans.size(), 2u);
    EXPECT_EQ(bans[0], (Ban{"192.0.2.10", clock.now() + 2h, "spam", clock.now(), 0}));
    EXPECT_EQ(bans[1], (Ban{"192.0.2.9", clock.now() + 1h, "abuse report", clock.now(), 0}));
    EXPECT_TRUE(t.unban("192.0.2.9"));
    EXPECT_FALSE(t.unban("192.0.2.9"));
    EXPECT_FALSE(t.check_ip("192.0.2.9").has_value());
    EXPECT_TRUE(t.check_ip("192.0.2.10").has_value());
}

TEST_F(BruteForceBan, Ipv6BansTheClientsSlash64Ipv4StaysPerAddress) {
    // Issue #3: an IPv6 host usually owns a /64; rotating addresses inside it must not dodge
    // the count or the ban.
    RecordProperty("rfc", "issue-3 6");
    FailureTracker t({}, clock.clock());
    for (int i = 1; i <= 4; ++i)
        EXPECT_FALSE(t.record_failure("2001:db8:1:2::" + std::to_string(i), "u@x.org").ban_started);
    const auto fifth = t.record_failure("2001:db8:1:2:aaaa::5", "u@x.org");
    ASSERT_TRUE(fifth.ban_started) << "five failures from one /64 count together";
    EXPECT_EQ(fifth.banned_network, "2001:db8:1:2::/64");
    const auto ban = t.find_ban("2001:db8:1:2:ffff:ffff:ffff:ffff");
    ASSERT_TRUE(ban.has_value());
    EXPECT_EQ(ban->network, "2001:db8:1:2::/64");
    EXPECT_EQ(ban->failures, 5u);
    EXPECT_EQ(ban->since, clock.now());
    EXPECT_FALSE(t.check_ip("2001:db8:1:3::1").has_value()) << "the next /64 is someone else";

    fail_n(t, "192.0.2.7", 5);
    EXPECT_EQ(t.find_ban("192.0.2.7")->network, "192.0.2.7");
    EXPECT_FALSE(t.check_ip("192.0.2.6").has_value()) << "IPv4 is banned per address";
    EXPECT_EQ(host_network("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
    EXPECT_EQ(host_network("::ffff:192.0.2.1"), "192.0.2.1");
    EXPECT_FALSE(host_network("nope").has_value());
}

TEST_F(BruteForceBan, GrowthFactorAndNoGrowth) {
    BanPolicy policy;
    policy.max_failures = 2;
    policy.first_ban = 10min;
    policy.ban_growth = 3;
    policy.max_ban = 2h;
    FailureTracker t(policy, clock.clock());
    for (const std::chrono::seconds length : {10min, 30min, 90min, 120min, 120min}) {
        const auto out = fail_n(t, "192.0.2.1", 2);
        ASSERT_TRUE(out.ban_started);
        EXPECT_EQ(*out.banned_until - clock.now(), length);
        clock.advance(length);
    }
    policy.ban_growth = 1;
    FailureTracker flat(policy, clock.clock());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(*fail_n(flat, "192.0.2.1", 2).banned_until - clock.now(), 10min);
        clock.advance(10min);
    }
    policy.ban_growth = 1000;  // no overflow, straight to the cap
    policy.max_ban = std::chrono::hours(24 * 365);
    FailureTracker huge(policy, clock.clock());
    for (int i = 0; i < 40; ++i) {
        const auto out = fail_n(huge, "192.0.2.1", 2);
        ASSERT_TRUE(out.ban_started);
        EXPECT_LE(*out.banned_until - clock.now(), policy.max_ban);
        clock.advance(std::chrono::duration_cast<std::chrono::seconds>(*out.banned_until -
                                                                       clock.now()));
    }
}

TEST_F(BruteForceBan, AllowlistedFailuresStillSlowTheAccount) {
    BanPolicy policy;
    policy.allowlist = {"10.0.0.0/8"};
    FailureTracker t(policy, clock.clock());
    const auto out = fail_n(t, "10.1.2.3", 5, "victim@example.org");
    EXPECT_FALSE(out.ban_started);
    EXPECT_EQ(out.delay, 2s) << "failures 4 and 5 are delayed even from the allowlist";
    EXPECT_EQ(t.account_delay("victim@example.org"), 4s);
}

TEST_F(BruteForceBan, ManualNetworkBansAndRemovalByAnAddressInside) {
    FailureTracker t({}, clock.clock());
    EXPECT_TRUE(t.ban("192.0.2.0/24", clock.now() + 1h, "manual"));
    EXPECT_TRUE(t.ban("2001:db8::/32", clock.now() + 1h, "manual"));
    EXPECT_TRUE(t.ban("2001:db9::1", clock.now() + 1h, "manual"));
    EXPECT_EQ(t.find_ban("192.0.2.77")->network, "192.0.2.0/24");
    EXPECT_EQ(t.find_ban("2001:db8:ff::1")->network, "2001:db8::/32");
    EXPECT_TRUE(t.check_ip("2001:db9::1").has_value());
    EXPECT_FALSE(t.check_ip("2001:db9::2").has_value()) << "a manual address ban is exact";
    EXPECT_FALSE(t.check_ip("192.0.3.1").has_value());
    EXPECT_FALSE(t.ban("192.0.2.1/24", clock.now() + 1h, "host bits")) << "not a network";
    EXPECT_TRUE(t.unban("192.0.2.77")) << "an address lifts the ban covering it";
    EXPECT_FALSE(t.check_ip("192.0.2.77").has_value());
    EXPECT_TRUE(t.unban("2001:db8::/32"));
    EXPECT_FALSE(t.unban("2001:db8::/32"));
    EXPECT_EQ(t.list().size(), 1u);

    BanPolicy policy;
    policy.allowlist = {"198.51.100.0/24"};
    FailureTracker allow(policy, clock.clock());
    EXPECT_FALSE(allow.ban("198.51.100.0/25", clock.now() + 1h, "inside the allowlist"));
    EXPECT_TRUE(allow.ban("198.51.0.0/16", clock.now() + 1h, "wider"));
    EXPECT_FALSE(allow.check_ip("198.51.100.1").has_value()) << "the allowlist still wins";
    EXPECT_TRUE(allow.check_ip("198.51.99.1").has_value());
}

TEST(AuthAllowlist, CidrListErrorsNameTheEntry) {
    auto bad = parse_cidr_list({"10.0.0.0/8", "10.0.0.1/8"}, "auth.ban_allowlist");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(),
              "auth.ban_allowlist: '10.0.0.1/8': host bits set in 10.0.0.1/8 (the network is "
              "10.0.0.0/8)");
    EXPECT_EQ(parse_cidr_list({"fe80::/129"}, "x").error(),
              "x: 'fe80::/129': bad prefix length: /129 (allowed /0../128)");
    EXPECT_EQ(parse_cidr_list({"example.org"}, "x").error(),
              "x: 'example.org': not an IP address: example.org");
    EXPECT_EQ(canonical_network("2001:DB8::/32"), "2001:db8::/32");
    EXPECT_EQ(canonical_network("192.0.2.9/32"), "192.0.2.9");
}

TEST_F(BruteForceBan, MemoryIsCappedOldestEvicted) {
    BanPolicy policy;
    policy.max_tracked_ips = 100;
    policy.max_tracked_accounts = 50;
    FailureTracker t(policy, clock.clock());
    for (int i = 0; i < 1000; ++i) {
        t.record_failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                         "user" + std::to_string(i) + "@example.org");
    }
    EXPECT_EQ(t.tracked_ips(), 100u);
    EXPECT_EQ(t.tracked_accounts(), 50u);
    // The most recent IP is still tracked: 4 more failures ban it.
    EXPECT_TRUE(fail_n(t, "10.0.3.231", 4).ban_started);
}

TEST_F(BruteForceBan, ConcurrentUseFromThreads) {
    // 8 threads hammer 4 IPs; every IP ends banned exactly once, nothing races (TSan/ASan).
    FailureTracker t({}, clock.clock());
    std::atomic<int> bans{0};
    std::vector<std::thread> threads;
    for (int n = 0; n < 8; ++n) {
        threads.emplace_back([&, n] {
            for (int i = 0; i < 200; ++i) {
                const std::string ip = "192.0.2." + std::to_string((n + i) % 4 + 1);
                if (t.record_failure(ip, "user@example.org").ban_started) ++bans;
                (void)t.check_ip(ip);
                (void)t.account_delay("user@example.org");
                if (i % 50 == 0) (void)t.list();
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(bans.load(), 4);
    EXPECT_EQ(t.list().size(), 4u);
}

}  // namespace
}  // namespace mw::auth
