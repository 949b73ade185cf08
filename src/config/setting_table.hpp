// The one table of settings (STYLE.md habit 15): every key with its type, bounds and a one-line
// doc. Loading (load_toml.cpp), `config --defaults` (print.cpp) and docs/configuration.md all
// follow it; adding a setting means adding one entry here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.hpp"

namespace mw::config {

enum class SettingType {
    Boolean,
    Integer,    // bounded by min..max
    Seconds,    // an integer number of seconds, bounded by min..max
    String,     // free text, or one of `choices` when that is not empty
    Path,       // relative paths are relative to the config file's directory
    Addresses,  // array of "host:port" / "[v6]:port"
    Networks,   // array of IP addresses or CIDR networks, IPv4 or IPv6
    Strings,    // array of strings, checked by the component that uses them
};

using SettingValue = std::variant<bool, std::int64_t, std::string, std::vector<std::string>>;

struct SettingDef {
    std::string_view key;  // dotted: "limits.max_recipients", "listeners.mx.addresses"
    SettingType type;
    std::string_view doc;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::string_view choices;  // "trace|debug|info|warn|error"
    SettingValue (*get)(const Settings&);
    void (*set)(Settings&, const SettingValue&);  // value already type- and bounds-checked
};

std::span<const SettingDef> setting_table();
const SettingDef* find_setting(std::string_view key);

// The listener names are fixed; each one implies its kind.
inline constexpr std::string_view kListenerNames[] = {"mx", "submission", "submissions"};

// Defaults before path resolution: data_dir "mailwarden-data", hostname "" (= this machine).
Settings unresolved_defaults();

}  // namespace mw::config
