// SqliteDirectory, second half: aliases, the per-domain catch-all, send-as grants, and the
// lookups the relay and sender policies make (resolve_recipient, may_send_as).
// Security: an alias may not shadow a user, alias targets in a hosted domain must be users (no
// chains, so no loops), and a catch-all never answers for an invalid local part.
#include "directory/address.hpp"
#include "directory/sqlite_support.hpp"

namespace mw::directory::detail {
namespace {

constexpr std::string_view kNow = "CAST(strftime('%s','now') AS INTEGER)";

struct AliasName {
    std::string address;     // "local@domain" or "@domain"
    std::string local_part;  // "" for the catch-all
    std::string domain;
};

// "@example.org" names the catch-all of example.org; anything else must be an address.
Result<AliasName, std::string> parse_alias_name(std::string_view alias) {
    if (alias.starts_with('@')) {
        auto domain = canonical_domain(alias.substr(1));
        if (!domain) return unexpected(domain.error());
        return AliasName{"@" + *domain, "", *domain};
    }
    auto addr = canonical_address(alias);
    if (!addr) return unexpected(addr.error());
    return AliasName{addr->address(), addr->local_part, addr->domain};
}

std::string not_hosted(const std::string& domain) {
    return "domain " + domain + " is not hosted here: add it first with 'mailwarden domain add " +
           domain + "'";
}

}  // namespace

std::vector<std::string> SqliteDirectory::alias_targets(const std::string& alias) {
    Statement st(db_, "SELECT target FROM alias_targets WHERE alias = ?1 ORDER BY target");
    st.bind(1, alias);
    std::vector<std::string> out;
    while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
    return out;
}

Result<std::string, std::string> SqliteDirectory::check_alias_target(std::string_view target) {
    auto addr = canonical_address(target);
    if (!addr) return unexpected("alias target: " + addr.error());
    const std::string address = addr->address();
    if (row_exists("SELECT 1 FROM domains WHERE name = ?1", addr->domain) &&
        !row_exists("SELECT 1 FROM users WHERE address = ?1", address))
        return unexpected("alias target " + address +
                          " is not an account here: targets in a hosted domain must be users "
                          "(no alias chains); create it with 'mailwarden user add " +
                          address + "'");
    return address;
}

Result<Alias, std::string> SqliteDirectory::add_alias(std::string_view alias,
                                                      const std::vector<std::string>& targets) {
    auto name = parse_alias_name(alias);
    if (!name) return unexpected(name.error());
    if (targets.empty())
        return unexpected("alias " + name->address +
                          " needs at least one target: mailwarden alias add ALIAS TARGET...");
    std::lock_guard lock(mutex_);
    Transaction tx(db_);
    if (!row_exists("SELECT 1 FROM domains WHERE name = ?1", name->domain))
        return unexpected(not_hosted(name->domain));
    if (row_exists("SELECT 1 FROM users WHERE address = ?1", name->address))
        return unexpected(name->address +
                          " is an account: an alias may not have the name of a user (pick "
                          "another name, or remove the user first)");
    std::vector<std::string> canonical;
    for (const auto& t : targets) {
        auto target = check_alias_target(t);
        if (!target) return unexpected(target.error());
        if (*target == name->address)
            return unexpected("alias " + name->address + " may not point to itself");
        canonical.push_back(std::move(*target));
    }
    Statement insert(db_,
                     "INSERT OR IGNORE INTO aliases (address, local_part, domain, "
                     "created_at) VALUES (?1, ?2, ?3, " +
                         std::string(kNow) + ")");
    insert.bind(1, name->address).bind(2, name->local_part).bind(3, name->domain).step();
    for (const auto& t : canonical) {
        Statement st(db_, "INSERT OR IGNORE INTO alias_targets (alias, target) VALUES (?1, ?2)");
        st.bind(1, name->address).bind(2, t).step();
    }
    tx.commit();
    return Alias{name->address, alias_targets(name->address)};
}

Result<bool, std::string> SqliteDirectory::remove_alias(std::string_view alias) {
    auto name = parse_alias_name(alias);
    if (!name) return unexpected(name.error());
    std::lock_guard lock(mutex_);
    Statement st(db_, "DELETE FROM aliases WHERE address = ?1");  // targets cascade
    st.bind(1, name->address).step();
    if (sqlite3_changes(db_) == 0) return unexpected("alias " + name->address + " does not exist");
    return true;
}

std::vector<Alias> SqliteDirectory::list_aliases(std::optional<std::string_view> domain) {
    std::string key;
    if (domain) {
        auto d = canonical_domain(*domain);
        if (!d) return {};
        key = std::move(*d);
    }
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT address FROM aliases WHERE ?1 = '' OR domain = ?1 "
                 "ORDER BY domain, local_part");
    st.bind(1, key);
    std::vector<Alias> out;
    while (st.step() == SQLITE_ROW) out.push_back(Alias{st.text(0), {}});
    for (auto& a : out) a.targets = alias_targets(a.address);
    return out;
}

Resolution SqliteDirectory::resolve_recipient(std::string_view address) {
    using Kind = Resolution::Kind;
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) return {Kind::NotLocal, {}};
    auto domain = canonical_domain(address.substr(at + 1));
    if (!domain) return {Kind::NotLocal, {}};
    std::lock_guard lock(mutex_);
    if (!row_exists("SELECT 1 FROM domains WHERE name = ?1", *domain)) return {Kind::NotLocal, {}};
    auto local = canonical_local_part(address.substr(0, at));
    if (!local) return {Kind::Unknown, {}};  // never the catch-all for a malformed name
    const std::string canonical = *local + "@" + *domain;
    if (row_exists("SELECT 1 FROM users WHERE address = ?1", canonical))
        return {Kind::User, {canonical}};
    // Local targets whose user has gone are skipped; external targets always count.
    const auto live_targets = [this](const std::string& alias) {
        Statement st(db_,
                     "SELECT t.target FROM alias_targets t WHERE t.alias = ?1 AND ("
                     "EXISTS (SELECT 1 FROM users u WHERE u.address = t.target) OR "
                     "NOT EXISTS (SELECT 1 FROM domains d WHERE "
                     "d.name = substr(t.target, instr(t.target, '@') + 1))) ORDER BY t.target");
        st.bind(1, alias);
        std::vector<std::string> out;
        while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
        return out;
    };
    if (row_exists("SELECT 1 FROM aliases WHERE address = ?1", canonical)) {
        auto targets = live_targets(canonical);
        if (targets.empty()) return {Kind::Unknown, {}};
        return {Kind::Alias, std::move(targets)};
    }
    auto catch_all = live_targets("@" + *domain);
    if (!catch_all.empty()) return {Kind::CatchAll, std::move(catch_all)};
    return {Kind::Unknown, {}};
}

Result<bool, std::string> SqliteDirectory::add_send_as(std::string_view login,
                                                       std::string_view address) {
    auto user = canonical_address(login);
    if (!user) return unexpected(user.error());
    auto addr = canonical_address(address);
    if (!addr) return unexpected(addr.error());
    if (user->address() == addr->address())
        return unexpected(addr->address() + " is the user's own address: no grant needed");
    std::lock_guard lock(mutex_);
    Statement st(db_, "INSERT INTO send_as (login, address, created_at) VALUES (?1, ?2, " +
                          std::string(kNow) + ")");
    const int rc = st.bind(1, user->address()).bind(2, addr->address()).step();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return unexpected("user " + user->address() + " does not exist");
    if (rc != SQLITE_DONE)
        return unexpected(user->address() + " may already send as " + addr->address());
    return true;
}

Result<bool, std::string> SqliteDirectory::remove_send_as(std::string_view login,
                                                          std::string_view address) {
    auto user = canonical_address(login);
    if (!user) return unexpected(user.error());
    auto addr = canonical_address(address);
    if (!addr) return unexpected(addr.error());
    std::lock_guard lock(mutex_);
    Statement st(db_, "DELETE FROM send_as WHERE login = ?1 AND address = ?2");
    st.bind(1, user->address()).bind(2, addr->address()).step();
    if (sqlite3_changes(db_) == 0)
        return unexpected(user->address() + " has no send-as grant for " + addr->address() +
                          " (see mailwarden user send-as list " + user->address() + ")");
    return true;
}

std::vector<std::string> SqliteDirectory::list_send_as(std::string_view login) {
    auto user = canonical_address(login);
    if (!user) return {};
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT address FROM send_as WHERE login = ?1 ORDER BY address");
    st.bind(1, user->address());
    std::vector<std::string> out;
    while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
    return out;
}

bool SqliteDirectory::may_send_as(std::string_view login, std::string_view address) {
    auto user = canonical_address(login);
    auto addr = canonical_address(address);
    if (!user || !addr) return false;
    std::lock_guard lock(mutex_);
    if (!row_exists("SELECT 1 FROM users WHERE address = ?1", user->address())) return false;
    if (user->address() == addr->address()) return true;
    // canonical_address never yields "@domain", so a catch-all grants nothing here.
    Statement st(db_,
                 "SELECT 1 FROM alias_targets WHERE alias = ?2 AND target = ?1 UNION ALL "
                 "SELECT 1 FROM send_as WHERE login = ?1 AND address = ?2");
    return st.bind(1, user->address()).bind(2, addr->address()).step() == SQLITE_ROW;
}

std::vector<std::string> SqliteDirectory::owned_addresses(std::string_view login) {
    auto user = canonical_address(login);
    if (!user) return {};
    std::lock_guard lock(mutex_);
    if (!row_exists("SELECT 1 FROM users WHERE address = ?1", user->address())) return {};
    std::vector<std::string> out{user->address()};
    Statement st(db_,
                 "SELECT alias FROM alias_targets WHERE target = ?1 AND alias NOT LIKE '@%' "
                 "UNION SELECT address FROM send_as WHERE login = ?1 ORDER BY 1");
    st.bind(1, user->address());
    while (st.step() == SQLITE_ROW) out.push_back(st.text(0));
    return out;
}

}  // namespace mw::directory::detail
