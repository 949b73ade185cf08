// `mailwarden explain` and `mailwarden test-auth` (issue #5 part 5): the admin's side of a
// refusal. explain reads the decision log (src/decision) and shows what was refused, when, on
// which listener, with which TLS and login state, the cause id and the fix; test-auth runs the
// password check a mail client's AUTH runs (policy::check_password) and names the cause.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

#include "auth/failure_tracker.hpp"
#include "cli/commands.hpp"
#include "decision/decision_log.hpp"
#include "policy/credentials.hpp"

namespace mw::cli {

namespace {

struct ExplainArgs {
    std::optional<std::string> ip, address, ref;
    std::size_t limit = 20;
    bool json = false;
};

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string local_and_utc(std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

// What the admin does about each cause. The client already got the user's fix in the reply
// text (shown too); these lines add what only the server side can see or change.
std::string admin_fix(const decision::Decision& d) {
    const std::string& c = d.cause;
    if (c == "auth_failed" && d.detail == "unknown_user")
        return "no account " + d.subject +
               " exists: the user mistyped the address, or create it with `mailwarden user add`";
    if (c == "auth_failed" && d.detail == "scram_no_credentials")
        return "the account's password was imported as a hash, which SCRAM cannot use: set it "
               "again with `mailwarden user passwd`, or let the client use PLAIN";
    if (c == "auth_failed")
        return "the account exists and the password is wrong: the user corrects it in the mail "
               "client, or you reset it with `mailwarden user passwd " + d.subject + "`";
    if (c == "auth_short_username")
        return "the mail client's username is \"" + d.subject +
               "\": it must be the full email address";
    if (c == "ip_banned")
        return "the client address is blocked after failed logins; lift it early with "
               "`mailwarden ban remove " + d.ip + "` once the password is corrected";
    if (c == "auth_required")
        return "the mail client sends without logging in: turn on \"outgoing server requires "
               "authentication\" with the full email address";
    if (c == "tls_required" || c == "auth_needs_tls")
        return "the mail client's connection security is None: set SSL/TLS (port 465) or "
               "STARTTLS (port 587)";
    if (c == "auth_wrong_port" || c == "mail_client_wrong_port")
        return "a mail client uses the MX port (25): set its outgoing server to port 465 "
               "(SSL/TLS) or 587 (STARTTLS) with authentication";
    if (c == "relay_unauthenticated")
        return "a client that is not logged in tried to send to another domain: a mail client "
               "without authentication, or someone probing for an open relay";
    if (c == "sender_not_owned")
        return d.login + " may not send as " + d.subject +
               ": change the From address, or grant it with `mailwarden user send-as add " +
               d.login + " " + d.subject + "`";
    if (c == "rate_limited")
        return d.login + " reached submission.max_messages_per_hour: if the mail is wanted, "
               "raise the limit; if not, the password may be stolen";
    if (c == "mailbox_full")
        return d.account + " is over mailbox.quota: the user deletes mail, or raise the quota";
    if (c == "domain_not_hosted")
        return "mail arrives for a domain that is not set up: `mailwarden domain add` it, or "
               "fix its MX record";
    if (c == "message_too_big" || c == "declared_size_too_big")
        return "the message is over server.max_message_size";
    return "see the reply text; docs/replies.md lists every cause";
}

bool matches(const decision::Decision& d, const ExplainArgs& args,
             const std::optional<auth::Cidr>& network) {
    if (args.ref) {
        std::string want = *args.ref;
        if (want.rfind("ref=", 0) == 0) want = want.substr(4);
        std::transform(want.begin(), want.end(), want.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (d.ref != want) return false;
    }
    if (network) {
        auto ip = auth::parse_cidr(d.ip);
        if (!ip || !network->contains(*ip)) return false;
    }
    if (args.address) {
        auto want = lower(*args.address);
        if (lower(d.subject) != want && lower(d.account) != want && lower(d.login) != want)
            return false;
    }
    return true;
}

int explain(Context& ctx, const ExplainArgs& args) {
    if (!args.ip && !args.address && !args.ref)
        throw CommandError{kExitUsage,
                           "say what to explain: --ref TOKEN (from the refusal the user saw), "
                           "--ip ADDRESS or --address USER@DOMAIN"};
    std::optional<auth::Cidr> network;
    if (args.ip) {
        auto parsed = auth::parse_cidr(*args.ip);
        if (!parsed)
            throw CommandError{kExitUsage, "'" + *args.ip + "' is not an IP address or network (" +
                                               parsed.error() + ")"};
        network = *parsed;
    }
    const auto settings = ctx.load_settings();
    const auto file = config::decision_log_path(settings);
    auto all = decision::DecisionLog::read_all(file, settings.decision_log_files);
    std::vector<decision::Decision> found;
    for (auto& d : all)
        if (matches(d, args, network)) found.push_back(std::move(d));
    if (found.size() > args.limit)
        found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(args.limit));
    if (args.json) {
        auto out = nlohmann::json::array();
        for (const auto& d : found) {
            auto j = nlohmann::json::parse(decision::format_json(d));
            j["fix"] = admin_fix(d);
            out.push_back(std::move(j));
        }
        ctx.io.out << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return found.empty() ? kExitUsage : kExitOk;
    }
    if (found.empty()) {
        ctx.io.out << "no refusal found in " << file.string()
                   << " (and its rotated files) for that; it may be older than the log "
                      "keeps, or the server accepted it\n";
        return kExitUsage;
    }
    for (const auto& d : found) {
        ctx.io.out << local_and_utc(d.when) << "  ref=" << d.ref << "  listener=" << d.listener
                   << "  ip=" << d.ip << "\n"
                   << "  connection: " << (d.tls.empty() ? "no TLS" : "TLS " + d.tls)
                   << ", " << (d.login.empty() ? "not logged in" : "logged in as " + d.login)
                   << "\n"
                   << "  refused:    " << (d.command.empty() ? "the connection" : d.command)
                   << " with " << d.code << (d.esc.empty() ? "" : " " + d.esc)
                   << ", cause " << d.cause << (d.detail.empty() ? "" : " (" + d.detail + ")")
                   << (d.subject.empty() ? "" : ", for " + d.subject) << "\n"
                   << "  client saw: " << d.text << "\n"
                   << "  fix:        " << admin_fix(d) << "\n\n";
    }
    return kExitOk;
}

struct TestAuthArgs {
    std::string address;
};

int test_auth(Context& ctx, const TestAuthArgs& args) {
    std::string password;
    if (!std::getline(ctx.io.in, password))
        throw CommandError{kExitUsage, "no password on standard input: pipe it in, e.g. "
                                       "printf '%s\\n' \"$PASSWORD\" | mailwarden test-auth "
                                       "ADDRESS"};
    if (password.ends_with('\r')) password.pop_back();
    // The same order as a mail client's AUTH: the username's shape, then the password check.
    if (args.address.find('@') == std::string::npos) {
        ctx.io.out << "failed: auth_short_username: \"" << args.address
                   << "\" is not a full email address; mail clients must log in with the whole "
                      "address, like alice@example.org\n";
        return kExitUsage;
    }
    const auto settings = ctx.load_settings();
    auto directory = ctx.open_directory(settings);
    auto checked = policy::check_password(args.address, password, *directory);
    if (checked.verdict.kind == smtp::AuthVerdict::Kind::Ok) {
        ctx.io.out << "ok: logged in as " << checked.verdict.login << "\n";
        return kExitOk;
    }
    if (checked.verdict.cause == "wrong_password")
        ctx.io.out << "failed: auth_failed (wrong_password): the account "
                   << checked.verdict.account
                   << " exists, the password does not match; a mail client sees 535 5.7.8\n";
    else
        ctx.io.out << "failed: auth_failed (unknown_user): there is no account " << args.address
                   << "; a mail client sees the same 535 5.7.8 as for a wrong password\n";
    return kExitUsage;
}

}  // namespace

void add_explain_commands(CLI::App& app, Context& ctx) {
    auto explain_args = std::make_shared<ExplainArgs>();
    auto* cmd = app.add_subcommand(
        "explain", "Show recent refusals (decision log) with their cause and fix");
    cmd->add_option("--ref", explain_args->ref, "Reference token the client saw (ref=K7QF2)");
    cmd->add_option("--ip", explain_args->ip, "Client address or network");
    cmd->add_option("--address", explain_args->address,
                    "Email address: the login, the address tried or the account concerned");
    cmd->add_option("--limit", explain_args->limit, "Most recent decisions shown (default 20)")
        ->check(CLI::Range(1, 100000));
    cmd->add_flag("--json", explain_args->json, "JSON array instead of text");
    add_global_options(*cmd, ctx);
    cmd->callback([&ctx, explain_args] { ctx.action = [&ctx, explain_args] {
                                             return explain(ctx, *explain_args);
                                         }; });

    auto auth_args = std::make_shared<TestAuthArgs>();
    auto* test = app.add_subcommand(
        "test-auth", "Check a login the way SMTP AUTH does (password read from standard input)");
    test->add_option("address", auth_args->address, "Full email address")->required();
    add_global_options(*test, ctx);
    test->callback([&ctx, auth_args] {
        ctx.action = [&ctx, auth_args] { return test_auth(ctx, *auth_args); };
    });
}

}  // namespace mw::cli
