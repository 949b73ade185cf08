// FailureTracker: per-IP bans and per-account progressive delay for failed SMTP AUTH (issue #3
// part 6). Security: never lock an account out (the delay is capped); never ban an allowlisted
// network; keep memory bounded whatever the attacker sends (LRU caps, capped failure lists).
#include "auth/failure_tracker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace mw::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kMaxKey = 320;          // RFC 5321 address bound, with room to spare
constexpr std::size_t kMaxFailuresKept = 64;  // per entry: more adds nothing to the rules

std::optional<std::array<std::uint8_t, 16>> parse_ip16(std::string_view text, bool& is_v4) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    std::array<std::uint8_t, 16> out{};
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        out[10] = out[11] = 0xFF;  // IPv4-mapped IPv6, RFC 4291 §2.5.5.2
        std::memcpy(out.data() + 12, &v4, 4);
        is_v4 = true;
        return out;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    std::memcpy(out.data(), &v6, 16);
    is_v4 = std::all_of(out.begin(), out.begin() + 10, [](auto b) { return b == 0; }) &&
            out[10] == 0xFF && out[11] == 0xFF;
    return out;
}

std::string ip16_text(const std::array<std::uint8_t, 16>& ip, bool is_v4) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4) {
        inet_ntop(AF_INET, ip.data() + 12, buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
    }
    return buf;
}

// Account names are full addresses; lower-case the whole key so case games do not dodge the
// delay, and bound its length so the table's memory is bounded.
std::string account_key(std::string_view account) {
    std::string key(account.substr(0, kMaxKey));
    std::transform(key.begin(), key.end(), key.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return key;
}

// The socket always gives a valid IP; anything else is tracked under its bounded raw text.
std::string ip_key(std::string_view ip) {
    if (auto c = canonical_ip(ip)) return *c;
    return std::string(ip.substr(0, 64));
}

long long epoch(TimePoint t) {
    return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

}  // namespace

bool Cidr::contains(const std::array<std::uint8_t, 16>& ip) const {
    for (unsigned bit = 0; bit < prefix; ++bit) {
        const unsigned mask = 0x80u >> (bit % 8);
        if ((ip[bit / 8] & mask) != (address[bit / 8] & mask)) return false;
    }
    return true;
}

Result<Cidr, std::string> parse_cidr(std::string_view text) {
    const auto slash = text.find('/');
    bool is_v4 = false;
    const auto ip = parse_ip16(text.substr(0, slash), is_v4);
    if (!ip) return unexpected("not an IP address: " + std::string(text.substr(0, slash)));
    Cidr cidr{*ip, 128};
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        unsigned prefix = 0;
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
            prefix > (is_v4 ? 32u : 128u)) {
            return unexpected("bad prefix length: /" + std::string(digits));
        }
        cidr.prefix = is_v4 ? prefix + 96 : prefix;
    }
    for (unsigned bit = cidr.prefix; bit < 128; ++bit) {
        if ((cidr.address[bit / 8] & (0x80u >> (bit % 8))) != 0) {
            return unexpected("host bits set in " + std::string(text));
        }
    }
    return cidr;
}

std::optional<std::string> canonical_ip(std::string_view text) {
    bool is_v4 = false;
    const auto ip = parse_ip16(text, is_v4);
    if (!ip) return std::nullopt;
    return ip16_text(*ip, is_v4);
}

FailureTracker::FailureTracker(BanPolicy policy, Clock clock, std::shared_ptr<BanStore> store)
    : policy_(std::move(policy)), clock_(std::move(clock)), store_(std::move(store)) {
    for (const auto& entry : policy_.allowlist) {
        auto cidr = parse_cidr(entry);
        if (!cidr) throw std::invalid_argument("auth allowlist: " + cidr.error());
        allowlist_.push_back(*cidr);
    }
    if (!store_) return;
    auto loaded = store_->load(clock_());
    if (!loaded) {
        spdlog::error("reason=ban_store_corrupt path={} error=\"{}\" action=start_without_bans",
                      store_->path(), loaded.error());
        return;
    }
    for (auto& ban : *loaded) bans_[ban.ip] = std::move(ban);
    spdlog::info("event=bans_loaded count={} path={}", bans_.size(), store_->path());
}

bool FailureTracker::allowlisted(std::string_view canonical) const {
    bool is_v4 = false;
    const auto ip = parse_ip16(canonical, is_v4);
    if (!ip) return false;
    return std::any_of(allowlist_.begin(), allowlist_.end(),
                       [&](const Cidr& c) { return c.contains(*ip); });
}

FailureTracker::Entry& FailureTracker::touch(Tracked& table, const std::string& key,
                                             std::size_t cap) {
    auto it = table.map.find(key);
    if (it != table.map.end()) {
        table.lru.splice(table.lru.end(), table.lru, it->second.lru);
        return it->second;
    }
    while (!table.lru.empty() && table.map.size() >= std::max<std::size_t>(cap, 1)) {
        table.map.erase(table.lru.front());  // evict the least recently touched
        table.lru.pop_front();
    }
    table.lru.push_back(key);
    Entry& entry = table.map[key];
    entry.lru = std::prev(table.lru.end());
    return entry;
}

void FailureTracker::prune(std::vector<TimePoint>& times, TimePoint oldest) const {
    times.erase(times.begin(),
                std::find_if(times.begin(), times.end(), [&](TimePoint t) { return t > oldest; }));
}

milliseconds FailureTracker::delay_for(std::size_t failures) const {
    if (failures <= policy_.account_free_failures) return milliseconds{0};
    const std::size_t doublings = failures - policy_.account_free_failures - 1;
    const milliseconds cap = policy_.account_max_delay;
    if (doublings >= 31) return cap;
    return std::min<milliseconds>(cap, policy_.account_first_delay * (1LL << doublings));
}

seconds FailureTracker::ban_length(std::size_t earlier_bans) const {
    if (earlier_bans >= 31) return policy_.max_ban;
    return std::min<seconds>(policy_.max_ban, policy_.first_ban * (1LL << earlier_bans));
}

void FailureTracker::drop_expired_bans(TimePoint now) const {
    std::erase_if(bans_, [&](const auto& kv) { return kv.second.until <= now; });
}

std::optional<TimePoint> FailureTracker::check_ip(std::string_view ip) const {
    const std::string key = ip_key(ip);
    const TimePoint now = clock_();
    std::lock_guard lock(mutex_);
    if (allowlisted(key)) return std::nullopt;
    const auto it = bans_.find(key);
    if (it == bans_.end()) return std::nullopt;
    if (it->second.until <= now) {
        bans_.erase(it);  // expired: the file drops it at the next load or save
        return std::nullopt;
    }
    return it->second.until;
}

FailureOutcome FailureTracker::record_failure(std::string_view ip, std::string_view account) {
    const TimePoint now = clock_();
    const TimePoint oldest = now - policy_.window;
    const std::string key = ip_key(ip);
    std::unique_lock lock(mutex_);
    FailureOutcome out;
    if (!account.empty()) {
        Entry& acc = touch(accounts_, account_key(account), policy_.max_tracked_accounts);
        prune(acc.failures, oldest);
        if (acc.failures.size() >= kMaxFailuresKept) acc.failures.erase(acc.failures.begin());
        acc.failures.push_back(now);
        out.delay = delay_for(acc.failures.size());
    }
    if (allowlisted(key)) return out;
    if (auto it = bans_.find(key); it != bans_.end() && it->second.until > now) {
        out.banned_until = it->second.until;  // already banned (e.g. a session in progress)
        return out;
    }
    Entry& entry = touch(ips_, key, policy_.max_tracked_ips);
    prune(entry.failures, oldest);
    prune(entry.ban_starts, now - policy_.memory);
    if (entry.failures.size() >= kMaxFailuresKept) entry.failures.erase(entry.failures.begin());
    entry.failures.push_back(now);
    if (entry.failures.size() < policy_.max_failures) return out;

    const seconds length = ban_length(entry.ban_starts.size());
    const TimePoint until = std::chrono::ceil<seconds>(now + length);
    entry.ban_starts.push_back(now);
    entry.failures.clear();
    out.ban_started = true;
    out.banned_until = until;
    spdlog::warn("event=ip_banned ip={} until={} seconds={} repeat={} account={}", key,
                 epoch(until), length.count(), entry.ban_starts.size() - 1,
                 account.empty() ? "-" : account_key(account));
    if (bans_.size() >= policy_.max_tracked_ips) drop_expired_bans(now);
    if (bans_.size() >= policy_.max_tracked_ips && !bans_.empty()) {
        bans_.erase(std::min_element(bans_.begin(), bans_.end(), [](const auto& a, const auto& b) {
            return a.second.until < b.second.until;
        }));
    }
    bans_[key] = Ban{key, until, "brute_force"};
    ++ban_version_;
    persist(lock);
    return out;
}

void FailureTracker::record_success(std::string_view ip, std::string_view account) {
    const std::string key = ip_key(ip);
    std::lock_guard lock(mutex_);
    if (auto it = ips_.map.find(key); it != ips_.map.end()) it->second.failures.clear();
    if (!account.empty()) {
        if (auto it = accounts_.map.find(account_key(account)); it != accounts_.map.end()) {
            it->second.failures.clear();
        }
    }
}

milliseconds FailureTracker::account_delay(std::string_view account) const {
    const TimePoint oldest = clock_() - policy_.window;
    std::lock_guard lock(mutex_);
    const auto it = accounts_.map.find(account_key(account));
    if (it == accounts_.map.end()) return milliseconds{0};
    const auto& f = it->second.failures;
    const auto live = std::count_if(f.begin(), f.end(), [&](TimePoint t) { return t > oldest; });
    // The next attempt would be failure number live + 1 if it fails.
    return delay_for(static_cast<std::size_t>(live) + 1);
}

bool FailureTracker::ban(std::string_view ip, TimePoint until, std::string reason) {
    const auto key = canonical_ip(ip);
    if (!key) return false;
    std::unique_lock lock(mutex_);
    if (allowlisted(*key)) return false;
    bans_[*key] = Ban{*key, std::chrono::ceil<seconds>(until), std::move(reason)};
    ++ban_version_;
    persist(lock);
    return true;
}

bool FailureTracker::unban(std::string_view ip) {
    const std::string key = ip_key(ip);
    std::unique_lock lock(mutex_);
    if (bans_.erase(key) == 0) return false;
    if (auto it = ips_.map.find(key); it != ips_.map.end()) it->second.failures.clear();
    ++ban_version_;
    persist(lock);
    return true;
}

std::vector<Ban> FailureTracker::list() const {
    const TimePoint now = clock_();
    std::lock_guard lock(mutex_);
    drop_expired_bans(now);
    std::vector<Ban> out;
    for (const auto& kv : bans_) out.push_back(kv.second);
    std::sort(out.begin(), out.end(), [](const Ban& a, const Ban& b) { return a.ip < b.ip; });
    return out;
}

std::size_t FailureTracker::tracked_ips() const {
    std::lock_guard lock(mutex_);
    return ips_.map.size();
}

std::size_t FailureTracker::tracked_accounts() const {
    std::lock_guard lock(mutex_);
    return accounts_.map.size();
}

// Called with mutex_ held; releases it before the (slow, fsyncing) write. Concurrent savers
// are ordered by version, so an older snapshot never overwrites a newer one.
void FailureTracker::persist(std::unique_lock<std::mutex>& lock) {
    if (!store_) return;
    std::vector<Ban> snapshot;
    const TimePoint now = clock_();
    for (const auto& kv : bans_) {
        if (kv.second.until > now) snapshot.push_back(kv.second);
    }
    std::sort(snapshot.begin(), snapshot.end(),
              [](const Ban& a, const Ban& b) { return a.ip < b.ip; });
    const std::uint64_t version = ban_version_;
    lock.unlock();
    std::lock_guard save_lock(save_mutex_);
    if (version <= saved_version_) return;
    auto saved = store_->save(snapshot);
    if (!saved) {
        spdlog::error("reason=ban_store_write_failed path={} error=\"{}\"", store_->path(),
                      saved.error());
        return;  // the bans still hold in memory; the next change retries the write
    }
    saved_version_ = version;
}

}  // namespace mw::auth
