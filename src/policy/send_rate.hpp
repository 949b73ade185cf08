// The hourly sending limit of a login (submission.max_messages_per_hour): a stolen password, or
// a compromised PC, can send only so much before the owner hears of it. A sliding window of
// accepted message times per login, in memory (a restart forgets it, which only ever allows
// more). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mw::policy {

class SendRateLimiter {
public:
    using Clock = std::chrono::system_clock;
    struct Refusal {
        std::size_t count = 0, limit = 0;
        Clock::time_point until;  // when the oldest counted message is an hour old
    };

    explicit SendRateLimiter(std::size_t per_hour) : per_hour_(per_hour) {}

    // At MAIL FROM: nullopt while the login is under its limit (or there is none).
    std::optional<Refusal> check(const std::string& login, Clock::time_point now);
    // After a message of the login was accepted (250 queued).
    void record(const std::string& login, Clock::time_point now);

private:
    void prune(std::deque<Clock::time_point>& times, Clock::time_point now) const;

    const std::size_t per_hour_;
    std::mutex mu_;
    std::unordered_map<std::string, std::deque<Clock::time_point>> sent_;
};

}  // namespace mw::policy
