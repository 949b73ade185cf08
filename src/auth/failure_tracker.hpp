// FailureTracker: brute-force defence for SMTP AUTH (issue #3 part 6). Counts failed AUTH per
// client IP and per account in a sliding window, bans an IP past a threshold (escalating for
// repeat offenders), and slows down attacks on one account spread over many IPs.
// Security: an account is never locked out. Its progressive delay is capped (BanPolicy::
// account_max_delay), so the real user on a clean IP always gets in, at worst that much later.
// Memory is bounded: at most max_tracked_ips / max_tracked_accounts entries, oldest evicted.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/ban_store.hpp"
#include "base/result.hpp"

namespace mw::auth {

using Clock = std::function<TimePoint()>;

struct BanPolicy {
    unsigned max_failures = 5;            // failures per IP within `window` that start a ban
    std::chrono::seconds window{600};     // sliding window for IP and account failures
    std::chrono::seconds first_ban{900};  // first ban; doubles per earlier ban in `memory`
    std::chrono::seconds max_ban{86400};  // escalation cap
    std::chrono::seconds memory{86400};   // how long an earlier ban counts as "repeat"
    unsigned account_free_failures = 3;   // account failures in `window` before any delay
    std::chrono::seconds account_first_delay{1};  // then 1, 2, 4, 8 s ...
    std::chrono::seconds account_max_delay{15};   // ... capped here: never a lockout
    std::size_t max_tracked_ips = 100000;
    std::size_t max_tracked_accounts = 100000;
    std::vector<std::string> allowlist;  // CIDRs ("192.0.2.0/24", "2001:db8::/32", "::1");
                                         // empty by default; loopback is NOT implied
};

// An IP address or network, 16 bytes (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d).
struct Cidr {
    std::array<std::uint8_t, 16> address{};
    unsigned prefix = 128;
    bool contains(const std::array<std::uint8_t, 16>& ip) const;
};
// "a.b.c.d[/n]" or "v6[/n]"; host bits must be zero. Error text names the problem.
Result<Cidr, std::string> parse_cidr(std::string_view text);
// Canonical text of an IP ("::ffff:192.0.2.1" -> "192.0.2.1"); nullopt if not an IP.
std::optional<std::string> canonical_ip(std::string_view text);

// The account delay rule: the first account_free_failures failed AUTHs of an account within
// `window` cost nothing; each further one waits account_first_delay, doubling per failure
// (1, 2, 4, 8 s), capped at account_max_delay (15 s). It counts failures from every IP, which is
// what slows an attack spread over many IPs. It is a delay, never a refusal: the real user on a
// clean (unbanned) IP still logs in, waiting at most account_max_delay, and that success resets
// the account's count. Account names are compared case-insensitively (ASCII).
struct FailureOutcome {
    bool ban_started = false;               // this failure started a ban of the IP
    std::optional<TimePoint> banned_until;  // set when the IP is banned now
    std::chrono::milliseconds delay{0};     // wait this long before answering the failure
};

class FailureTracker {
public:
    // Throws std::invalid_argument naming a bad allowlist entry (config validates it first
    // with parse_cidr). With a store, active bans are loaded now; a corrupt file is logged
    // (reason=ban_store_corrupt) and the tracker starts with no bans.
    explicit FailureTracker(BanPolicy policy = {}, Clock clock = std::chrono::system_clock::now,
                            std::shared_ptr<BanStore> store = nullptr);

    // Until when this IP is banned, or nullopt. Allowlisted IPs are never banned.
    std::optional<TimePoint> check_ip(std::string_view ip) const;

    // A failed AUTH from ip for account (account may be empty when the client sent none).
    FailureOutcome record_failure(std::string_view ip, std::string_view account);

    // A successful AUTH: forgets the IP's failures in the window and the account's failures, so
    // the account delay resets. An active ban is not lifted (the IP could not have logged in).
    void record_success(std::string_view ip, std::string_view account);

    // Delay to apply before verifying a password for account (the same progressive rule as
    // FailureOutcome::delay, without counting a failure). Capped at account_max_delay.
    std::chrono::milliseconds account_delay(std::string_view account) const;

    // Manual administration (mailwarden ban add|remove|list). ban() refuses (false) an
    // allowlisted or unparsable IP; unban() returns whether a ban was lifted.
    bool ban(std::string_view ip, TimePoint until, std::string reason);
    bool unban(std::string_view ip);
    std::vector<Ban> list() const;  // active bans, sorted by IP

    std::size_t tracked_ips() const;
    std::size_t tracked_accounts() const;

private:
    struct Entry {
        std::vector<TimePoint> failures;    // within the window, oldest first
        std::vector<TimePoint> ban_starts;  // automatic bans within `memory`
        std::list<std::string>::iterator lru;
    };
    using Table = std::unordered_map<std::string, Entry>;
    struct Tracked {
        Table map;
        std::list<std::string> lru;  // front = least recently touched
    };

    bool allowlisted(std::string_view canonical) const;
    Entry& touch(Tracked& table, const std::string& key, std::size_t cap);
    void prune(std::vector<TimePoint>& times, TimePoint oldest) const;
    std::chrono::milliseconds delay_for(std::size_t failures) const;
    std::chrono::seconds ban_length(std::size_t earlier_bans) const;
    void drop_expired_bans(TimePoint now) const;
    void persist(std::unique_lock<std::mutex>& lock);

    BanPolicy policy_;
    Clock clock_;
    std::shared_ptr<BanStore> store_;
    std::vector<Cidr> allowlist_;

    mutable std::mutex mutex_;
    Tracked ips_;
    Tracked accounts_;
    mutable std::unordered_map<std::string, Ban> bans_;  // by canonical IP
    std::uint64_t ban_version_ = 0;

    std::mutex save_mutex_;            // serialises writes; taken without mutex_ held
    std::uint64_t saved_version_ = 0;  // guarded by save_mutex_
};

}  // namespace mw::auth
