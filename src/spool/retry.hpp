// The retry schedule of outbound delivery (issue #4 part 3): after a temporary failure (4xx reply,
// timeout, refused connection), when to try again, when to tell the sender the mail is delayed,
// and when to give up and bounce. RFC 5321 §4.5.4.1: retry intervals "should be at least 30
// minutes" and give-up "at least 4-5 days"; we retry sooner at first (5, 10, 20, 40 minutes, as
// Postfix and Exim do) because most temporary failures (greylisting) clear within minutes.
// Pure: no clock, no I/O. Every time is passed in, so the same inputs always give the same answer,
// also after a restart (the jitter is derived from a per-message seed, not from a random source).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace mw::spool {

using TimePoint = std::chrono::sys_seconds;
using Duration = std::chrono::seconds;

struct RetryPolicy {
    // Wait after the 1st, 2nd, ... failed attempt. Past the end of the list each wait doubles
    // the previous one (classic exponential backoff), and no wait exceeds max_interval: with the
    // defaults that is 5m, 10m, 20m, 40m, then hourly.
    std::vector<Duration> intervals{std::chrono::minutes(5), std::chrono::minutes(10),
                                    std::chrono::minutes(20), std::chrono::minutes(40)};
    Duration max_interval = std::chrono::hours(1);
    // A message older than this (counted from its arrival) is not tried again: the caller bounces
    // every pending recipient. The last attempt is scheduled at exactly this age.
    Duration max_age = std::chrono::days(5);
    // After this much time in the queue, the sender gets one "delayed" notice (RFC 3464 action
    // delayed). nullopt: never.
    std::optional<Duration> delay_notice_after = std::chrono::hours(4);
    // Each wait is shortened by up to this fraction (0 to 0.5), chosen from the message's seed and
    // the attempt number, so that many messages deferred in the same second (a destination that
    // went down) do not all come back in the same second. Shortening, never lengthening, keeps
    // max_interval a true maximum.
    double jitter = 0.1;
};

// Why a policy cannot be used, e.g. "retry intervals: the list is empty"; nullopt when it is fine.
std::optional<std::string> validate(const RetryPolicy& policy);

// The wait after `failed_attempts` failures (>= 1), before jitter. 0 failures: zero wait.
Duration retry_interval(const RetryPolicy& policy, std::uint32_t failed_attempts);

// The moment the message is too old to be tried again.
TimePoint give_up_at(const RetryPolicy& policy, TimePoint received_at);

struct AttemptHistory {
    TimePoint received_at;
    std::uint32_t attempts = 0;  // attempts made so far, all failed temporarily
    TimePoint last_attempt;      // when the latest of them started; ignored when attempts == 0
};

struct RetryDecision {
    enum class Kind {
        AttemptAt,  // try again at `at` (may be in the past: the caller then tries at once)
        GiveUp,     // too old: bounce every pending recipient; `at` is the give-up moment
    };
    Kind kind = Kind::AttemptAt;
    TimePoint at;
    friend bool operator==(const RetryDecision&, const RetryDecision&) = default;
};

// The next step for a message with this history. `jitter_seed` should be stable per message (see
// jitter_seed_for); with policy.jitter == 0 it has no effect.
RetryDecision next_attempt(const RetryPolicy& policy, const AttemptHistory& history,
                           std::uint64_t jitter_seed);

// A stable seed from the queue id (FNV-1a), so a message keeps its jitter across restarts.
std::uint64_t jitter_seed_for(std::string_view queue_id);

// True when the one "delayed" notice is due at `now`: notices are enabled, none has been sent,
// the message is at least delay_notice_after old, and it has not reached give-up yet (then it
// bounces instead).
bool delay_notice_due(const RetryPolicy& policy, TimePoint received_at, TimePoint now,
                      bool notice_already_sent);

// "90s", "5m", "1h30m", "5d": one or more <digits><unit> groups, units s, m, h, d, w. Used by
// the configuration. Errors name the offending text and say what is expected.
Result<Duration, std::string> parse_duration(std::string_view text);
// "5m,10m,20m,40m,1h": durations separated by commas (spaces around them allowed), each > 0,
// at most 32 of them. Errors say which item is wrong: `item 3 ("20x"): unknown unit "x" ...`.
Result<std::vector<Duration>, std::string> parse_duration_list(std::string_view text);
// The shortest text parse_duration reads back as the same value: 3600s -> "1h", 5400s -> "1h30m".
std::string format_duration(Duration d);

}  // namespace mw::spool
