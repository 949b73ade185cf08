#include "policy/send_rate.hpp"

namespace mw::policy {

constexpr auto kWindow = std::chrono::hours(1);

void SendRateLimiter::prune(std::deque<Clock::time_point>& times, Clock::time_point now) const {
    while (!times.empty() && times.front() + kWindow <= now) times.pop_front();
}

std::optional<SendRateLimiter::Refusal> SendRateLimiter::check(const std::string& login,
                                                               Clock::time_point now) {
    if (per_hour_ == 0) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = sent_.find(login);
    if (it == sent_.end()) return std::nullopt;
    prune(it->second, now);
    if (it->second.empty()) {
        sent_.erase(it);
        return std::nullopt;
    }
    if (it->second.size() < per_hour_) return std::nullopt;
    return Refusal{it->second.size(), per_hour_, it->second.front() + kWindow};
}

void SendRateLimiter::record(const std::string& login, Clock::time_point now) {
    if (per_hour_ == 0) return;
    std::lock_guard lock(mu_);
    auto& times = sent_[login];
    prune(times, now);
    times.push_back(now);
    // Never more than the limit is needed to decide; bounds memory per login.
    while (times.size() > per_hour_) times.pop_front();
}

}  // namespace mw::policy
