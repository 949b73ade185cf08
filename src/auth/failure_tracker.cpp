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
    if (auto c = host_network(ip)) return *c;
    return std::string(ip.substr(0, 64));
}

bool is_host_key(const Cidr& net) {
    return net.prefix == 128 || (net.prefix == 64 && !net.is_v4());
}

std::string cidr_with_host_bits_cleared(Cidr cidr) {
    for (unsigned bit = cidr.prefix; bit < 128; ++bit)
        cidr.address[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return cidr.text();
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

bool Cidr::contains(const Cidr& inner) const {
    return inner.prefix >= prefix && contains(inner.address);
}

bool Cidr::is_v4() const {
    return prefix >= 96 && std::all_of(address.begin(), address.begin() + 10,
                                       [](auto b) { return b == 0; }) &&
           address[10] == 0xFF && address[11] == 0xFF;
}

std::string Cidr::text() const {
    const bool v4 = is_v4();
    std::string out = ip16_text(address, v4);
    if (prefix < 128) out += "/" + std::to_string(v4 ? prefix - 96 : prefix);
    return out;
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
            return unexpected("bad prefix length: /" + std::string(digits) + " (allowed /0../" +
                              (is_v4 ? "32" : "128") + ")");
        }
        cidr.prefix = is_v4 ? prefix + 96 : prefix;
    }
    for (unsigned bit = cidr.prefix; bit < 128; ++bit) {
        if ((cidr.address[bit / 8] & (0x80u >> (bit % 8))) != 0) {
            return unexpected("host bits set in " + std::string(text) +
                              " (the network is " + cidr_with_host_bits_cleared(cidr) + ")");
        }
    }
    return cidr;
}

Result<std::vector<Cidr>, std::string> parse_cidr_list(const std::vector<std::string>& entries,
                                                       std::string_view what) {
    std::vector<Cidr> out;
    for (const auto& entry : entries) {
        auto cidr = parse_cidr(entry);
        if (!cidr) return unexpected(std::string(what) + ": '" + entry + "': " + cidr.error());
        out.push_back(*cidr);
    }
    return out;
}

bool any_contains(const std::vector<Cidr>& networks, std::string_view ip) {
    bool is_v4 = false;
    const auto parsed = parse_ip16(ip, is_v4);
    if (!parsed) return false;
    return std::any_of(networks.begin(), networks.end(),
                       [&](const Cidr& c) { return c.contains(*parsed); });
}

std::optional<std::string> canonical_ip(std::string_view text) {
    bool is_v4 = false;
    const auto ip = parse_ip16(text, is_v4);
    if (!ip) return std::nullopt;
    return ip16_text(*ip, is_v4);
}

std::optional<std::string> canonical_network(std::string_view text) {
    auto cidr = parse_cidr(text);
    if (!cidr) return std::nullopt;
    return cidr->text();
}

std::optional<std::string> host_network(std::string_view ip) {
    bool is_v4 = false;
    auto parsed = parse_ip16(ip, is_v4);
    if (!parsed) return std::nullopt;
    if (is_v4) return ip16_text(*parsed, true);
    std::fill(parsed->begin() + 8, parsed->end(), std::uint8_t{0});
    return Cidr{*parsed, 64}.text();
}

FailureTracker::FailureTracker(BanPolicy policy, Clock clock, std::shared_ptr<BanStore> store)
    : policy_(std::move(policy)), clock_(std::move(clock)), store_(std::move(store)) {
    auto allowlist = parse_cidr_list(policy_.allowlist, "auth allowlist");
    if (!allowlist) throw std::invalid_argument(allowlist.error());
    allowlist_ = std::move(*allowlist);
    if (!store_) return;
    known_identity_ = store_->identity();
    auto loaded = store_->load(clock_());
    if (!loaded) {
        spdlog::error("reason=ban_store_corrupt path={} error=\"{}\" action=start_without_bans",
                      store_->path(), loaded.error());
        return;
    }
    install(*loaded);
    spdlog::info("event=bans_loaded count={} path={}", bans_.size(), store_->path());
}

bool FailureTracker::allowlisted(std::string_view canonical) const {
    return any_contains(allowlist_, canonical);
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
    // Multiplies step by step and stops at the cap, so no growth factor can overflow.
    seconds length = std::min(policy_.first_ban, policy_.max_ban);
    for (std::size_t i = 0; i < earlier_bans && length < policy_.max_ban; ++i) {
        if (policy_.ban_growth <= 1) break;
        if (length.count() > policy_.max_ban.count() / policy_.ban_growth) return policy_.max_ban;
        length *= policy_.ban_growth;
    }
    return std::min(length, policy_.max_ban);
}

void FailureTracker::drop_expired_bans(TimePoint now) const {
    std::erase_if(bans_, [&](const auto& kv) { return kv.second.ban.until <= now; });
}

const FailureTracker::ActiveBan* FailureTracker::lookup(std::string_view ip,
                                                        TimePoint now) const {
    bool is_v4 = false;
    const auto parsed = parse_ip16(ip, is_v4);
    if (!parsed) return nullptr;
    const ActiveBan* found = nullptr;
    auto consider = [&](const ActiveBan& b) {
        if (b.ban.until > now && (!found || b.ban.until > found->ban.until)) found = &b;
    };
    if (auto it = bans_.find(ip16_text(*parsed, is_v4)); it != bans_.end()) consider(it->second);
    if (!is_v4) {
        if (auto key = host_network(ip); key) {
            if (auto it = bans_.find(*key); it != bans_.end()) consider(it->second);
        }
    }
    if (network_bans_ > 0) {
        for (const auto& kv : bans_) {
            if (!is_host_key(kv.second.net) && kv.second.net.contains(*parsed)) consider(kv.second);
        }
    }
    return found;
}

std::optional<Ban> FailureTracker::find_ban(std::string_view ip) const {
    const TimePoint now = clock_();
    std::lock_guard lock(mutex_);
    if (allowlisted(ip)) return std::nullopt;
    const ActiveBan* found = lookup(ip, now);
    if (!found) return std::nullopt;
    return found->ban;
}

std::optional<TimePoint> FailureTracker::check_ip(std::string_view ip) const {
    auto ban = find_ban(ip);
    if (!ban) return std::nullopt;
    return ban->until;
}

void FailureTracker::apply(const Change& change) {
    if (change.add) {
        auto net = parse_cidr(change.ban.network);
        if (!net) return;  // every Ban here was built from a canonical network
        auto [it, inserted] = bans_.insert_or_assign(change.ban.network, ActiveBan{change.ban, *net});
        if (inserted && !is_host_key(*net)) ++network_bans_;
        return;
    }
    auto it = bans_.find(change.ban.network);
    if (it == bans_.end()) return;
    if (!is_host_key(it->second.net)) --network_bans_;
    bans_.erase(it);
}

void FailureTracker::install(const std::vector<Ban>& from_file) {
    bans_.clear();
    network_bans_ = 0;
    for (const auto& ban : from_file) apply(Change{true, ban});
    for (const auto& change : unsaved_) apply(change);
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
    if (allowlisted(ip)) return out;
    if (const ActiveBan* active = lookup(ip, now)) {
        out.banned_until = active->ban.until;  // already banned (e.g. a session in progress)
        out.banned_network = active->ban.network;
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
    const auto failures = static_cast<unsigned>(entry.failures.size());
    entry.ban_starts.push_back(now);
    entry.failures.clear();
    out.ban_started = true;
    out.banned_until = until;
    out.banned_network = key;
    spdlog::warn("event=ip_banned ip={} network={} until={} seconds={} repeat={} account={}",
                 canonical_ip(ip).value_or(key), key, epoch(until), length.count(),
                 entry.ban_starts.size() - 1, account.empty() ? "-" : account_key(account));
    if (bans_.size() >= policy_.max_tracked_ips) drop_expired_bans(now);
    if (bans_.size() >= policy_.max_tracked_ips && !bans_.empty()) {
        const auto oldest_ban =
            std::min_element(bans_.begin(), bans_.end(), [](const auto& a, const auto& b) {
                return a.second.ban.until < b.second.ban.until;
            });
        Change evict{false, oldest_ban->second.ban};
        apply(evict);
        unsaved_.push_back(std::move(evict));
    }
    Change add{true, Ban{key, until, "brute_force", std::chrono::floor<seconds>(now), failures}};
    apply(add);
    unsaved_.push_back(std::move(add));
    lock.unlock();
    flush();
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

bool FailureTracker::ban(std::string_view network, TimePoint until, std::string reason) {
    const auto net = parse_cidr(network);
    if (!net) return false;
    const TimePoint now = clock_();
    std::unique_lock lock(mutex_);
    if (std::any_of(allowlist_.begin(), allowlist_.end(),
                    [&](const Cidr& allowed) { return allowed.contains(*net); })) {
        return false;
    }
    Change add{true, Ban{net->text(), std::chrono::ceil<seconds>(until), std::move(reason),
                         std::chrono::floor<seconds>(now), 0}};
    apply(add);
    unsaved_.push_back(std::move(add));
    lock.unlock();
    flush();
    return true;
}

bool FailureTracker::unban(std::string_view network) {
    const auto net = parse_cidr(network);
    if (!net) return false;
    std::unique_lock lock(mutex_);
    std::vector<std::string> lifted;
    if (bans_.count(net->text())) {
        lifted.push_back(net->text());
    } else if (net->prefix == 128) {
        for (const auto& kv : bans_)
            if (kv.second.net.contains(net->address)) lifted.push_back(kv.first);
    }
    for (const auto& key : lifted) {
        Change remove{false, Ban{key, {}, {}}};
        apply(remove);
        unsaved_.push_back(std::move(remove));
        if (auto it = ips_.map.find(key); it != ips_.map.end()) it->second.failures.clear();
    }
    lock.unlock();
    if (lifted.empty()) return false;
    flush();
    return true;
}

std::vector<Ban> FailureTracker::list() const {
    const TimePoint now = clock_();
    std::lock_guard lock(mutex_);
    std::vector<Ban> out;
    for (const auto& kv : bans_)
        if (kv.second.ban.until > now) out.push_back(kv.second.ban);
    std::sort(out.begin(), out.end(),
              [](const Ban& a, const Ban& b) { return a.network < b.network; });
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

void FailureTracker::refresh_from_store() {
    if (!store_) return;
    const TimePoint now = clock_();
    {
        std::lock_guard lock(mutex_);
        if (now < next_refresh_) return;
        next_refresh_ = now + seconds{1};
    }
    // A save in progress installs the file's content itself; no need to wait for it.
    std::unique_lock save_lock(save_mutex_, std::try_to_lock);
    if (!save_lock.owns_lock()) return;
    const FileIdentity identity = store_->identity();
    if (identity == known_identity_) return;
    // Read after the stat: if the file changes in between, the next refresh reads it again.
    auto loaded = store_->load(now);
    known_identity_ = identity;
    if (!loaded) {
        spdlog::error("reason=ban_store_corrupt path={} error=\"{}\" action=keep_current_bans",
                      store_->path(), loaded.error());
        return;
    }
    std::lock_guard lock(mutex_);
    install(*loaded);
    spdlog::info("event=bans_reloaded count={} path={}", bans_.size(), store_->path());
}

// The slow (fsyncing) write runs without mutex_, so sessions keep checking bans meanwhile.
// save_mutex_ orders writers; each takes every pending change, so a later writer never undoes
// an earlier one, and a change the CLI made to the file is kept because the file is re-read
// under its lock first.
void FailureTracker::flush() {
    if (!store_) return;
    std::lock_guard save_lock(save_mutex_);
    std::vector<Change> taking;
    {
        std::lock_guard lock(mutex_);
        taking.swap(unsaved_);
    }
    if (taking.empty()) return;
    auto updated = store_->update(
        clock_(),
        [&taking](std::vector<Ban>& bans) {
            for (const auto& change : taking) {
                std::erase_if(bans, [&](const Ban& b) { return b.network == change.ban.network; });
                if (change.add) bans.push_back(change.ban);
            }
        },
        /*replace_corrupt=*/true);
    std::lock_guard lock(mutex_);
    if (!updated) {
        spdlog::error("reason=ban_store_write_failed path={} error=\"{}\"", store_->path(),
                      updated.error());
        // The bans still hold in memory; the next change retries the write.
        unsaved_.insert(unsaved_.begin(), taking.begin(), taking.end());
        return;
    }
    if (!updated->replaced_corrupt.empty())
        spdlog::error("reason=ban_store_corrupt path={} error=\"{}\" action=replaced",
                      store_->path(), updated->replaced_corrupt);
    known_identity_ = updated->identity;
    install(updated->bans);
}

}  // namespace mw::auth
