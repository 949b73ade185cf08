// Typed settings with their defaults. With no config file at all, these defaults are the embedded
// dev setup: data in ./mailwarden-data, loopback listeners on 2525 (MX), 2587 (submission) and
// 2465 (submissions, implicit TLS). Loading validates every key and names the bad one.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "auth/failure_tracker.hpp"
#include "base/result.hpp"
#include "smtp/session.hpp"

namespace mw::config {

struct ListenerSettings {
    std::string name;  // "mx", "submission", "submissions"
    smtp::ListenerKind kind = smtp::ListenerKind::Mx;
    std::vector<std::string> addresses;  // "127.0.0.1:2525", "[::1]:2525"
    bool enabled = true;
};

// Outbound delivery (docs/queue.md). Durations are text ("5m", "1h30m", "5d"), checked on load.
struct OutboundSettings {
    std::vector<std::string> dns_servers;  // "ip", "ip:port", "[v6]:port"; empty: resolv.conf
    std::uint16_t mx_port = 25;            // SMTP port of every MX host (tests point it elsewhere)
    std::string tls = "opportunistic";     // none | opportunistic | required
    std::string relay_host;                // "host:port"; empty: deliver by MX lookup
    // Per-domain routes, overriding MX lookup and the relay host for that domain:
    // "example.org = host:port [tls=required|opportunistic|none]".
    std::vector<std::string> routes;
    std::string relay_security = "starttls";  // starttls | tls (implicit, port 465) | none
    std::string relay_username;               // empty: no AUTH at the relay host
    std::string relay_password_file;          // the password, alone in a file (mode 0600)
    bool relay_verify_certificate = true;
    std::string retry_intervals = "5m,10m,20m,40m";  // then doubling up to max_retry_interval
    std::string max_retry_interval = "1h";
    std::string max_age = "5d";        // then the sender gets a bounce
    std::string delay_notice = "off";  // e.g. "4h": tell the sender once; "off": never
    std::size_t max_connections = 16;
    std::size_t max_per_destination = 4;
    std::chrono::seconds connect_timeout{30};
    std::chrono::seconds timeout_cap{0};  // caps the RFC 5321 timeouts; 0: the RFC values
};

// Notices to the user (docs/notices.md): after a refusal attributed to a hosted account, one
// plain-language message in that account's mailbox per cause and interval.
struct NoticeSettings {
    bool enabled = true;
    std::string interval = "1d";  // at most one notice per account and cause this often
};

struct Settings {
    std::filesystem::path data_dir = "mailwarden-data";
    std::string hostname;  // default: the machine's host name
    std::vector<ListenerSettings> listeners;
    std::size_t max_connections = 2000;
    std::size_t max_connections_per_ip = 50;
    smtp::SessionLimits limits;
    unsigned io_threads = 0;  // 0: one per core
    unsigned delivery_threads =
        8;  // Maildir delivery is fsync-bound: one fsync in flight per thread
    std::string log_level = "info";  // trace debug info warn error
    std::string log_file;            // empty: stderr
    // The decision log (docs/decisions.md): one line per refusal with its ref token; rotated
    // at decision_log_max_bytes, decision_log_files files kept. Empty file: DATA_DIR/decisions.log.
    std::string decision_log_file;
    std::uint64_t decision_log_max_bytes = 10ull << 20;
    unsigned decision_log_files = 5;
    std::string decision_log_format = "kv";  // kv | json
    // Messages one login may submit per hour (a stolen password sends little spam); 0: no limit.
    std::size_t max_messages_per_hour = 500;
    // Bytes a mailbox may hold before RCPT gets 452 4.2.2 (the sender retries); 0: no limit.
    std::uint64_t mailbox_quota = 0;
    std::chrono::seconds shutdown_grace{30};
    std::uint64_t spool_max_bytes = 0;  // 0: no limit other than the disk
    // TLS certificate chain and key (PEM). Empty: a self-signed pair is generated on first start
    // in DATA_DIR/tls/ (fine for tests and the dev default; clients will warn about it).
    std::string tls_certificate;
    std::string tls_key;
    // SNI: every NAME.pem (chain) with its NAME.key in this directory is served to clients that
    // ask for a name the certificate covers; the names come from the certificate itself.
    std::string tls_sni_directory;
    bool auth_on_mx = false;                  // offer AUTH on the MX listener too
    bool auth_plaintext_on_loopback = false;  // AUTH without TLS, only from 127.0.0.0/8 and ::1
    // Brute-force defence (auth.ban_*, auth.account_*); ban_policy.allowlist holds the
    // validated auth.ban_allowlist entries.
    auth::BanPolicy ban_policy;
    // relay.trusted_networks: clients from these networks may relay without AUTH.
    std::vector<std::string> relay_trusted_networks;
    // metrics.allowed_networks: who may read GET /metrics (counts of failed logins, queue size
    // and the like are for the operator, not for the Internet the HTTP listener faces).
    std::vector<std::string> metrics_allowed_networks = {"127.0.0.0/8", "::1"};
    OutboundSettings outbound;
    // HTTP(S) listener for client autoconfiguration (docs/autoconfig.md); empty: no listener.
    std::vector<std::string> http_listen;
    bool http_tls = false;  // HTTPS with the server's certificate (tls.*)
    NoticeSettings notices;
};

// The embedded dev default, resolved: data_dir absolute (relative to the working directory),
// hostname set. The same as load_settings(std::nullopt, std::nullopt).
Settings default_settings();

// file: TOML file, or nullopt for the embedded default. data_dir_override: --data-dir (relative to
// the working directory). Relative paths inside the file are relative to the file's directory.
// The result is resolved: data_dir and log_file absolute, hostname non-empty, all three
// listeners present (mx, submission, submissions; check `enabled`).
// Errors are one line: "FILE:LINE:COL: what is wrong and what is allowed".
Result<Settings, std::string> load_settings(
    const std::optional<std::filesystem::path>& file,
    const std::optional<std::filesystem::path>& data_dir_override);

// Every key of the setting table as TOML; with_docs adds a comment line per key (the doc, range
// and choices). Loading the output gives back `settings`.
std::string render_settings_toml(const Settings& settings, bool with_docs);

// `mailwarden config --defaults`: the embedded defaults before resolution (data_dir
// "mailwarden-data", hostname "" = this machine's name), documented.
std::string defaults_toml();

// log.decision_file, or DATA_DIR/decisions.log when it is empty.
std::filesystem::path decision_log_path(const Settings& settings);

}  // namespace mw::config
