#include "decision/decision.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

namespace mw::decision {
namespace {

constexpr std::string_view kTag = "mailwarden-decision";

// Values made only of these characters are written bare; anything else is quoted, so a value
// can never contain an unquoted space and split into a forged key.
bool bare_safe(std::string_view value) {
    if (value.empty()) return false;
    for (char c : value) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  std::string_view("._@:/+-").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

void append_value(std::string& out, std::string_view value) {
    if (bare_safe(value)) {
        out += value;
        return;
    }
    out += '"';
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else {
            out += c;
        }
    }
    out += '"';
}

// The fields in line order: the ones a filter anchors on first, client-controlled ones last.
struct Field {
    std::string_view key;
    std::string Decision::*member;
};
constexpr std::array<Field, 8> kLeadingFields{{
    {"ref", &Decision::ref},
    {"listener", &Decision::listener},
    {"ip", &Decision::ip},
    {"session", &Decision::session},
    {"tls", &Decision::tls},
    {"login", &Decision::login},
    {"cause", &Decision::cause},
    {"detail", &Decision::detail},
}};
constexpr std::array<Field, 5> kTrailingFields{{
    {"esc", &Decision::esc},
    {"account", &Decision::account},
    {"cmd", &Decision::command},
    {"subject", &Decision::subject},
    {"text", &Decision::text},
}};

std::optional<std::chrono::system_clock::time_point> parse_iso(std::string_view text) {
    std::tm tm{};
    int millis = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) != 7)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    std::time_t t = ::timegm(&tm);
    return std::chrono::system_clock::from_time_t(t) + std::chrono::milliseconds(millis);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Reads one value at `pos` (bare or quoted), advancing past it.
std::optional<std::string> read_value(std::string_view line, std::size_t& pos) {
    std::string value;
    if (pos < line.size() && line[pos] == '"') {
        ++pos;
        while (pos < line.size() && line[pos] != '"') {
            char c = line[pos++];
            if (c != '\\') {
                value += c;
                continue;
            }
            if (pos >= line.size()) return std::nullopt;
            char e = line[pos++];
            if (e == 'x') {
                if (pos + 2 > line.size()) return std::nullopt;
                int hi = hex_digit(line[pos]), lo = hex_digit(line[pos + 1]);
                if (hi < 0 || lo < 0) return std::nullopt;
                value += static_cast<char>(hi * 16 + lo);
                pos += 2;
            } else {
                value += e;
            }
        }
        if (pos >= line.size()) return std::nullopt;  // unterminated: a torn line
        ++pos;
        return value;
    }
    auto end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    value = std::string(line.substr(pos, end - pos));
    pos = end;
    return value;
}

void assign(Decision& d, std::string_view key, std::string value) {
    for (const auto& f : kLeadingFields)
        if (f.key == key) d.*f.member = std::move(value);
    for (const auto& f : kTrailingFields)
        if (f.key == key) d.*f.member = std::move(value);
    if (key == "code") d.code = std::atoi(value.c_str());
}

std::optional<Decision> parse_kv(std::string_view line) {
    auto first_space = line.find(' ');
    if (first_space == std::string_view::npos) return std::nullopt;
    auto when = parse_iso(line.substr(0, first_space));
    if (!when || line.substr(first_space + 1, kTag.size()) != kTag) return std::nullopt;
    Decision d;
    d.when = *when;
    std::size_t pos = first_space + 1 + kTag.size();
    bool versioned = false;
    while (pos < line.size()) {
        if (line[pos] != ' ') return std::nullopt;
        ++pos;
        auto eq = line.find('=', pos);
        if (eq == std::string_view::npos) return std::nullopt;
        auto key = line.substr(pos, eq - pos);
        pos = eq + 1;
        auto value = read_value(line, pos);
        if (!value) return std::nullopt;
        if (key == "v") {
            versioned = *value == std::to_string(kFormatVersion);
            continue;
        }
        assign(d, key, std::move(*value));
    }
    if (!versioned || d.ref.empty()) return std::nullopt;
    return d;
}

std::optional<Decision> parse_json(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("v", 0) != kFormatVersion) return std::nullopt;
    auto when = parse_iso(j.value("time", std::string()));
    if (!when) return std::nullopt;
    Decision d;
    d.when = *when;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.value().is_string()) assign(d, it.key(), it.value().get<std::string>());
    }
    d.code = j.value("code", 0);
    if (d.ref.empty()) return std::nullopt;
    return d;
}

}  // namespace

std::string new_ref() {
    static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uint64_t bits = rng();
    std::string ref(5, '0');
    for (char& c : ref) {
        c = kAlphabet[bits & 31];
        bits >>= 5;
    }
    return ref;
}

std::string iso_utc(std::chrono::system_clock::time_point when) {
    auto since = when.time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
    std::time_t t = secs.count();
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[80];  // room for any int the format could print (-Wformat-truncation)
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(millis));
    return buf;
}

std::string format_kv(const Decision& d) {
    std::string out = iso_utc(d.when);
    out += ' ';
    out += kTag;
    out += " v=" + std::to_string(kFormatVersion);
    for (const auto& f : kLeadingFields) {
        out += ' ';
        out += f.key;
        out += '=';
        append_value(out, d.*f.member);
    }
    out += " code=" + std::to_string(d.code);
    for (const auto& f : kTrailingFields) {
        out += ' ';
        out += f.key;
        out += '=';
        append_value(out, d.*f.member);
    }
    return out;
}

std::string format_json(const Decision& d) {
    nlohmann::ordered_json j;
    j["time"] = iso_utc(d.when);
    j["v"] = kFormatVersion;
    for (const auto& f : kLeadingFields) j[std::string(f.key)] = d.*f.member;
    j["code"] = d.code;
    for (const auto& f : kTrailingFields) j[std::string(f.key)] = d.*f.member;
    // Client bytes need not be UTF-8: replace rather than throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Decision> parse_line(std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) return std::nullopt;
    if (line.front() == '{') return parse_json(line);
    return parse_kv(line);
}

}  // namespace mw::decision
