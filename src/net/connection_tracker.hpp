// Concurrent-connection accounting: a global cap and a per-client-IP cap. A slot is held by a
// ConnectionSlot (RAII) for the connection's lifetime. Also the registry used for graceful
// shutdown: every live connection can be asked to stop at its next idle point.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace mw::net {

class ConnectionTracker;

class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(ConnectionTracker* tracker, std::string ip, std::uint64_t id)
        : tracker_(tracker), ip_(std::move(ip)), id_(id) {}
    ConnectionSlot(ConnectionSlot&& other) noexcept { *this = std::move(other); }
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot();
    std::uint64_t id() const noexcept { return id_; }

private:
    ConnectionTracker* tracker_ = nullptr;
    std::string ip_;
    std::uint64_t id_ = 0;
};

class ConnectionTracker {
public:
    enum class Refusal { None, Global, PerIp };
    ConnectionTracker(std::size_t max_total, std::size_t max_per_ip)
        : max_total_(max_total), max_per_ip_(max_per_ip) {}

    struct Admission {
        Refusal refusal = Refusal::None;
        ConnectionSlot slot;  // valid when refusal == None
    };
    // stop: called (from the shutdown thread) to ask the connection to wind down.
    Admission admit(const std::string& ip, std::function<void()> stop);

    // Asks every live connection to stop; returns how many were asked.
    std::size_t stop_all();
    std::size_t active() const;
    std::size_t max_total() const noexcept { return max_total_; }
    std::size_t max_per_ip() const noexcept { return max_per_ip_; }

private:
    friend class ConnectionSlot;
    void release(const std::string& ip, std::uint64_t id);

    mutable std::mutex mutex_;
    std::size_t max_total_;
    std::size_t max_per_ip_;
    std::size_t total_ = 0;
    std::uint64_t next_id_ = 1;
    std::unordered_map<std::string, std::size_t> per_ip_;
    std::unordered_map<std::uint64_t, std::function<void()>> stoppers_;
};

}  // namespace mw::net
