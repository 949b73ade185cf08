// `mailwarden ban list|add|remove`: the IP bans of the brute-force defence (issue #3 part 6),
// edited in DATA_DIR/bans.json. Safe while the server runs: every change is a read-modify-write
// under the same flock the server takes (BanStore::update), written to a temporary file and
// renamed, and the server re-reads the file when it changes (within about a second).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>

#include "auth/ban_store.hpp"
#include "auth/failure_tracker.hpp"
#include "cli/commands.hpp"

namespace mw::cli {

namespace {

using auth::Ban;
using auth::TimePoint;
using std::chrono::seconds;

constexpr seconds kMaxManualBan{10LL * 366 * 86400};

struct BanArgs {
    std::string network;
    std::optional<std::string> duration;
    std::string reason = "manual";
    bool json = false;
};

std::string utc_text(TimePoint when) {
    if (when.time_since_epoch().count() == 0) return "-";
    const std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

long long epoch(TimePoint t) {
    return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

auth::Cidr network_arg(const std::string& text) {
    auto cidr = auth::parse_cidr(text);
    if (!cidr)
        throw CommandError{kExitUsage, "'" + text + "' is not an IP address or CIDR network (" +
                                           cidr.error() +
                                           "); write e.g. 192.0.2.7, 192.0.2.0/24 or "
                                           "2001:db8:1:2::/64"};
    return *cidr;
}

auth::BanStore store_for(const Context& ctx, const config::Settings& settings) {
    ctx.ensure_data_dir(settings);
    return auth::BanStore(settings.data_dir.string());
}

int ban_list(Context& ctx, const BanArgs& args) {
    const auto settings = ctx.load_settings();
    auto bans = auth::BanStore(settings.data_dir.string()).load(std::chrono::system_clock::now());
    if (!bans)
        throw CommandError{kExitRuntime,
                           settings.data_dir.string() + "/bans.json: " + bans.error()};
    if (args.json) {
        auto out = nlohmann::json::array();
        for (const auto& b : *bans)
            out.push_back({{"network", b.network},
                           {"since", b.since.time_since_epoch().count() ? utc_text(b.since) : ""},
                           {"since_epoch", epoch(b.since)},
                           {"until", utc_text(b.until)},
                           {"until_epoch", epoch(b.until)},
                           {"failures", b.failures},
                           {"reason", b.reason}});
        ctx.io.out << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return kExitOk;
    }
    if (bans->empty()) {
        ctx.io.out << "no active bans\n";
        return kExitOk;
    }
    std::size_t width = 7;
    for (const auto& b : *bans) width = std::max(width, b.network.size());
    auto pad = [](std::string s, std::size_t n) {
        s.resize(std::max(n, s.size()), ' ');
        return s;
    };
    ctx.io.out << pad("NETWORK", width) << "  " << pad("SINCE", 23) << "  " << pad("UNTIL", 23)
               << "  FAILURES  REASON\n";
    for (const auto& b : *bans)
        ctx.io.out << pad(b.network, width) << "  " << pad(utc_text(b.since), 23) << "  "
                   << pad(utc_text(b.until), 23) << "  " << pad(std::to_string(b.failures), 8)
                   << "  " << b.reason << "\n";
    return kExitOk;
}

int ban_add(Context& ctx, const BanArgs& args) {
    const auth::Cidr net = network_arg(args.network);
    const auto settings = ctx.load_settings();
    seconds length = settings.ban_policy.max_ban;
    if (args.duration) {
        auto parsed = parse_duration(*args.duration);
        if (!parsed) throw CommandError{kExitUsage, parsed.error()};
        length = *parsed;
    }
    for (const auto& entry : settings.ban_policy.allowlist) {
        auto allowed = auth::parse_cidr(entry);
        if (allowed && allowed->contains(net))
            throw CommandError{kExitUsage, net.text() + " is in auth.ban_allowlist (" + entry +
                                               "), which is never banned; remove it from the "
                                               "allowlist first"};
    }
    const TimePoint now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
    const Ban ban{net.text(), now + length, args.reason, now, 0};
    auto store = store_for(ctx, settings);
    auto updated = store.update(
        now,
        [&ban](std::vector<Ban>& bans) {
            std::erase_if(bans, [&](const Ban& b) { return b.network == ban.network; });
            bans.push_back(ban);
        },
        /*replace_corrupt=*/false);
    if (!updated) throw CommandError{kExitRuntime, updated.error()};
    ctx.io.out << "banned " << ban.network << " until " << utc_text(ban.until) << " (" << ban.reason
               << ")\n";
    return kExitOk;
}

int ban_remove(Context& ctx, const BanArgs& args) {
    const auth::Cidr net = network_arg(args.network);
    const auto settings = ctx.load_settings();
    auto store = store_for(ctx, settings);
    std::vector<std::string> lifted;
    auto updated = store.update(
        std::chrono::system_clock::now(),
        [&](std::vector<Ban>& bans) {
            // Exactly this network; or, for a single address, every ban that covers it (what
            // the 421 reply named may be its /64).
            const bool exact = std::any_of(bans.begin(), bans.end(),
                                           [&](const Ban& b) { return b.network == net.text(); });
            std::erase_if(bans, [&](const Ban& b) {
                bool match = b.network == net.text();
                if (!exact && net.prefix == 128) {
                    auto banned = auth::parse_cidr(b.network);
                    match = banned && banned->contains(net.address);
                }
                if (match) lifted.push_back(b.network);
                return match;
            });
        },
        /*replace_corrupt=*/false);
    if (!updated) throw CommandError{kExitRuntime, updated.error()};
    if (lifted.empty())
        throw CommandError{kExitUsage,
                           "no ban covers " + net.text() + " (mailwarden ban list shows them)"};
    for (const auto& n : lifted) ctx.io.out << "removed ban " << n << "\n";
    return kExitOk;
}

}  // namespace

Result<seconds, std::string> parse_duration(std::string_view text) {
    const std::string bad = "bad duration '" + std::string(text) +
                            "': write a whole number with a unit s, m, h, d or w (30m, 12h, 7d), "
                            "at most 10 years";
    if (text.empty()) return unexpected(bad);
    long long count = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec != std::errc{} || end == text.data() || count <= 0) return unexpected(bad);
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    long long scale = 0;
    if (unit == "s" || unit.empty()) scale = 1;
    if (unit == "m") scale = 60;
    if (unit == "h") scale = 3600;
    if (unit == "d") scale = 86400;
    if (unit == "w") scale = 7 * 86400;
    if (scale == 0 || count > kMaxManualBan.count() / scale) return unexpected(bad);
    return seconds{count * scale};
}

void add_ban_commands(CLI::App& app, Context& ctx) {
    auto* ban = app.add_subcommand(
        "ban", "List, add and remove IP bans (works while the server runs)");
    ban->require_subcommand(1);
    auto args = std::make_shared<BanArgs>();

    auto* list = ban->add_subcommand(
        "list", "Active bans: network, since, until, failed logins, reason");
    list->add_flag("--json", args->json,
                   "JSON array of {network, since, since_epoch, until, until_epoch, failures, "
                   "reason}");
    add_global_options(*list, ctx);
    list->callback([&ctx, args] { ctx.action = [&ctx, args] { return ban_list(ctx, *args); }; });

    auto* add = ban->add_subcommand(
        "add", "Ban an IP address or CIDR network (exactly as given: 2001:db8::1 is one address)");
    add->add_option("NETWORK", args->network, "e.g. 192.0.2.7, 192.0.2.0/24, 2001:db8:1:2::/64")
        ->required();
    add->add_option("--for", args->duration,
                    "How long: 30m, 12h, 7d, 2w (default: auth.ban_max_duration)");
    add->add_option("--reason", args->reason, "Shown by ban list (default: manual)");
    add_global_options(*add, ctx);
    add->callback([&ctx, args] { ctx.action = [&ctx, args] { return ban_add(ctx, *args); }; });

    auto* remove = ban->add_subcommand(
        "remove", "Lift a ban: the network given, or every ban covering the address given");
    remove->add_option("NETWORK", args->network)->required();
    add_global_options(*remove, ctx);
    remove->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return ban_remove(ctx, *args); }; });
}

}  // namespace mw::cli
