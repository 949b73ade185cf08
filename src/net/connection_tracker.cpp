#include "net/connection_tracker.hpp"

#include <utility>
#include <vector>

namespace mw::net {

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
        if (tracker_) tracker_->release(ip_, id_);
        tracker_ = std::exchange(other.tracker_, nullptr);
        ip_ = std::move(other.ip_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

ConnectionSlot::~ConnectionSlot() {
    if (tracker_) tracker_->release(ip_, id_);
}

ConnectionTracker::Admission ConnectionTracker::admit(const std::string& ip,
                                                      std::function<void()> stop) {
    std::lock_guard lock(mutex_);
    if (total_ >= max_total_) return {Refusal::Global, {}};
    auto& count = per_ip_[ip];
    if (count >= max_per_ip_) return {Refusal::PerIp, {}};
    ++count;
    ++total_;
    auto id = next_id_++;
    stoppers_.emplace(id, std::move(stop));
    return {Refusal::None, ConnectionSlot(this, ip, id)};
}

void ConnectionTracker::release(const std::string& ip, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    stoppers_.erase(id);
    --total_;
    auto it = per_ip_.find(ip);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

std::size_t ConnectionTracker::stop_all() {
    std::vector<std::function<void()>> stops;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, stop] : stoppers_) stops.push_back(stop);
    }
    for (auto& stop : stops) stop();
    return stops.size();
}

std::size_t ConnectionTracker::active() const {
    std::lock_guard lock(mutex_);
    return total_;
}

}  // namespace mw::net
