#include "config/settings.hpp"

#include <fstream>
#include <sstream>

#include "config/setting_table.hpp"
#include "config_test_support.hpp"

namespace mw::config {
namespace {

namespace fs = std::filesystem;
using testing::TempDirTest;

class SettingsFile : public TempDirTest {};

TEST_F(SettingsFile, DefaultsAreTheEmbeddedDevSetup) {
    const Settings s = default_settings();
    EXPECT_EQ(s.data_dir, fs::current_path() / "mailwarden-data");
    EXPECT_FALSE(s.hostname.empty());
    ASSERT_EQ(s.listeners.size(), 3u);
    EXPECT_EQ(s.listeners[0].name, "mx");
    EXPECT_EQ(s.listeners[0].kind, smtp::ListenerKind::Mx);
    EXPECT_EQ(s.listeners[0].addresses, std::vector<std::string>{"127.0.0.1:2525"});
    EXPECT_EQ(s.listeners[1].kind, smtp::ListenerKind::Submission);
    EXPECT_EQ(s.listeners[1].addresses, std::vector<std::string>{"127.0.0.1:2587"});
    EXPECT_EQ(s.listeners[2].kind, smtp::ListenerKind::Submissions);
    EXPECT_EQ(s.listeners[2].addresses, std::vector<std::string>{"127.0.0.1:2465"});
    EXPECT_TRUE(s.listeners[2].enabled);
    EXPECT_EQ(s.http_listen, std::vector<std::string>{"127.0.0.1:2080"});
    EXPECT_FALSE(s.http_tls);
    EXPECT_EQ(s.limits.max_recipients, 100u);
    EXPECT_EQ(s.log_level, "info");
    EXPECT_TRUE(s.log_file.empty());

    auto loaded = load_settings(std::nullopt, std::nullopt);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(render_settings_toml(*loaded, false), render_settings_toml(s, false));
}

constexpr const char* kEveryKey = R"toml(
data_dir = "data"
hostname = "mx.example.org"
[limits]
max_recipients = 7
max_message_size = 2048
max_errors = 3
command_timeout = 11
data_timeout = 12
[server]
max_connections = 13
max_connections_per_ip = 14
io_threads = 15
delivery_threads = 16
shutdown_grace = 17
[log]
level = "debug"
file = "logs/mw.log"
decision_file = "logs/decisions.log"
decision_max_bytes = 65536
decision_files = 3
decision_format = "json"
[submission]
max_messages_per_hour = 42
[mailbox]
quota = 1048576
[spool]
max_bytes = 18
[tls]
certificate = "tls/cert.pem"
key = "tls/key.pem"
sni_directory = "tls/sni"
[auth]
on_mx = true
plaintext_on_loopback = true
ban_after_failures = 19
ban_window = 20
ban_duration = 21
ban_growth = 3
ban_max_duration = 22
ban_memory = 23
ban_allowlist = ["192.0.2.0/24", "2001:db8::/32", "203.0.113.7"]
account_free_failures = 24
account_first_delay = 2
account_max_delay = 25
max_tracked_clients = 26
max_tracked_accounts = 27
[relay]
trusted_networks = ["127.0.0.5/32", "fd00::/8"]
[metrics]
allowed_networks = ["192.0.2.0/24"]
[outbound]
dns_servers = ["127.0.0.1:5353", "[::1]:53"]
mx_port = 2525
tls = "required"
relay_host = "smtp.provider.example:465"
routes = ["partner.example = [192.0.2.25]:2525 tls=required"]
relay_security = "tls"
relay_username = "relay@example.org"
relay_password_file = "relay.pass"
relay_verify_certificate = false
retry_intervals = "1m,2m"
max_retry_interval = "2h"
max_age = "3d"
delay_notice = "4h"
max_connections = 3
max_per_destination = 2
connect_timeout = 10
timeout_cap = 5
[http]
listen = ["0.0.0.0:443", "[::]:443"]
tls = true
[notices]
enabled = false
interval = "12h"
[listeners.mx]
addresses = ["0.0.0.0:25", "[::]:25"]
enabled = false
[listeners.submission]
addresses = ["localhost:587"]
enabled = false
[listeners.submissions]
addresses = ["[::1]:465"]
enabled = false
)toml";

TEST_F(SettingsFile, EveryKeyCanBeOverridden) {
    const auto file = write("mailwarden.toml", kEveryKey);
    auto loaded = load_settings(file, std::nullopt);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    const Settings& s = *loaded;
    EXPECT_EQ(s.data_dir, dir_ / "data");  // relative to the file, not the working directory
    EXPECT_EQ(s.hostname, "mx.example.org");
    EXPECT_EQ(s.limits.max_recipients, 7u);
    EXPECT_EQ(s.limits.max_message_size, 2048u);
    EXPECT_EQ(s.limits.max_errors, 3);
    EXPECT_EQ(s.limits.command_timeout, std::chrono::seconds(11));
    EXPECT_EQ(s.limits.data_timeout, std::chrono::seconds(12));
    EXPECT_EQ(s.max_connections, 13u);
    EXPECT_EQ(s.max_connections_per_ip, 14u);
    EXPECT_EQ(s.io_threads, 15u);
    EXPECT_EQ(s.delivery_threads, 16u);
    EXPECT_EQ(s.shutdown_grace, std::chrono::seconds(17));
    EXPECT_EQ(s.log_level, "debug");
    EXPECT_EQ(s.log_file, (dir_ / "logs/mw.log").string());
    EXPECT_EQ(s.spool_max_bytes, 18u);
    EXPECT_EQ(s.decision_log_file, (dir_ / "logs/decisions.log").string());
    EXPECT_EQ(s.decision_log_max_bytes, 65536u);
    EXPECT_EQ(s.decision_log_files, 3u);
    EXPECT_EQ(s.decision_log_format, "json");
    EXPECT_EQ(s.max_messages_per_hour, 42u);
    EXPECT_EQ(s.mailbox_quota, 1048576u);
    EXPECT_EQ(s.tls_certificate, (dir_ / "tls/cert.pem").string());
    EXPECT_EQ(s.tls_key, (dir_ / "tls/key.pem").string());
    EXPECT_EQ(s.tls_sni_directory, (dir_ / "tls/sni").string());
    EXPECT_EQ(s.outbound.dns_servers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:53"}));
    EXPECT_EQ(s.outbound.relay_password_file, (dir_ / "relay.pass").string());
    EXPECT_EQ(s.outbound.retry_intervals, "1m,2m");
    EXPECT_EQ(s.outbound.timeout_cap, std::chrono::seconds(5));
    EXPECT_FALSE(s.notices.enabled);
    EXPECT_EQ(s.notices.interval, "12h");
    EXPECT_TRUE(s.auth_on_mx);
    EXPECT_TRUE(s.auth_plaintext_on_loopback);
    EXPECT_EQ(s.ban_policy.max_failures, 19u);
    EXPECT_EQ(s.ban_policy.window, std::chrono::seconds(20));
    EXPECT_EQ(s.ban_policy.first_ban, std::chrono::seconds(21));
    EXPECT_EQ(s.ban_policy.ban_growth, 3u);
    EXPECT_EQ(s.ban_policy.max_ban, std::chrono::seconds(22));
    EXPECT_EQ(s.ban_policy.memory, std::chrono::seconds(23));
    EXPECT_EQ(s.ban_policy.allowlist,
              (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32", "203.0.113.7"}));
    EXPECT_EQ(s.ban_policy.account_free_failures, 24u);
    EXPECT_EQ(s.ban_policy.account_first_delay, std::chrono::seconds(2));
    EXPECT_EQ(s.ban_policy.account_max_delay, std::chrono::seconds(25));
    EXPECT_EQ(s.ban_policy.max_tracked_ips, 26u);
    EXPECT_EQ(s.ban_policy.max_tracked_accounts, 27u);
    EXPECT_EQ(s.relay_trusted_networks, (std::vector<std::string>{"127.0.0.5/32", "fd00::/8"}));
    EXPECT_EQ(s.metrics_allowed_networks, std::vector<std::string>{"192.0.2.0/24"});
    ASSERT_EQ(s.listeners.size(), 3u);
    EXPECT_EQ(s.listeners[0].addresses, (std::vector<std::string>{"0.0.0.0:25", "[::]:25"}));
    EXPECT_EQ(s.listeners[1].addresses, std::vector<std::string>{"localhost:587"});
    EXPECT_EQ(s.listeners[2].addresses, std::vector<std::string>{"[::1]:465"});
    for (const auto& l : s.listeners) EXPECT_FALSE(l.enabled) << l.name;
    EXPECT_EQ(s.http_listen, (std::vector<std::string>{"0.0.0.0:443", "[::]:443"}));
    EXPECT_TRUE(s.http_tls);

    // Guard for new table entries: the file above must change every one of them.
    const Settings d = default_settings();
    for (const auto& def : setting_table())
        EXPECT_NE(def.get(s), def.get(d)) << def.key << " is not covered by kEveryKey";
}

TEST_F(SettingsFile, DataDirOverrideWinsAndIsRelativeToTheWorkingDirectory) {
    const auto file = write("mailwarden.toml", "data_dir = \"/srv/mail\"\n");
    auto loaded = load_settings(file, fs::path("here"));
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->data_dir, fs::current_path() / "here");
    EXPECT_EQ(load_settings(file, std::nullopt)->data_dir, fs::path("/srv/mail"));
}

TEST_F(SettingsFile, DefaultsOutputIsValidTomlThatLoadsBackToTheDefaults) {
    const std::string text = defaults_toml();
    for (const auto& def : setting_table()) {
        const auto leaf = def.key.substr(def.key.rfind('.') + 1);
        EXPECT_NE(text.find("\n" + std::string(leaf) + " = "), std::string::npos) << def.key;
        EXPECT_NE(text.find("# " + std::string(def.doc)), std::string::npos) << def.key;
    }
    EXPECT_NE(text.find("[listeners.submissions]\n"), std::string::npos);
    EXPECT_NE(text.find("addresses = [\"127.0.0.1:2465\"]"), std::string::npos);

    // The printed data_dir is relative, so it resolves next to the file.
    const auto file = write("defaults.toml", text);
    auto loaded = load_settings(file, std::nullopt);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    Settings want = default_settings();
    want.data_dir = dir_ / "mailwarden-data";
    EXPECT_EQ(render_settings_toml(*loaded, false), render_settings_toml(want, false));
}

TEST_F(SettingsFile, RenderEscapesStrings) {
    Settings s = default_settings();
    s.hostname = "a\"b\\c\n";
    const auto file = write("escaped.toml", render_settings_toml(s, true));
    auto loaded = load_settings(file, std::nullopt);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(loaded->hostname, "a\"b\\c\n");
}

TEST(SettingsDocs, ConfigurationMdDocumentsEveryKey) {
    std::ifstream in(std::string(MW_DOCS_DIR) + "/configuration.md");
    ASSERT_TRUE(in) << "docs/configuration.md is missing";
    std::stringstream doc;
    doc << in.rdbuf();
    for (const auto& def : setting_table())
        EXPECT_NE(doc.str().find("`" + std::string(def.key) + "`"), std::string::npos)
            << def.key << " is not documented in docs/configuration.md";
}

}  // namespace
}  // namespace mw::config
