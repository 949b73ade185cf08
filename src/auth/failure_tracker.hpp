// FailureTracker: brute-force defence for SMTP AUTH (issue #3 part 6). Counts failed AUTH per
// client IP and per account in a sliding window, bans an IP past a threshold (escalating for
// repeat offenders), and slows down attacks on one account spread over many IPs.
// What is counted and banned is the client's "host": an IPv4 address, or the IPv6 /64 the
// address is in (one host or LAN usually owns a whole /64, and could otherwise rotate
// addresses inside it to dodge the ban).
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
    std::chrono::seconds first_ban{900};  // first ban; grows per earlier ban in `memory`
    unsigned ban_growth = 2;              // each repeat ban lasts this many times the previous
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
    unsigned prefix = 128;  // in IPv6 terms: an IPv4 /24 is 120
    bool contains(const std::array<std::uint8_t, 16>& ip) const;
    bool contains(const Cidr& inner) const;  // inner lies wholly inside this network
    bool is_v4() const;
    // "192.0.2.7", "192.0.2.0/24", "2001:db8::1", "2001:db8:1:2::/64": a single address
    // without a prefix, IPv4 in IPv4 terms.
    std::string text() const;
};
// "a.b.c.d[/n]" or "v6[/n]"; host bits must be zero. Error text names the problem.
Result<Cidr, std::string> parse_cidr(std::string_view text);
// Every entry of a configured list, or the first bad one named ("what: entry: problem").
Result<std::vector<Cidr>, std::string> parse_cidr_list(const std::vector<std::string>& entries,
                                                       std::string_view what);
bool any_contains(const std::vector<Cidr>& networks, std::string_view ip);
// Canonical text of an IP ("::ffff:192.0.2.1" -> "192.0.2.1"); nullopt if not an IP.
std::optional<std::string> canonical_ip(std::string_view text);
// Canonical text of an IP or network (Cidr::text); nullopt if it is neither.
std::optional<std::string> canonical_network(std::string_view text);
// What a failure from ip counts against and what a ban of it covers: the IPv4 address, or the
// IPv6 /64 around the address ("2001:db8:1:2::/64"); nullopt if ip is not an IP.
std::optional<std::string> host_network(std::string_view ip);

// The account delay rule: the first account_free_failures failed AUTHs of an account within
// `window` cost nothing; each further one waits account_first_delay, doubling per failure
// (1, 2, 4, 8 s), capped at account_max_delay (15 s). It counts failures from every IP, which is
// what slows an attack spread over many IPs. It is a delay, never a refusal: the real user on a
// clean (unbanned) IP still logs in, waiting at most account_max_delay, and that success resets
// the account's count. Account names are compared case-insensitively (ASCII).
struct FailureOutcome {
    bool ban_started = false;               // this failure started a ban of the IP
    std::optional<TimePoint> banned_until;  // set when the IP is banned now
    std::string banned_network;             // what the ban covers (host_network), when banned
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
    // The ban that covers this IP (its own, its /64's, or a manual network ban), or nullopt.
    std::optional<Ban> find_ban(std::string_view ip) const;

    // Picks up changes another process (`mailwarden ban add|remove`) made to the ban file. Cheap
    // enough for every accepted connection: it looks at the file at most once a second (by the
    // tracker's clock) and reads it only when its identity changed.
    void refresh_from_store();

    // A failed AUTH from ip for account (account may be empty when the client sent none).
    FailureOutcome record_failure(std::string_view ip, std::string_view account);

    // A successful AUTH: forgets the IP's failures in the window and the account's failures, so
    // the account delay resets. An active ban is not lifted (the IP could not have logged in).
    void record_success(std::string_view ip, std::string_view account);

    // Delay to apply before verifying a password for account (the same progressive rule as
    // FailureOutcome::delay, without counting a failure). Capped at account_max_delay.
    std::chrono::milliseconds account_delay(std::string_view account) const;

    // Manual administration. ban() takes an IP or a network exactly as given (a single IPv6
    // address bans only that address) and refuses (false) an unparsable one or one wholly inside
    // the allowlist. unban() lifts the ban of exactly that network, or, given a single address,
    // every ban covering it; it returns whether a ban was lifted.
    bool ban(std::string_view network, TimePoint until, std::string reason);
    bool unban(std::string_view network);
    std::vector<Ban> list() const;  // active bans, sorted by network

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

    struct ActiveBan {
        Ban ban;
        Cidr net;
    };
    // A change not yet in the file. The file is the shared truth (the CLI edits it too), so
    // the tracker writes changes, not snapshots: each save re-reads the file under its lock,
    // applies the pending changes and takes the result as its new state.
    struct Change {
        bool add = true;
        Ban ban;  // for a removal only ban.network counts
    };

    bool allowlisted(std::string_view canonical) const;
    Entry& touch(Tracked& table, const std::string& key, std::size_t cap);
    void prune(std::vector<TimePoint>& times, TimePoint oldest) const;
    std::chrono::milliseconds delay_for(std::size_t failures) const;
    std::chrono::seconds ban_length(std::size_t earlier_bans) const;
    void drop_expired_bans(TimePoint now) const;
    const ActiveBan* lookup(std::string_view ip, TimePoint now) const;  // mutex_ held
    void apply(const Change& change);                                    // mutex_ held
    void install(const std::vector<Ban>& from_file);                     // mutex_ held
    void flush();  // writes unsaved_ to the store; called without mutex_ held

    BanPolicy policy_;
    Clock clock_;
    std::shared_ptr<BanStore> store_;
    std::vector<Cidr> allowlist_;

    mutable std::mutex mutex_;
    Tracked ips_;       // by host_network
    Tracked accounts_;
    mutable std::unordered_map<std::string, ActiveBan> bans_;  // by Ban::network
    // Bans that are not a host key (a manual /24, /48 ...): lookups scan them only when present.
    std::size_t network_bans_ = 0;
    std::vector<Change> unsaved_;  // in memory already, not yet in the file
    TimePoint next_refresh_{};

    std::mutex save_mutex_;           // serialises file access; taken without mutex_ held
    FileIdentity known_identity_;     // guarded by save_mutex_: the file as last read/written
};

}  // namespace mw::auth
