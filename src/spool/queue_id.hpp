// Queue ids: 17 characters of lowercase Crockford base32 — 13 for a strictly increasing
// microsecond timestamp (so ids sort by commit time), 4 for random bits (so two processes, or a
// clock stepped backwards across a restart, do not collide). Safe as file names and log values.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

namespace mw::spool {

class QueueIdGenerator {
public:
    QueueIdGenerator();
    std::string next();  // thread-safe

private:
    std::mutex mu_;
    std::uint64_t last_us_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace mw::spool
