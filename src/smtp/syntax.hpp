// Lexical helpers shared by the SMTP parsers (parse_command, parse_path, parse_params): RFC 5234
// core character classes, RFC 5322 atext, and RFC 3629 UTF-8 well-formedness.
// Internal to src/smtp; everything is constexpr, total and allocation-free.
// Security: utf8_sequence_length() is the single place that decides what non-ASCII is acceptable;
// overlong forms and surrogates are refused so that no two byte strings name the same address.
#pragma once

#include <cstddef>
#include <string_view>

namespace mw::smtp::syntax {

constexpr bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr bool is_let_dig(char c) noexcept {
    return is_alpha(c) || is_digit(c);
}
constexpr bool is_non_ascii(char c) noexcept {
    return static_cast<unsigned char>(c) >= 0x80;
}
// Any C0 control or DEL: never allowed in a command line (NUL and CR/LF are smuggling vectors).
constexpr bool is_control(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

// RFC 5322 §3.2.3 atext, ASCII part (RFC 6531 §3.3 adds UTF8-non-ascii, handled by callers).
constexpr bool is_atext_ascii(char c) noexcept {
    if (is_let_dig(c)) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '/':
        case '=':
        case '?':
        case '^':
        case '_':
        case '`':
        case '{':
        case '|':
        case '}':
        case '~':
            return true;
        default:
            return false;
    }
}

constexpr char to_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? char(c - 32) : c;
}

// ASCII case-insensitive equality (SMTP verbs and keywords, RFC 5321 §2.4).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    }
    return true;
}
constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Length of the well-formed UTF-8 sequence (RFC 3629 §4 UTF8-2/3/4) starting at s[i], or 0 when
// it is not one: stray continuation bytes, C0/C1 and E0/F0 overlongs, UTF-16 surrogates
// (ED A0..BF), code points above U+10FFFF and truncated sequences are all refused.
constexpr std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const auto cont = [&](std::size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
    const unsigned char lead = b(i);
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return cont(i + 1) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        if (lead == 0xE0 && b(i + 1) < 0xA0) return 0;   // overlong
        if (lead == 0xED && b(i + 1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        if (lead == 0xF0 && b(i + 1) < 0x90) return 0;   // overlong
        if (lead == 0xF4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;  // 80..C1 (continuation or overlong lead), F5..FF
}

constexpr bool is_valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// RFC 5321 §4.1.2 Dot-string with RFC 6531 §3.3 UTF-8 atext: atoms separated by single dots.
constexpr bool is_dot_atom(std::string_view s) noexcept {
    bool need_atext = true;  // at the start and after each dot
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '.') {
            if (need_atext) return false;
            need_atext = true;
            ++i;
            continue;
        }
        std::size_t n = 1;
        if (is_non_ascii(s[i])) {
            n = utf8_sequence_length(s, i);
            if (n == 0) return false;
        } else if (!is_atext_ascii(s[i])) {
            return false;
        }
        need_atext = false;
        i += n;
    }
    return !need_atext;
}

}  // namespace mw::smtp::syntax
