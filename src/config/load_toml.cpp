// Loads the TOML file through the setting table. Every error names the file, line and column,
// the key, and what would be accepted, so an operator can fix it without reading the source.
#include <toml++/toml.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/listen_address.hpp"
#include "config/setting_table.hpp"
#include "spool/retry.hpp"

namespace mw::config {
namespace {

namespace fs = std::filesystem;

std::string describe(const toml::node& node) {
    std::ostringstream out;
    switch (node.type()) {
        case toml::node_type::string:
            out << "string \"" << **node.as_string() << '"';
            break;
        case toml::node_type::integer:
            out << "integer " << **node.as_integer();
            break;
        case toml::node_type::floating_point:
            out << "float " << **node.as_floating_point();
            break;
        case toml::node_type::boolean:
            out << (**node.as_boolean() ? "true" : "false");
            break;
        case toml::node_type::array:
            out << "an array";
            break;
        case toml::node_type::table:
            out << "a table";
            break;
        default:
            out << "a date/time";
            break;
    }
    return out.str();
}

std::string range_text(const SettingDef& def) {
    return std::to_string(def.min) + ".." + std::to_string(def.max) +
           (def.type == SettingType::Seconds ? " seconds" : "");
}

class Loader {
public:
    Loader(std::string label, fs::path base_dir, Settings& settings)
        : label_(std::move(label)), base_dir_(std::move(base_dir)), settings_(settings) {}

    std::optional<std::string> walk(const toml::table& table, const std::string& prefix);

private:
    std::string at(const toml::source_region& where) const {
        return label_ + ":" + std::to_string(where.begin.line) + ":" +
               std::to_string(where.begin.column) + ": ";
    }
    Result<SettingValue, std::string> convert(const SettingDef& def, const toml::node& node) const;
    Result<SettingValue, std::string> convert_addresses(const SettingDef& def,
                                                        const toml::node& node) const;
    Result<SettingValue, std::string> convert_networks(const SettingDef& def,
                                                       const toml::node& node) const;

    std::string label_;
    fs::path base_dir_;
    Settings& settings_;
};

bool is_section(const std::string& key) {
    for (const auto& def : setting_table())
        if (def.key.starts_with(key + ".")) return true;
    return false;
}

std::optional<std::string> Loader::walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [k, node] : table) {
        const std::string key =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (const auto* def = find_setting(key)) {
            auto value = convert(*def, node);
            if (!value) return at(node.source()) + value.error();
            def->set(settings_, *value);
        } else if (is_section(key)) {
            if (!node.is_table())
                return at(node.source()) + key + " is a section: write [" + key +
                       "] with its keys below, got " + describe(node);
            if (auto err = walk(*node.as_table(), key)) return err;
        } else if (prefix == "listeners") {
            return at(k.source()) + "unknown listener '" + std::string(k.str()) +
                   "' (listeners are mx, submission and submissions)";
        } else {
            return at(k.source()) + "unknown key '" + key +
                   "' (mailwarden config --defaults lists every key)";
        }
    }
    return std::nullopt;
}

Result<SettingValue, std::string> Loader::convert(const SettingDef& def,
                                                  const toml::node& node) const {
    const std::string key(def.key);
    switch (def.type) {
        case SettingType::Boolean:
            if (!node.is_boolean())
                return unexpected(key + " must be true or false, got " + describe(node));
            return SettingValue(**node.as_boolean());
        case SettingType::Integer:
        case SettingType::Seconds: {
            if (!node.is_integer())
                return unexpected(key + " must be an integer (" + range_text(def) + "), got " +
                                  describe(node));
            const std::int64_t v = **node.as_integer();
            if (v < def.min || v > def.max)
                return unexpected(key + " = " + std::to_string(v) + " is out of range (allowed " +
                                  range_text(def) + ")");
            return SettingValue(v);
        }
        case SettingType::String:
        case SettingType::Path: {
            if (!node.is_string())
                return unexpected(key + " must be a string, got " + describe(node));
            std::string v = **node.as_string();
            if (!def.choices.empty() &&
                ("|" + std::string(def.choices) + "|").find("|" + v + "|") == std::string::npos)
                return unexpected(key + " = \"" + v +
                                  "\" is not allowed (allowed: " + std::string(def.choices) + ")");
            // Relative to the file, so a config works the same from any working directory.
            if (def.type == SettingType::Path && !v.empty() && fs::path(v).is_relative())
                v = (base_dir_ / v).lexically_normal().string();
            return SettingValue(std::move(v));
        }
        case SettingType::Addresses:
            return convert_addresses(def, node);
        case SettingType::Networks:
            return convert_networks(def, node);
        case SettingType::Strings: {
            const std::string want = key + " must be an array of strings, e.g. [\"a\", \"b\"]";
            if (!node.is_array()) return unexpected(want + ", got " + describe(node));
            std::vector<std::string> out;
            for (const auto& element : *node.as_array()) {
                if (!element.is_string()) return unexpected(want + ", got " + describe(element));
                out.push_back(**element.as_string());
            }
            return SettingValue(std::move(out));
        }
    }
    return unexpected(key + ": unsupported setting type");
}

Result<SettingValue, std::string> Loader::convert_addresses(const SettingDef& def,
                                                            const toml::node& node) const {
    const std::string key(def.key);
    const std::string want =
        key +
        " must be an array of \"host:port\" strings, e.g. [\"127.0.0.1:2525\", \"[::1]:2525\"]";
    if (!node.is_array()) return unexpected(want + ", got " + describe(node));
    std::vector<std::string> out;
    for (const auto& element : *node.as_array()) {
        if (!element.is_string()) return unexpected(want + ", got " + describe(element));
        const std::string& text = **element.as_string();
        if (auto parsed = parse_listen_address(text); !parsed)
            return unexpected(key + ": " + parsed.error());
        out.push_back(text);
    }
    return SettingValue(std::move(out));
}

Result<SettingValue, std::string> Loader::convert_networks(const SettingDef& def,
                                                           const toml::node& node) const {
    const std::string key(def.key);
    const std::string want = key +
                             " must be an array of IP addresses or CIDR networks, e.g. "
                             "[\"192.0.2.0/24\", \"2001:db8::/32\", \"203.0.113.7\"]";
    if (!node.is_array()) return unexpected(want + ", got " + describe(node));
    std::vector<std::string> out;
    for (const auto& element : *node.as_array()) {
        if (!element.is_string()) return unexpected(want + ", got " + describe(element));
        out.push_back(**element.as_string());
    }
    auto parsed = auth::parse_cidr_list(out, key);
    if (!parsed) return unexpected(parsed.error());
    return SettingValue(std::move(out));
}

// Rules that span keys: they have no single line to point at.
std::optional<std::string> check_listeners(const Settings& s, const std::string& label) {
    std::vector<std::pair<std::string, std::string>> seen;  // address, listener
    for (const auto& l : s.listeners) {
        if (!l.enabled) continue;
        if (l.addresses.empty())
            return label + ": listeners." + l.name +
                   " is enabled but has no addresses (add some, or set enabled = false)";
        for (const auto& a : l.addresses) {
            for (const auto& [addr, other] : seen)
                if (addr == a)
                    return label + ": address " + a + " is used by both listeners." + other +
                           " and listeners." + l.name;
            seen.emplace_back(a, l.name);
        }
    }
    for (const auto& a : s.http_listen)
        for (const auto& [addr, other] : seen)
            if (addr == a)
                return label + ": address " + a + " is used by both listeners." + other +
                       " and http.listen";
    return std::nullopt;
}

std::optional<std::string> check_ban_policy(const Settings& s, const std::string& label) {
    const auto& p = s.ban_policy;
    if (p.max_ban < p.first_ban)
        return label + ": auth.ban_max_duration = " + std::to_string(p.max_ban.count()) +
               " is shorter than auth.ban_duration = " + std::to_string(p.first_ban.count()) +
               " (the cap must be at least the first ban)";
    if (p.account_max_delay < p.account_first_delay)
        return label + ": auth.account_max_delay = " + std::to_string(p.account_max_delay.count()) +
               " is shorter than auth.account_first_delay = " +
               std::to_string(p.account_first_delay.count()) +
               " (the cap must be at least the first delay)";
    return std::nullopt;
}

// Outbound durations are text ("5m", "1h30m"): checked here so a typo stops the start with the
// key's name instead of surfacing when the first message is deferred.
std::optional<std::string> check_outbound(const Settings& s, const std::string& label) {
    const auto& o = s.outbound;
    if (auto list = spool::parse_duration_list(o.retry_intervals); !list)
        return label + ": outbound.retry_intervals: " + list.error();
    const std::pair<const char*, const std::string*> single[] = {
        {"outbound.max_retry_interval", &o.max_retry_interval},
        {"outbound.max_age", &o.max_age},
    };
    for (const auto& [key, value] : single)
        if (auto d = spool::parse_duration(*value); !d) return label + ": " + key + ": " + d.error();
    if (o.delay_notice != "off")
        if (auto d = spool::parse_duration(o.delay_notice); !d)
            return label + ": outbound.delay_notice: " + d.error() + " (or \"off\")";
    if (!o.relay_username.empty() && o.relay_password_file.empty())
        return label + ": outbound.relay_username is set but outbound.relay_password_file is not";
    return std::nullopt;
}

std::optional<std::string> check_notices(const Settings& s, const std::string& label) {
    if (auto d = spool::parse_duration(s.notices.interval); !d)
        return label + ": notices.interval: " + d.error();
    return std::nullopt;
}

std::string this_host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return buf;
}

void resolve(Settings& s, const std::optional<fs::path>& data_dir_override) {
    if (data_dir_override) s.data_dir = *data_dir_override;
    // Defaults and --data-dir are relative to the working directory; file values were made
    // absolute while loading.
    s.data_dir = fs::absolute(s.data_dir).lexically_normal();
    if (!s.log_file.empty()) s.log_file = fs::absolute(s.log_file).lexically_normal().string();
    if (!s.decision_log_file.empty())
        s.decision_log_file = fs::absolute(s.decision_log_file).lexically_normal().string();
    for (auto* path : {&s.tls_certificate, &s.tls_key, &s.tls_sni_directory,
                       &s.outbound.relay_password_file})
        if (!path->empty()) *path = fs::absolute(*path).lexically_normal().string();
    if (s.hostname.empty()) s.hostname = this_host_name();
}

Result<std::string, std::string> read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return unexpected("cannot read config file " + file.string() + ": " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace

Settings default_settings() {
    Settings s = unresolved_defaults();
    resolve(s, std::nullopt);
    return s;
}

Result<Settings, std::string> load_settings(const std::optional<fs::path>& file,
                                            const std::optional<fs::path>& data_dir_override) {
    Settings s = unresolved_defaults();
    if (file) {
        const std::string label = file->string();
        auto content = read_file(*file);
        if (!content) return unexpected(content.error());
        toml::table table;
        try {
            table = toml::parse(*content, label);
        } catch (const toml::parse_error& e) {
            const auto& b = e.source().begin;
            return unexpected(label + ":" + std::to_string(b.line) + ":" +
                              std::to_string(b.column) + ": " + std::string(e.description()));
        }
        Loader loader(label, fs::absolute(*file).parent_path(), s);
        if (auto err = loader.walk(table, "")) return unexpected(*err);
        if (auto err = check_listeners(s, label)) return unexpected(*err);
        if (auto err = check_ban_policy(s, label)) return unexpected(*err);
        if (auto err = check_outbound(s, label)) return unexpected(*err);
        if (auto err = check_notices(s, label)) return unexpected(*err);
    }
    resolve(s, data_dir_override);
    return s;
}

std::filesystem::path decision_log_path(const Settings& settings) {
    return settings.decision_log_file.empty() ? settings.data_dir / "decisions.log"
                                              : std::filesystem::path(settings.decision_log_file);
}

}  // namespace mw::config
