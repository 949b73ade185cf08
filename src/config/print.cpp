// Renders settings as TOML through the setting table: `config --defaults` prints the embedded
// defaults, and what it prints loads back to exactly those defaults.
#include <sstream>

#include "config/setting_table.hpp"

namespace mw::config {
namespace {

std::string toml_string(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string toml_value(const SettingValue& v) {
    if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* s = std::get_if<std::string>(&v)) return toml_string(*s);
    std::string out = "[";
    for (const auto& a : std::get<std::vector<std::string>>(v))
        out += (out.size() > 1 ? ", " : "") + toml_string(a);
    return out + "]";
}

std::string doc_line(const SettingDef& def) {
    std::string line = "# " + std::string(def.doc);
    if (def.type == SettingType::Integer || def.type == SettingType::Seconds)
        line += " Range " + std::to_string(def.min) + ".." + std::to_string(def.max) + ".";
    if (!def.choices.empty()) line += " One of " + std::string(def.choices) + ".";
    return line + "\n";
}

}  // namespace

std::string render_settings_toml(const Settings& settings, bool with_docs) {
    std::ostringstream out;
    if (with_docs)
        out << "# mailwarden configuration. Relative paths are relative to this file's "
               "directory.\n";
    std::string section;
    for (const auto& def : setting_table()) {
        const auto dot = def.key.rfind('.');
        const std::string key_section =
            dot == std::string_view::npos ? "" : std::string(def.key.substr(0, dot));
        if (key_section != section) {
            section = key_section;
            out << "\n[" << section << "]\n";
        }
        if (with_docs) out << doc_line(def);
        out << def.key.substr(dot == std::string_view::npos ? 0 : dot + 1) << " = "
            << toml_value(def.get(settings)) << "\n";
    }
    return out.str();
}

std::string defaults_toml() {
    return render_settings_toml(unresolved_defaults(), true);
}

}  // namespace mw::config
