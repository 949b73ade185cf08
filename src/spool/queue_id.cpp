#include "spool/queue_id.hpp"

#include <chrono>

namespace mw::spool {
namespace {

// Ascending ASCII order, so string order equals numeric order.
constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void append_base32(std::string& out, std::uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) out.push_back(kAlphabet[(v >> (5 * i)) & 31]);
}

}  // namespace

QueueIdGenerator::QueueIdGenerator() : rng_(std::random_device{}()) {}

std::string QueueIdGenerator::next() {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::uint64_t stamp = 0, rnd = 0;
    {
        std::lock_guard lk(mu_);
        stamp = static_cast<std::uint64_t>(now) > last_us_ ? static_cast<std::uint64_t>(now)
                                                           : last_us_ + 1;
        last_us_ = stamp;
        rnd = rng_();
    }
    std::string id;
    id.reserve(17);
    append_base32(id, stamp, 13);
    append_base32(id, rnd, 4);
    return id;
}

}  // namespace mw::spool
