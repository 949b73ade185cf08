// Each way a config file can be wrong, with the exact message the operator sees: it must name
// the file and line, the key, the value and what is allowed.
#include "config/settings.hpp"
#include "config_test_support.hpp"

namespace mw::config {
namespace {

class BadConfig : public testing::TempDirTest {
protected:
    std::string error_for(const std::string& toml) {
        const auto file = write("bad.toml", toml);
        auto loaded = load_settings(file, std::nullopt);
        EXPECT_FALSE(loaded.ok()) << "accepted:\n" << toml;
        return loaded.ok() ? std::string() : loaded.error();
    }
    std::string at(int line, int column) {
        return (dir_ / "bad.toml").string() + ":" + std::to_string(line) + ":" +
               std::to_string(column) + ": ";
    }
};

TEST_F(BadConfig, UnknownKeyNamesKeyFileAndLine) {
    EXPECT_EQ(error_for("hostname = \"x\"\n\n[limits]\nmax_recipent = 5\n"),
              at(4, 1) +
                  "unknown key 'limits.max_recipent' (mailwarden config --defaults lists "
                  "every key)");
    EXPECT_EQ(error_for("datadir = \"x\"\n"),
              at(1, 1) + "unknown key 'datadir' (mailwarden config --defaults lists every key)");
    EXPECT_EQ(error_for("[tls]\ncert = \"x\"\n"),
              at(2, 1) + "unknown key 'tls.cert' (mailwarden config --defaults lists every key)");
    EXPECT_EQ(error_for("[imap]\nport = 1\n"),
              at(1, 2) + "unknown key 'imap' (mailwarden config --defaults lists every key)");
}

TEST_F(BadConfig, UnknownListenerName) {
    EXPECT_EQ(error_for("[listeners.smtp]\naddresses = [\"127.0.0.1:25\"]\n"),
              at(1, 12) +
                  "unknown listener 'smtp' (listeners are mx, submission and "
                  "submissions)");
}

TEST_F(BadConfig, WrongType) {
    EXPECT_EQ(error_for("[limits]\nmax_recipients = \"ten\"\n"),
              at(2, 18) +
                  "limits.max_recipients must be an integer (1..100000), got string "
                  "\"ten\"");
    EXPECT_EQ(error_for("[limits]\ncommand_timeout = 1.5\n"),
              at(2, 19) +
                  "limits.command_timeout must be an integer (1..3600 seconds), got "
                  "float 1.5");
    EXPECT_EQ(error_for("[listeners.mx]\nenabled = \"yes\"\n"),
              at(2, 11) + "listeners.mx.enabled must be true or false, got string \"yes\"");
    EXPECT_EQ(error_for("hostname = 5\n"), at(1, 12) + "hostname must be a string, got integer 5");
    EXPECT_EQ(error_for("limits = 5\n"),
              at(1, 10) + "limits is a section: write [limits] with its keys below, got integer 5");
    EXPECT_EQ(error_for("[listeners.mx]\naddresses = \"127.0.0.1:25\"\n"),
              at(2, 13) +
                  "listeners.mx.addresses must be an array of \"host:port\" strings, e.g. "
                  "[\"127.0.0.1:2525\", \"[::1]:2525\"], got string \"127.0.0.1:25\"");
}

TEST_F(BadConfig, OutOfRange) {
    EXPECT_EQ(error_for("[limits]\nmax_recipients = 0\n"),
              at(2, 18) + "limits.max_recipients = 0 is out of range (allowed 1..100000)");
    EXPECT_EQ(error_for("[server]\nshutdown_grace = -1\n"),
              at(2, 18) + "server.shutdown_grace = -1 is out of range (allowed 0..3600 seconds)");
    EXPECT_EQ(error_for("[log]\nlevel = \"loud\"\n"),
              at(2, 9) +
                  "log.level = \"loud\" is not allowed (allowed: "
                  "trace|debug|info|warn|error)");
}

TEST_F(BadConfig, BadListenerAddress) {
    EXPECT_EQ(error_for("[listeners.mx]\naddresses = [\"127.0.0.1\"]\n"),
              at(2, 13) +
                  "listeners.mx.addresses: '127.0.0.1' has no port: write host:port, "
                  "e.g. 127.0.0.1:2525");
    EXPECT_EQ(error_for("[listeners.submission]\naddresses = [\"127.0.0.1:70000\"]\n"),
              at(2, 13) +
                  "listeners.submission.addresses: '127.0.0.1:70000' has an invalid "
                  "port: use a number from 1 to 65535");
    EXPECT_EQ(error_for("[listeners.mx]\naddresses = [\"::1:25\"]\n"),
              at(2, 13) +
                  "listeners.mx.addresses: '::1:25': put IPv6 addresses in brackets, "
                  "e.g. [::1]:2525");
}

TEST_F(BadConfig, OutboundDurationsAndRelayCredentials) {
    const std::string file = (dir_ / "bad.toml").string();
    auto retry = error_for("[outbound]\nretry_intervals = \"5m,10x\"\n");
    EXPECT_EQ(retry.rfind(file + ": outbound.retry_intervals: ", 0), 0u) << retry;
    EXPECT_NE(retry.find("10x"), std::string::npos) << retry;
    auto age = error_for("[outbound]\nmax_age = \"five days\"\n");
    EXPECT_EQ(age.rfind(file + ": outbound.max_age: ", 0), 0u) << age;
    auto notice = error_for("[outbound]\ndelay_notice = \"never\"\n");
    EXPECT_NE(notice.find("(or \"off\")"), std::string::npos) << notice;
    EXPECT_EQ(error_for("[outbound]\nrelay_username = \"u\"\n"),
              file + ": outbound.relay_username is set but outbound.relay_password_file is not");
    EXPECT_EQ(error_for("[outbound]\ndns_servers = \"127.0.0.1\"\n"),
              at(2, 15) +
                  "outbound.dns_servers must be an array of strings, e.g. [\"a\", \"b\"], got "
                  "string \"127.0.0.1\"");
}

TEST_F(BadConfig, ListenerRulesAcrossKeys) {
    const std::string file = (dir_ / "bad.toml").string();
    EXPECT_EQ(error_for("[listeners.mx]\naddresses = []\n"),
              file +
                  ": listeners.mx is enabled but has no addresses (add some, or set enabled "
                  "= false)");
    EXPECT_EQ(error_for("[listeners.submission]\naddresses = [\"127.0.0.1:2525\"]\n"),
              file +
                  ": address 127.0.0.1:2525 is used by both listeners.mx and "
                  "listeners.submission");
    EXPECT_EQ(error_for("[http]\nlisten = [\"127.0.0.1:2587\"]\n"),
              file + ": address 127.0.0.1:2587 is used by both listeners.submission and "
                     "http.listen");
    const auto not_array = error_for("[http]\nlisten = \"127.0.0.1:80\"\n");
    EXPECT_NE(not_array.find("http.listen must be an array"), std::string::npos) << not_array;
    // Disabled listeners may be empty.
    auto ok = load_settings(write("ok.toml", "[listeners.mx]\naddresses = []\nenabled = false\n"),
                            std::nullopt);
    EXPECT_TRUE(ok.ok()) << ok.error();
}

TEST_F(BadConfig, BadNetworksNameTheEntry) {
    EXPECT_EQ(error_for("[auth]\nban_allowlist = [\"10.0.0.1/8\"]\n"),
              at(2, 17) +
                  "auth.ban_allowlist: '10.0.0.1/8': host bits set in 10.0.0.1/8 (the network "
                  "is 10.0.0.0/8)");
    EXPECT_EQ(error_for("[relay]\ntrusted_networks = [\"192.0.2.0/24\", \"mail.example\"]\n"),
              at(2, 20) +
                  "relay.trusted_networks: 'mail.example': not an IP address: mail.example");
    EXPECT_EQ(error_for("[relay]\ntrusted_networks = [\"2001:db8::/200\"]\n"),
              at(2, 20) +
                  "relay.trusted_networks: '2001:db8::/200': bad prefix length: /200 (allowed "
                  "/0../128)");
    EXPECT_EQ(error_for("[relay]\ntrusted_networks = \"10.0.0.0/8\"\n"),
              at(2, 20) +
                  "relay.trusted_networks must be an array of IP addresses or CIDR networks, "
                  "e.g. [\"192.0.2.0/24\", \"2001:db8::/32\", \"203.0.113.7\"], got string "
                  "\"10.0.0.0/8\"");
}

TEST_F(BadConfig, BanPolicyRulesAcrossKeys) {
    const std::string file = (dir_ / "bad.toml").string();
    EXPECT_EQ(error_for("[auth]\nban_duration = 600\nban_max_duration = 300\n"),
              file +
                  ": auth.ban_max_duration = 300 is shorter than auth.ban_duration = 600 (the "
                  "cap must be at least the first ban)");
    EXPECT_EQ(error_for("[auth]\naccount_first_delay = 10\naccount_max_delay = 5\n"),
              file +
                  ": auth.account_max_delay = 5 is shorter than auth.account_first_delay = 10 "
                  "(the cap must be at least the first delay)");
    EXPECT_EQ(error_for("[auth]\nban_growth = 0\n"),
              at(2, 14) + "auth.ban_growth = 0 is out of range (allowed 1..100)");
}

TEST_F(BadConfig, TomlSyntaxErrorAndMissingFile) {
    const std::string err = error_for("[limits\nmax_errors = 3\n");
    EXPECT_TRUE(err.starts_with(at(1, 8))) << err;
    auto missing = load_settings(dir_ / "nope.toml", std::nullopt);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "cannot read config file " + (dir_ / "nope.toml").string() +
                                   ": No such file or directory");
}

}  // namespace
}  // namespace mw::config
