// The retry schedule and the duration syntax of its settings (see retry.hpp).
#include "spool/retry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mw::spool {
namespace {

constexpr std::size_t kMaxIntervals = 32;
// Ten years: far beyond any sensible setting, and far from overflowing 64-bit seconds when added
// to a time point or doubled.
constexpr Duration kLongestDuration = std::chrono::days(3650);
constexpr double kMaxJitter = 0.5;

std::string quoted(std::string_view text) {
    constexpr std::size_t kShown = 40;  // keep errors one line even for pasted garbage
    std::string out = "\"";
    out += text.substr(0, kShown);
    if (text.size() > kShown) out += "...";
    return out + "\"";
}

std::optional<std::int64_t> unit_seconds(char unit) {
    switch (unit) {
        case 's':
            return 1;
        case 'm':
            return 60;
        case 'h':
            return 3600;
        case 'd':
            return 86400;
        case 'w':
            return 7 * 86400;
        default:
            return std::nullopt;
    }
}

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed hash, so neighbouring seeds and
// attempt numbers give unrelated jitter.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

Duration jittered(const RetryPolicy& policy, Duration wait, std::uint32_t attempt,
                  std::uint64_t seed) {
    if (policy.jitter <= 0) return wait;
    // 53 random bits -> [0, 1), exactly representable in a double.
    double unit = static_cast<double>(mix(seed ^ mix(attempt)) >> 11) * 0x1.0p-53;
    auto cut = static_cast<std::int64_t>(
        std::floor(unit * std::min(policy.jitter, kMaxJitter) * static_cast<double>(wait.count())));
    return std::max(Duration(1), wait - Duration(cut));
}

}  // namespace

std::optional<std::string> validate(const RetryPolicy& policy) {
    if (policy.intervals.empty()) return "retry intervals: the list is empty; give at least one";
    if (policy.intervals.size() > kMaxIntervals)
        return "retry intervals: " + std::to_string(policy.intervals.size()) +
               " entries; at most " + std::to_string(kMaxIntervals) + " are allowed";
    for (std::size_t i = 0; i < policy.intervals.size(); ++i) {
        auto d = policy.intervals[i];
        if (d <= Duration(0) || d > kLongestDuration)
            return "retry intervals: entry " + std::to_string(i + 1) + " (" +
                   std::to_string(d.count()) + "s) must be between 1s and 3650d";
    }
    if (policy.max_interval <= Duration(0) || policy.max_interval > kLongestDuration)
        return "retry max interval must be between 1s and 3650d";
    if (policy.max_age <= Duration(0) || policy.max_age > kLongestDuration)
        return "maximum queue age must be between 1s and 3650d";
    if (policy.delay_notice_after &&
        (*policy.delay_notice_after <= Duration(0) || *policy.delay_notice_after >= policy.max_age))
        return "delay notice after " + format_duration(*policy.delay_notice_after) +
               " would never be sent: it must be more than 0 and less than the maximum queue age "
               "(" +
               format_duration(policy.max_age) + ")";
    if (!(policy.jitter >= 0 && policy.jitter <= kMaxJitter))  // also refuses NaN
        return "retry jitter must be between 0 and 0.5 (a fraction of each wait)";
    return std::nullopt;
}

Duration retry_interval(const RetryPolicy& policy, std::uint32_t failed_attempts) {
    if (failed_attempts == 0 || policy.intervals.empty()) return Duration(0);
    const auto& list = policy.intervals;
    if (failed_attempts <= list.size())
        return std::min(list[failed_attempts - 1], policy.max_interval);
    // Past the list: double per attempt. The loop stops as soon as the cap is reached, so it runs
    // at most ~30 times (1s doubled reaches kLongestDuration) whatever failed_attempts is.
    Duration wait = std::min(list.back(), policy.max_interval);
    for (std::uint32_t n = static_cast<std::uint32_t>(list.size()); n < failed_attempts; ++n) {
        if (wait >= policy.max_interval) break;
        wait = std::min(wait * 2, policy.max_interval);
    }
    return wait;
}

TimePoint give_up_at(const RetryPolicy& policy, TimePoint received_at) {
    return received_at + policy.max_age;
}

RetryDecision next_attempt(const RetryPolicy& policy, const AttemptHistory& history,
                           std::uint64_t jitter_seed) {
    // Even a message that waited past its age (server down for a week) gets one attempt.
    if (history.attempts == 0) return {RetryDecision::Kind::AttemptAt, history.received_at};
    TimePoint deadline = give_up_at(policy, history.received_at);
    if (history.last_attempt >= deadline) return {RetryDecision::Kind::GiveUp, deadline};
    Duration wait =
        jittered(policy, retry_interval(policy, history.attempts), history.attempts, jitter_seed);
    // The final attempt happens at the deadline rather than up to one interval later, so the
    // sender learns of the failure at the configured age.
    return {RetryDecision::Kind::AttemptAt, std::min(history.last_attempt + wait, deadline)};
}

std::uint64_t jitter_seed_for(std::string_view queue_id) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
    for (unsigned char c : queue_id) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

bool delay_notice_due(const RetryPolicy& policy, TimePoint received_at, TimePoint now,
                      bool notice_already_sent) {
    if (!policy.delay_notice_after || notice_already_sent) return false;
    return now >= received_at + *policy.delay_notice_after && now < give_up_at(policy, received_at);
}

Result<Duration, std::string> parse_duration(std::string_view text) {
    const std::string_view original = text;
    if (text.empty()) return unexpected(std::string("empty duration; write e.g. 5m, 1h or 5d"));
    std::int64_t total = 0;
    while (!text.empty()) {
        std::size_t digits = 0;
        while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
        if (digits == 0)
            return unexpected("duration " + quoted(original) +
                              ": expected a number before each unit, e.g. 5m or 1h30m");
        if (digits == text.size())
            return unexpected("duration " + quoted(original) +
                              ": the number has no unit; add s, m, h, d or w (e.g. " +
                              std::string(text.substr(0, std::min<std::size_t>(digits, 12))) +
                              "m)");
        auto unit = unit_seconds(text[digits]);
        if (!unit)
            return unexpected("duration " + quoted(original) + ": unknown unit " +
                              quoted(text.substr(digits, 1)) + "; use s, m, h, d or w");
        if (digits > 10)
            return unexpected("duration " + quoted(original) + ": too long; at most 3650d");
        std::int64_t number = 0;
        for (std::size_t i = 0; i < digits; ++i) number = number * 10 + (text[i] - '0');
        total += number * *unit;  // <= 9'999'999'999 * 604800 per group: fits, checked below
        if (total > kLongestDuration.count())
            return unexpected("duration " + quoted(original) + ": too long; at most 3650d");
        text.remove_prefix(digits + 1);
    }
    if (total == 0) return unexpected("duration " + quoted(original) + ": must be more than zero");
    return Duration(total);
}

Result<std::vector<Duration>, std::string> parse_duration_list(std::string_view text) {
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    if (trim(text).empty())
        return unexpected(std::string("empty duration list; write e.g. 5m,10m,20m,40m,1h"));
    std::vector<Duration> out;
    std::size_t item = 0;
    while (true) {
        ++item;
        auto comma = text.find(',');
        auto piece = trim(text.substr(0, comma));
        if (item > kMaxIntervals)
            return unexpected("duration list: more than " + std::to_string(kMaxIntervals) +
                              " items");
        if (piece.empty())
            return unexpected("duration list: item " + std::to_string(item) +
                              " is empty (two commas in a row, or a comma at an end?)");
        auto d = parse_duration(piece);
        if (!d) return unexpected("duration list: item " + std::to_string(item) + ": " + d.error());
        out.push_back(*d);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

std::string format_duration(Duration d) {
    if (d.count() <= 0) return std::to_string(d.count()) + "s";
    static constexpr std::pair<std::int64_t, char> kUnits[] = {
        {7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    std::string out;
    std::int64_t left = d.count();
    for (auto [size, unit] : kUnits) {
        if (left >= size) {
            out += std::to_string(left / size);
            out += unit;
            left %= size;
        }
    }
    return out;
}

}  // namespace mw::spool
