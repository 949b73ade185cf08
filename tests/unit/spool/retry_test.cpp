#include "spool/retry.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <set>

namespace mw::spool {
namespace {

using namespace std::chrono_literals;

// 2026-11-24 10:00:00 UTC: a fixed arrival time, so every expectation below is a plain number.
const TimePoint kArrival{Duration(1'795'514'400)};

RetryPolicy exact_policy() {
    RetryPolicy p;
    p.jitter = 0;
    return p;
}

TEST(RetrySchedule, DefaultWaitsAreFiveTenTwentyFortyMinutesThenHourly) {
    // RFC 5321 §4.5.4.1 leaves the schedule to the sender; issue #4 part 3 asks for these.
    RetryPolicy p = exact_policy();
    EXPECT_EQ(validate(p), std::nullopt);
    EXPECT_EQ(retry_interval(p, 0), 0s);
    EXPECT_EQ(retry_interval(p, 1), 5min);
    EXPECT_EQ(retry_interval(p, 2), 10min);
    EXPECT_EQ(retry_interval(p, 3), 20min);
    EXPECT_EQ(retry_interval(p, 4), 40min);
    EXPECT_EQ(retry_interval(p, 5), 1h);
    EXPECT_EQ(retry_interval(p, 6), 1h);
    EXPECT_EQ(retry_interval(p, 4'000'000'000u), 1h);
}

TEST(RetrySchedule, PastTheListWaitsDoubleUpToTheCap) {
    RetryPolicy p = exact_policy();
    p.intervals = {1min};
    p.max_interval = 10min;
    EXPECT_EQ(retry_interval(p, 1), 1min);
    EXPECT_EQ(retry_interval(p, 2), 2min);
    EXPECT_EQ(retry_interval(p, 3), 4min);
    EXPECT_EQ(retry_interval(p, 4), 8min);
    EXPECT_EQ(retry_interval(p, 5), 10min);
    EXPECT_EQ(retry_interval(p, 50), 10min);
}

TEST(RetrySchedule, TheCapAlsoLimitsListedWaits) {
    RetryPolicy p = exact_policy();
    p.intervals = {5min, 2h};
    p.max_interval = 30min;
    EXPECT_EQ(retry_interval(p, 2), 30min);
}

TEST(RetrySchedule, FirstAttemptIsAtArrival) {
    RetryPolicy p = exact_policy();
    auto d = next_attempt(p, {kArrival, 0, {}}, 0);
    EXPECT_EQ(d, (RetryDecision{RetryDecision::Kind::AttemptAt, kArrival}));
}

TEST(RetrySchedule, NextAttemptCountsFromTheLastAttempt) {
    RetryPolicy p = exact_policy();
    // The 3rd attempt started 7 minutes late (busy worker); the 4th waits 20 minutes from it.
    TimePoint third = kArrival + 5min + 10min + 7min;
    auto d = next_attempt(p, {kArrival, 3, third}, 0);
    EXPECT_EQ(d, (RetryDecision{RetryDecision::Kind::AttemptAt, third + 20min}));
}

TEST(RetrySchedule, FollowingTheScheduleGivesUpAtFiveDays) {
    RetryPolicy p = exact_policy();
    AttemptHistory h{kArrival, 0, {}};
    std::vector<TimePoint> attempts;
    for (int guard = 0; guard < 1000; ++guard) {
        auto d = next_attempt(p, h, 0);
        if (d.kind == RetryDecision::Kind::GiveUp) {
            EXPECT_EQ(d.at, kArrival + 5 * 24h);
            break;
        }
        attempts.push_back(d.at);
        h.attempts++;
        h.last_attempt = d.at;  // every attempt fails temporarily, exactly on time
    }
    ASSERT_GE(attempts.size(), 6u);
    EXPECT_EQ(attempts[1] - attempts[0], 5min);
    EXPECT_EQ(attempts[4] - attempts[3], 40min);
    EXPECT_EQ(attempts[5] - attempts[4], 1h);
    // The final attempt happens at the deadline, not up to an hour after it.
    EXPECT_EQ(attempts.back(), kArrival + 5 * 24h);
    // 5 + 10 + 20 + 40 minutes = 75 min; the remaining 118h45m hourly -> 118 more full hours
    // plus the attempt clamped to the deadline: 1 + 4 + 118 + 1 attempts.
    EXPECT_EQ(attempts.size(), 124u);
}

TEST(RetrySchedule, AMessageOlderThanMaxAgeGivesUpAfterItsNextFailure) {
    RetryPolicy p = exact_policy();
    p.max_age = 1h;
    auto d = next_attempt(p, {kArrival, 2, kArrival + 61min}, 0);
    EXPECT_EQ(d, (RetryDecision{RetryDecision::Kind::GiveUp, kArrival + 1h}));
    // But a message never tried (server was down for days) still gets its one attempt.
    auto first = next_attempt(p, {kArrival, 0, {}}, 0);
    EXPECT_EQ(first.kind, RetryDecision::Kind::AttemptAt);
}

TEST(RetryJitter, IsDeterministicPerSeedAndOnlyShortensTheWait) {
    RetryPolicy p;  // default jitter 0.1
    TimePoint last = kArrival + 1h;
    AttemptHistory h{kArrival, 7, last};
    auto a = next_attempt(p, h, jitter_seed_for("Q1"));
    auto b = next_attempt(p, h, jitter_seed_for("Q1"));
    EXPECT_EQ(a, b);
    EXPECT_LE(a.at, last + 1h);
    EXPECT_GE(a.at, last + 54min);
}

TEST(RetryJitter, SpreadsMessagesDeferredInTheSameSecond) {
    RetryPolicy p;
    TimePoint last = kArrival + 2h;
    std::set<TimePoint> distinct;
    for (int i = 0; i < 100; ++i) {
        auto d = next_attempt(p, {kArrival, 6, last}, jitter_seed_for("Q" + std::to_string(i)));
        ASSERT_EQ(d.kind, RetryDecision::Kind::AttemptAt);
        ASSERT_GE(d.at, last + 54min) << i;
        ASSERT_LE(d.at, last + 1h) << i;
        distinct.insert(d.at);
    }
    // 360 possible seconds for 100 messages: a working spread gives far more than 50 distinct.
    EXPECT_GT(distinct.size(), 50u);
}

TEST(RetryJitter, DiffersBetweenAttemptsOfOneMessage) {
    RetryPolicy p;
    std::uint64_t seed = jitter_seed_for("0123456789abcdefg");
    std::set<Duration> cuts;
    for (std::uint32_t n = 5; n < 25; ++n) {
        TimePoint last = kArrival + std::chrono::hours(n);
        cuts.insert(last + 1h - next_attempt(p, {kArrival, n, last}, seed).at);
    }
    EXPECT_GT(cuts.size(), 10u);
}

TEST(RetryDelayNotice, IsDueOnceAfterFourHoursAndNotAfterGiveUp) {
    RetryPolicy p;
    EXPECT_FALSE(delay_notice_due(p, kArrival, kArrival + 3h + 59min, false));
    EXPECT_TRUE(delay_notice_due(p, kArrival, kArrival + 4h, false));
    EXPECT_FALSE(delay_notice_due(p, kArrival, kArrival + 4h, true));
    EXPECT_FALSE(delay_notice_due(p, kArrival, kArrival + 5 * 24h, false));
    p.delay_notice_after.reset();
    EXPECT_FALSE(delay_notice_due(p, kArrival, kArrival + 5h, false));
}

TEST(RetryPolicyValidation, NamesTheProblem) {
    RetryPolicy p;
    p.intervals.clear();
    EXPECT_EQ(validate(p), "retry intervals: the list is empty; give at least one");
    p = RetryPolicy{};
    p.intervals[1] = 0s;
    EXPECT_EQ(validate(p), "retry intervals: entry 2 (0s) must be between 1s and 3650d");
    p = RetryPolicy{};
    p.delay_notice_after = 5 * 24h;
    EXPECT_EQ(validate(p),
              "delay notice after 5d would never be sent: it must be more than 0 and less than "
              "the maximum queue age (5d)");
    p = RetryPolicy{};
    p.jitter = 0.9;
    EXPECT_NE(validate(p), std::nullopt);
    p.jitter = std::numeric_limits<double>::quiet_NaN();
    EXPECT_NE(validate(p), std::nullopt);
}

TEST(DurationSyntax, ParsesUnitsAndCompounds) {
    struct Case {
        std::string_view text;
        Duration want;
    } cases[] = {{"90s", 90s}, {"5m", 5min},          {"1h", 1h},  {"1h30m", 90min}, {"5d", 120h},
                 {"2w", 336h}, {"3650d", 3650 * 24h}, {"0h1s", 1s}};
    for (auto c : cases) {
        auto got = parse_duration(c.text);
        ASSERT_TRUE(got) << c.text << ": " << got.error();
        EXPECT_EQ(*got, c.want) << c.text;
        EXPECT_EQ(*parse_duration(format_duration(*got)), c.want) << "round trip of " << c.text;
    }
    EXPECT_EQ(format_duration(90min), "1h30m");
    EXPECT_EQ(format_duration(5 * 24h), "5d");
}

TEST(DurationSyntax, RefusesWithAClearError) {
    struct Case {
        std::string_view text, error;
    } cases[] = {
        {"", "empty duration; write e.g. 5m, 1h or 5d"},
        {"5", "duration \"5\": the number has no unit; add s, m, h, d or w (e.g. 5m)"},
        {"5x", "duration \"5x\": unknown unit \"x\"; use s, m, h, d or w"},
        {"m", "duration \"m\": expected a number before each unit, e.g. 5m or 1h30m"},
        {"-5m", "duration \"-5m\": expected a number before each unit, e.g. 5m or 1h30m"},
        {"0m", "duration \"0m\": must be more than zero"},
        {"3651d", "duration \"3651d\": too long; at most 3650d"},
        {"99999999999999999999s", "duration \"99999999999999999999s\": too long; at most 3650d"},
        {"5 m", "duration \"5 m\": unknown unit \" \"; use s, m, h, d or w"},
    };
    for (auto c : cases) {
        auto got = parse_duration(c.text);
        ASSERT_FALSE(got) << c.text;
        EXPECT_EQ(got.error(), c.error);
    }
}

TEST(DurationListSyntax, ParsesTheIssueExample) {
    auto got = parse_duration_list("5m,10m, 20m ,40m,1h");
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(*got, (std::vector<Duration>{5min, 10min, 20min, 40min, 1h}));
    RetryPolicy p = exact_policy();
    p.intervals = *got;
    EXPECT_EQ(validate(p), std::nullopt);
}

TEST(DurationListSyntax, RefusesWithTheItemNumber) {
    EXPECT_EQ(parse_duration_list("5m,10m,20x").error(),
              "duration list: item 3: duration \"20x\": unknown unit \"x\"; use s, m, h, d or w");
    EXPECT_EQ(parse_duration_list("5m,,10m").error(),
              "duration list: item 2 is empty (two commas in a row, or a comma at an end?)");
    EXPECT_EQ(parse_duration_list("5m,").error(),
              "duration list: item 2 is empty (two commas in a row, or a comma at an end?)");
    EXPECT_EQ(parse_duration_list("  ").error(),
              "empty duration list; write e.g. 5m,10m,20m,40m,1h");
    std::string many;
    for (int i = 0; i < 33; ++i) many += (i ? ",1m" : "1m");
    EXPECT_EQ(parse_duration_list(many).error(), "duration list: more than 32 items");
}

TEST(DurationListSyntax, RandomTextIsReadOrRefusedNeverMisread) {
    // Fixed seed: whatever the config holds, the parser answers with values that print back to
    // the same values, or with an error that starts with the thing it was reading.
    std::mt19937 rng(5);
    const std::string alphabet = "0123456789smhdwx, \t-+.";
    std::uniform_int_distribution<std::size_t> len(0, 24), pick(0, alphabet.size() - 1);
    for (int round = 0; round < 2000 && !HasFailure(); ++round) {
        std::string text;
        for (std::size_t n = len(rng), i = 0; i < n; ++i) text += alphabet[pick(rng)];
        auto got = parse_duration_list(text);
        if (!got) {
            EXPECT_TRUE(got.error().starts_with("duration list") ||
                        got.error().starts_with("empty duration list"))
                << text << " -> " << got.error();
            continue;
        }
        for (Duration d : *got) {
            EXPECT_GT(d, 0s) << text;
            EXPECT_EQ(*parse_duration(format_duration(d)), d) << text;
        }
    }
}

}  // namespace
}  // namespace mw::spool
