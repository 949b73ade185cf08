#include "config/setting_table.hpp"

#include <algorithm>

namespace mw::config {
namespace {

std::int64_t num(const SettingValue& v) {
    return std::get<std::int64_t>(v);
}
const std::string& str(const SettingValue& v) {
    return std::get<std::string>(v);
}
template <class T>
std::int64_t i64(T v) {
    return static_cast<std::int64_t>(v);
}

ListenerSettings& listener(Settings& s, std::string_view name) {
    auto it = std::find_if(s.listeners.begin(), s.listeners.end(),
                           [&](const ListenerSettings& l) { return l.name == name; });
    if (it != s.listeners.end()) return *it;
    // Loaded settings always hold all three; this keeps a hand-built Settings usable.
    const auto kind = name == "mx"           ? smtp::ListenerKind::Mx
                      : name == "submission" ? smtp::ListenerKind::Submission
                                             : smtp::ListenerKind::Submissions;
    s.listeners.push_back({std::string(name), kind, {}, false});
    return s.listeners.back();
}
const ListenerSettings* listener(const Settings& s, std::string_view name) {
    for (const auto& l : s.listeners)
        if (l.name == name) return &l;
    return nullptr;
}

// Listener entries differ only in the name, so the accessors are templated on it.
template <const std::string_view& Name>
SettingValue get_addresses(const Settings& s) {
    const auto* l = listener(s, Name);
    return l ? l->addresses : std::vector<std::string>{};
}
template <const std::string_view& Name>
void set_addresses(Settings& s, const SettingValue& v) {
    listener(s, Name).addresses = std::get<std::vector<std::string>>(v);
}
template <const std::string_view& Name>
SettingValue get_enabled(const Settings& s) {
    const auto* l = listener(s, Name);
    return l && l->enabled;
}
template <const std::string_view& Name>
void set_enabled(Settings& s, const SettingValue& v) {
    listener(s, Name).enabled = std::get<bool>(v);
}

constexpr std::string_view kMx = "mx";
constexpr std::string_view kSubmission = "submission";
constexpr std::string_view kSubmissions = "submissions";
constexpr std::int64_t kMaxCount = 1'000'000;

const SettingDef kTable[] = {
    {"data_dir", SettingType::Path,
     "Where the directory, spool and mailboxes live (created on first start).", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.data_dir.string(); },
     [](Settings& s, const SettingValue& v) { s.data_dir = str(v); }},
    {"hostname", SettingType::String,
     "Our name in the greeting, EHLO and Received: lines; empty: this machine's host name.", 0, 0,
     "", [](const Settings& s) -> SettingValue { return s.hostname; },
     [](Settings& s, const SettingValue& v) { s.hostname = str(v); }},
    {"limits.max_recipients", SettingType::Integer,
     "Recipients per message; more get 452 4.5.3 (RFC 5321 4.5.3.1.8 asks for at least 100).", 1,
     100'000, "", [](const Settings& s) -> SettingValue { return i64(s.limits.max_recipients); },
     [](Settings& s, const SettingValue& v) {
         s.limits.max_recipients = static_cast<std::size_t>(num(v));
     }},
    {"limits.max_message_size", SettingType::Integer,
     "Largest message in bytes, announced as SIZE; larger ones get 552 5.3.4.", 1024,
     std::int64_t{1} << 40, "",
     [](const Settings& s) -> SettingValue { return i64(s.limits.max_message_size); },
     [](Settings& s, const SettingValue& v) {
         s.limits.max_message_size = static_cast<std::uint64_t>(num(v));
     }},
    {"limits.max_errors", SettingType::Integer,
     "Protocol errors a session may make before 421 4.7.0 and disconnect.", 1, 1000, "",
     [](const Settings& s) -> SettingValue { return i64(s.limits.max_errors); },
     [](Settings& s, const SettingValue& v) { s.limits.max_errors = static_cast<int>(num(v)); }},
    {"limits.command_timeout", SettingType::Seconds,
     "Seconds to wait for the next command (RFC 5321 4.5.3.2.7: at least 5 minutes).", 1, 3600, "",
     [](const Settings& s) -> SettingValue { return i64(s.limits.command_timeout.count()); },
     [](Settings& s, const SettingValue& v) {
         s.limits.command_timeout = std::chrono::seconds(num(v));
     }},
    {"limits.data_timeout", SettingType::Seconds, "Seconds to wait for more message data.", 1, 3600,
     "", [](const Settings& s) -> SettingValue { return i64(s.limits.data_timeout.count()); },
     [](Settings& s, const SettingValue& v) {
         s.limits.data_timeout = std::chrono::seconds(num(v));
     }},
    {"server.max_connections", SettingType::Integer,
     "Concurrent client connections over all listeners; more are refused.", 1, kMaxCount, "",
     [](const Settings& s) -> SettingValue { return i64(s.max_connections); },
     [](Settings& s, const SettingValue& v) {
         s.max_connections = static_cast<std::size_t>(num(v));
     }},
    {"server.max_connections_per_ip", SettingType::Integer,
     "Concurrent connections from one client IP address.", 1, kMaxCount, "",
     [](const Settings& s) -> SettingValue { return i64(s.max_connections_per_ip); },
     [](Settings& s, const SettingValue& v) {
         s.max_connections_per_ip = static_cast<std::size_t>(num(v));
     }},
    {"server.io_threads", SettingType::Integer, "Network I/O threads; 0: one per CPU core.", 0,
     1024, "", [](const Settings& s) -> SettingValue { return i64(s.io_threads); },
     [](Settings& s, const SettingValue& v) { s.io_threads = static_cast<unsigned>(num(v)); }},
    {"server.delivery_threads", SettingType::Integer,
     "Threads delivering spooled messages to mailboxes.", 1, 256, "",
     [](const Settings& s) -> SettingValue { return i64(s.delivery_threads); },
     [](Settings& s, const SettingValue& v) {
         s.delivery_threads = static_cast<unsigned>(num(v));
     }},
    {"server.shutdown_grace", SettingType::Seconds,
     "Seconds running sessions may finish after SIGTERM before they are closed.", 0, 3600, "",
     [](const Settings& s) -> SettingValue { return i64(s.shutdown_grace.count()); },
     [](Settings& s, const SettingValue& v) { s.shutdown_grace = std::chrono::seconds(num(v)); }},
    {"log.level", SettingType::String, "Least severe log level written.", 0, 0,
     "trace|debug|info|warn|error", [](const Settings& s) -> SettingValue { return s.log_level; },
     [](Settings& s, const SettingValue& v) { s.log_level = str(v); }},
    {"log.file", SettingType::Path, "Log file; empty: standard error.", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.log_file; },
     [](Settings& s, const SettingValue& v) { s.log_file = str(v); }},
    {"log.decision_file", SettingType::Path,
     "Decision log: one line per refusal, with the ref token the client saw (mailwarden explain, "
     "fail2ban); empty: DATA_DIR/decisions.log.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.decision_log_file; },
     [](Settings& s, const SettingValue& v) { s.decision_log_file = str(v); }},
    {"log.decision_max_bytes", SettingType::Integer,
     "Size at which the decision log is rotated (FILE.1, FILE.2, ...).", 4096,
     std::int64_t{1} << 40, "",
     [](const Settings& s) -> SettingValue { return i64(s.decision_log_max_bytes); },
     [](Settings& s, const SettingValue& v) {
         s.decision_log_max_bytes = static_cast<std::uint64_t>(num(v));
     }},
    {"log.decision_files", SettingType::Integer,
     "Decision log files kept, the current one included.", 1, 100, "",
     [](const Settings& s) -> SettingValue { return i64(s.decision_log_files); },
     [](Settings& s, const SettingValue& v) {
         s.decision_log_files = static_cast<unsigned>(num(v));
     }},
    {"log.decision_format", SettingType::String,
     "Decision log lines: key=value (stable, versioned, what the fail2ban filter reads) or JSON.",
     0, 0, "kv|json", [](const Settings& s) -> SettingValue { return s.decision_log_format; },
     [](Settings& s, const SettingValue& v) { s.decision_log_format = str(v); }},
    {"submission.max_messages_per_hour", SettingType::Integer,
     "Messages one login may send per hour (then 451 4.7.1 until the oldest is an hour old); "
     "0: no limit.",
     0, kMaxCount, "",
     [](const Settings& s) -> SettingValue { return i64(s.max_messages_per_hour); },
     [](Settings& s, const SettingValue& v) {
         s.max_messages_per_hour = static_cast<std::size_t>(num(v));
     }},
    {"mailbox.quota", SettingType::Integer,
     "Bytes a mailbox may hold; a full one gets 452 4.2.2 at RCPT (the sender retries); 0: no "
     "limit.",
     0, std::int64_t{1} << 50, "",
     [](const Settings& s) -> SettingValue { return i64(s.mailbox_quota); },
     [](Settings& s, const SettingValue& v) {
         s.mailbox_quota = static_cast<std::uint64_t>(num(v));
     }},
    {"spool.max_bytes", SettingType::Integer,
     "Refuse new mail (temporarily) when the spool holds this many bytes; 0: only the disk "
     "limits it.",
     0, std::int64_t{1} << 62, "",
     [](const Settings& s) -> SettingValue { return i64(s.spool_max_bytes); },
     [](Settings& s, const SettingValue& v) {
         s.spool_max_bytes = static_cast<std::uint64_t>(num(v));
     }},
    {"tls.certificate", SettingType::Path,
     "PEM certificate chain (leaf first); empty: a self-signed one in DATA_DIR/tls/.", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.tls_certificate; },
     [](Settings& s, const SettingValue& v) { s.tls_certificate = str(v); }},
    {"tls.key", SettingType::Path, "PEM private key of tls.certificate (mode 0600).", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.tls_key; },
     [](Settings& s, const SettingValue& v) { s.tls_key = str(v); }},
    {"tls.sni_directory", SettingType::Path,
     "Extra certificates for SNI: each NAME.pem (chain) with NAME.key, chosen by the names the "
     "certificate covers; empty: one certificate for every name.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.tls_sni_directory; },
     [](Settings& s, const SettingValue& v) { s.tls_sni_directory = str(v); }},
    {"auth.on_mx", SettingType::Boolean,
     "Also offer SMTP AUTH on the MX listener (mail clients belong on submission).", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.auth_on_mx; },
     [](Settings& s, const SettingValue& v) { s.auth_on_mx = std::get<bool>(v); }},
    {"auth.plaintext_on_loopback", SettingType::Boolean,
     "Allow AUTH without TLS for clients on 127.0.0.0/8 and ::1 (never for other addresses).", 0, 0,
     "", [](const Settings& s) -> SettingValue { return s.auth_plaintext_on_loopback; },
     [](Settings& s, const SettingValue& v) { s.auth_plaintext_on_loopback = std::get<bool>(v); }},
    {"auth.ban_after_failures", SettingType::Integer,
     "Failed logins from one client (an IPv4 address or an IPv6 /64) within auth.ban_window "
     "that ban it.",
     1, 10'000, "", [](const Settings& s) -> SettingValue { return i64(s.ban_policy.max_failures); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.max_failures = static_cast<unsigned>(num(v));
     }},
    {"auth.ban_window", SettingType::Seconds,
     "Seconds over which failed logins are counted, per client and per account.", 1, 604'800, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.window.count()); },
     [](Settings& s, const SettingValue& v) { s.ban_policy.window = std::chrono::seconds(num(v)); }},
    {"auth.ban_duration", SettingType::Seconds,
     "Seconds the first ban of a client lasts; it gets 421 4.7.0 on every connection meanwhile.",
     1, 31'536'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.first_ban.count()); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.first_ban = std::chrono::seconds(num(v));
     }},
    {"auth.ban_growth", SettingType::Integer,
     "A repeat ban lasts this many times the previous one (1: every ban lasts auth.ban_duration).",
     1, 100, "", [](const Settings& s) -> SettingValue { return i64(s.ban_policy.ban_growth); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.ban_growth = static_cast<unsigned>(num(v));
     }},
    {"auth.ban_max_duration", SettingType::Seconds,
     "Longest ban, however often a client comes back (at least auth.ban_duration).", 1,
     31'536'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.max_ban.count()); },
     [](Settings& s, const SettingValue& v) { s.ban_policy.max_ban = std::chrono::seconds(num(v)); }},
    {"auth.ban_memory", SettingType::Seconds,
     "Seconds an earlier ban still makes the next one longer; after that a client starts over.",
     1, 31'536'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.memory.count()); },
     [](Settings& s, const SettingValue& v) { s.ban_policy.memory = std::chrono::seconds(num(v)); }},
    {"auth.ban_allowlist", SettingType::Networks,
     "Clients never banned: IPs or CIDR networks, IPv4 or IPv6 (loopback is not implied). "
     "Their failures still slow the account down.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.ban_policy.allowlist; },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.allowlist = std::get<std::vector<std::string>>(v);
     }},
    {"auth.account_free_failures", SettingType::Integer,
     "Failed logins to one account (from any client) within auth.ban_window before its logins "
     "are slowed down.",
     0, 10'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.account_free_failures); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.account_free_failures = static_cast<unsigned>(num(v));
     }},
    {"auth.account_first_delay", SettingType::Seconds,
     "First slowdown of an attacked account's logins; it doubles per further failure.", 0, 60,
     "",
     [](const Settings& s) -> SettingValue {
         return i64(s.ban_policy.account_first_delay.count());
     },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.account_first_delay = std::chrono::seconds(num(v));
     }},
    {"auth.account_max_delay", SettingType::Seconds,
     "Cap of the slowdown: an account is never locked out, the real user waits at most this.",
     0, 300, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.account_max_delay.count()); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.account_max_delay = std::chrono::seconds(num(v));
     }},
    {"auth.max_tracked_clients", SettingType::Integer,
     "Clients whose failures are remembered at once (and bans held); the oldest are forgotten.",
     1, 10'000'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.ban_policy.max_tracked_ips); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.max_tracked_ips = static_cast<std::size_t>(num(v));
     }},
    {"auth.max_tracked_accounts", SettingType::Integer,
     "Accounts whose failures are remembered at once; the oldest are forgotten.", 1, 10'000'000,
     "", [](const Settings& s) -> SettingValue { return i64(s.ban_policy.max_tracked_accounts); },
     [](Settings& s, const SettingValue& v) {
         s.ban_policy.max_tracked_accounts = static_cast<std::size_t>(num(v));
     }},
    {"relay.trusted_networks", SettingType::Networks,
     "Clients from these IPs or CIDR networks may relay mail to any domain without AUTH, like "
     "Postfix mynetworks; keep it to hosts you run.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.relay_trusted_networks; },
     [](Settings& s, const SettingValue& v) {
         s.relay_trusted_networks = std::get<std::vector<std::string>>(v);
     }},
    {"metrics.allowed_networks", SettingType::Networks,
     "Clients from these IPs or CIDR networks may read GET /metrics on the HTTP listener (for "
     "Prometheus); others get 403.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.metrics_allowed_networks; },
     [](Settings& s, const SettingValue& v) {
         s.metrics_allowed_networks = std::get<std::vector<std::string>>(v);
     }},
    {"outbound.dns_servers", SettingType::Strings,
     "DNS servers for MX lookups (\"ip\", \"ip:port\", \"[v6]:port\"); empty: /etc/resolv.conf.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.outbound.dns_servers; },
     [](Settings& s, const SettingValue& v) {
         s.outbound.dns_servers = std::get<std::vector<std::string>>(v);
     }},
    {"outbound.mx_port", SettingType::Integer,
     "SMTP port of every MX host (25; tests point it at a local server).", 1, 65535, "",
     [](const Settings& s) -> SettingValue { return i64(s.outbound.mx_port); },
     [](Settings& s, const SettingValue& v) {
         s.outbound.mx_port = static_cast<std::uint16_t>(num(v));
     }},
    {"outbound.tls", SettingType::String,
     "TLS to other servers: opportunistic (STARTTLS when offered), required, none.", 0, 0,
     "opportunistic|required|none",
     [](const Settings& s) -> SettingValue { return s.outbound.tls; },
     [](Settings& s, const SettingValue& v) { s.outbound.tls = str(v); }},
    {"outbound.relay_host", SettingType::String,
     "Send all outbound mail through this host (\"smtp.provider.example:587\"); empty: MX lookup.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.outbound.relay_host; },
     [](Settings& s, const SettingValue& v) { s.outbound.relay_host = str(v); }},
    {"outbound.routes", SettingType::Strings,
     "Per-domain routes that override MX lookup and the relay host: \"example.org = "
     "host:port\", optionally followed by tls=required (verified certificate), "
     "tls=opportunistic or tls=none.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.outbound.routes; },
     [](Settings& s, const SettingValue& v) {
         s.outbound.routes = std::get<std::vector<std::string>>(v);
     }},
    {"outbound.relay_security", SettingType::String,
     "How to reach the relay host: starttls (port 587), tls (implicit, port 465), none.", 0, 0,
     "starttls|tls|none",
     [](const Settings& s) -> SettingValue { return s.outbound.relay_security; },
     [](Settings& s, const SettingValue& v) { s.outbound.relay_security = str(v); }},
    {"outbound.relay_username", SettingType::String,
     "AUTH username at the relay host; empty: no AUTH.", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.outbound.relay_username; },
     [](Settings& s, const SettingValue& v) { s.outbound.relay_username = str(v); }},
    {"outbound.relay_password_file", SettingType::Path,
     "File holding only the relay host password (mode 0600).", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.outbound.relay_password_file; },
     [](Settings& s, const SettingValue& v) { s.outbound.relay_password_file = str(v); }},
    {"outbound.relay_verify_certificate", SettingType::Boolean,
     "Check the relay host's certificate and name (turn off only for a private relay).", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.outbound.relay_verify_certificate; },
     [](Settings& s, const SettingValue& v) {
         s.outbound.relay_verify_certificate = std::get<bool>(v);
     }},
    {"outbound.retry_intervals", SettingType::String,
     "Waits after the 1st, 2nd, ... temporary failure, e.g. \"5m,10m,20m,40m\"; then doubling.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.outbound.retry_intervals; },
     [](Settings& s, const SettingValue& v) { s.outbound.retry_intervals = str(v); }},
    {"outbound.max_retry_interval", SettingType::String, "Longest wait between two attempts.", 0,
     0, "", [](const Settings& s) -> SettingValue { return s.outbound.max_retry_interval; },
     [](Settings& s, const SettingValue& v) { s.outbound.max_retry_interval = str(v); }},
    {"outbound.max_age", SettingType::String,
     "How long a message is retried before the sender gets a bounce.", 0, 0, "",
     [](const Settings& s) -> SettingValue { return s.outbound.max_age; },
     [](Settings& s, const SettingValue& v) { s.outbound.max_age = str(v); }},
    {"outbound.delay_notice", SettingType::String,
     "Tell the sender once that delivery is delayed after this long (e.g. \"4h\"); \"off\": never.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.outbound.delay_notice; },
     [](Settings& s, const SettingValue& v) { s.outbound.delay_notice = str(v); }},
    {"outbound.max_connections", SettingType::Integer,
     "Outbound SMTP transactions at once, over all destinations.", 1, 10'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.outbound.max_connections); },
     [](Settings& s, const SettingValue& v) {
         s.outbound.max_connections = static_cast<std::size_t>(num(v));
     }},
    {"outbound.max_per_destination", SettingType::Integer,
     "Outbound SMTP transactions at once to one domain (or the relay host).", 1, 10'000, "",
     [](const Settings& s) -> SettingValue { return i64(s.outbound.max_per_destination); },
     [](Settings& s, const SettingValue& v) {
         s.outbound.max_per_destination = static_cast<std::size_t>(num(v));
     }},
    {"outbound.connect_timeout", SettingType::Seconds,
     "Seconds to wait for a TCP connection (and an implicit-TLS handshake).", 1, 600, "",
     [](const Settings& s) -> SettingValue { return i64(s.outbound.connect_timeout.count()); },
     [](Settings& s, const SettingValue& v) {
         s.outbound.connect_timeout = std::chrono::seconds(num(v));
     }},
    {"outbound.timeout_cap", SettingType::Seconds,
     "Caps the RFC 5321 reply timeouts (2-10 min) at this many seconds; 0: the RFC values.", 0,
     3600, "", [](const Settings& s) -> SettingValue { return i64(s.outbound.timeout_cap.count()); },
     [](Settings& s, const SettingValue& v) {
         s.outbound.timeout_cap = std::chrono::seconds(num(v));
     }},
    {"http.listen", SettingType::Addresses,
     "HTTP(S) listener for mail-client autoconfiguration (Thunderbird, Outlook, Apple) and "
     "/metrics for Prometheus (443 or 80 in production); empty: no HTTP listener.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.http_listen; },
     [](Settings& s, const SettingValue& v) {
         s.http_listen = std::get<std::vector<std::string>>(v);
     }},
    {"http.tls", SettingType::Boolean,
     "Serve HTTPS with the server's certificate (tls.certificate); clients fetch autoconfig "
     "over HTTPS first.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.http_tls; },
     [](Settings& s, const SettingValue& v) { s.http_tls = std::get<bool>(v); }},
    {"notices.enabled", SettingType::Boolean,
     "Tell a hosted account's owner by mail when their login or message was refused (wrong "
     "password, wrong port, sender not theirs, IP blocked), with the settings that work.",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.notices.enabled; },
     [](Settings& s, const SettingValue& v) { s.notices.enabled = std::get<bool>(v); }},
    {"notices.interval", SettingType::String,
     "At most one notice per account and cause this often, e.g. \"1d\", \"12h\" (kept across "
     "restarts).",
     0, 0, "", [](const Settings& s) -> SettingValue { return s.notices.interval; },
     [](Settings& s, const SettingValue& v) { s.notices.interval = str(v); }},
    {"listeners.mx.addresses", SettingType::Addresses,
     "MX listener (port 25 in production): mail from other servers to hosted domains.", 0, 0, "",
     get_addresses<kMx>, set_addresses<kMx>},
    {"listeners.mx.enabled", SettingType::Boolean, "Whether the MX listener runs.", 0, 0, "",
     get_enabled<kMx>, set_enabled<kMx>},
    {"listeners.submission.addresses", SettingType::Addresses,
     "Submission listener (port 587 in production): mail clients, STARTTLS then AUTH.", 0, 0, "",
     get_addresses<kSubmission>, set_addresses<kSubmission>},
    {"listeners.submission.enabled", SettingType::Boolean, "Whether the submission listener runs.",
     0, 0, "", get_enabled<kSubmission>, set_enabled<kSubmission>},
    {"listeners.submissions.addresses", SettingType::Addresses,
     "Submissions listener (port 465 in production): mail clients, implicit TLS (RFC 8314).", 0, 0,
     "", get_addresses<kSubmissions>, set_addresses<kSubmissions>},
    {"listeners.submissions.enabled", SettingType::Boolean,
     "Whether the submissions listener runs.", 0, 0, "", get_enabled<kSubmissions>,
     set_enabled<kSubmissions>},
};

}  // namespace

std::span<const SettingDef> setting_table() {
    return kTable;
}

const SettingDef* find_setting(std::string_view key) {
    for (const auto& def : kTable)
        if (def.key == key) return &def;
    return nullptr;
}

Settings unresolved_defaults() {
    Settings s;
    s.data_dir = "mailwarden-data";
    s.listeners = {
        {"mx", smtp::ListenerKind::Mx, {"127.0.0.1:2525"}, true},
        {"submission", smtp::ListenerKind::Submission, {"127.0.0.1:2587"}, true},
        {"submissions", smtp::ListenerKind::Submissions, {"127.0.0.1:2465"}, true},
    };
    s.http_listen = {"127.0.0.1:2080"};
    return s;
}

}  // namespace mw::config
