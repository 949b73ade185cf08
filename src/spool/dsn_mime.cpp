// The RFC 5322 / MIME pieces the DSN builder needs (see dsn_internal.hpp).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "spool/dsn_internal.hpp"

namespace mw::spool::dsn_detail {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
    return s;
}

// Calls f(line) for each line of `text`, without its line ending (CRLF, LF or CR). Stops early
// when f returns false.
template <class F>
void for_each_line(std::string_view text, F f) {
    while (!text.empty()) {
        auto end = text.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            f(text);
            return;
        }
        std::string_view line = text.substr(0, end);
        std::size_t skip =
            (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1;
        if (!f(line)) return;
        text.remove_prefix(end + skip);
    }
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// One UTF-8 sequence at s[i]: its code point and length, or nullopt (length 1 consumed) when it
// is invalid (RFC 3629 §3: no overlongs, no surrogates, nothing above U+10FFFF).
std::optional<std::pair<std::uint32_t, std::size_t>> next_code_point(std::string_view s,
                                                                     std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return std::pair<std::uint32_t, std::size_t>{b, 1};
    std::size_t len;
    std::uint32_t cp, min;
    if ((b & 0xE0) == 0xC0) {
        len = 2;
        cp = b & 0x1F;
        min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        len = 3;
        cp = b & 0x0F;
        min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        len = 4;
        cp = b & 0x07;
        min = 0x10000;
    } else {
        return std::nullopt;
    }
    if (i + len > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < len; ++k) {
        auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    return std::pair<std::uint32_t, std::size_t>{cp, len};
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> decode_base64(std::string_view in) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=')
            break;
        else
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

std::optional<std::string> decode_q(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '_') {
            out += ' ';
        } else if (in[i] == '=') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

// One encoded word "=?charset?B|Q?text?=" at the start of `s`: its decoded UTF-8 text and the
// length it occupied; nullopt when `s` does not start with one we can decode.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view s) {
    if (s.substr(0, 2) != "=?") return std::nullopt;
    auto q1 = s.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    auto end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view charset = s.substr(2, q1 - 2);
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 §5 language suffix
    std::string_view text = s.substr(q1 + 3, end - q1 - 3);
    if (text.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
    char enc = lower(s[q1 + 1]);
    std::optional<std::string> raw = enc == 'b'   ? decode_base64(text)
                                     : enc == 'q' ? decode_q(text)
                                                  : std::nullopt;
    if (!raw) return std::nullopt;
    std::string utf8;
    if (iequals(charset, "utf-8") || iequals(charset, "us-ascii")) {
        utf8 = std::move(*raw);
    } else if (iequals(charset, "iso-8859-1") || iequals(charset, "latin1")) {
        for (unsigned char c : *raw) append_utf8(utf8, c);
    } else {
        return std::nullopt;
    }
    return std::pair<std::string, std::size_t>{std::move(utf8), end + 2};
}

}  // namespace

std::string rfc5322_date(TimePoint t) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %u %s %04d %02d:%02d:%02d +0000",
                  kDays[weekday{day}.c_encoding()], static_cast<unsigned>(ymd.day()),
                  kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string normalize_line_ends(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 32 + 2);
    for_each_line(text, [&](std::string_view line) {
        out += line;
        out += "\r\n";
        return true;
    });
    return out;
}

std::string header_block(std::string_view message) {
    std::string out;
    for_each_line(message, [&](std::string_view line) {
        if (line.empty()) return false;
        out += line;
        out += "\r\n";
        return true;
    });
    return out;
}

std::optional<std::string> find_field(std::string_view headers, std::string_view name) {
    std::optional<std::string> value;
    bool in_match = false;
    for_each_line(headers, [&](std::string_view line) {
        if (line.empty()) return false;  // end of the header block
        if (is_wsp(line.front())) {
            if (in_match) *value += line;  // RFC 5322 §2.2.3 unfolding: drop only the CRLF
            return true;
        }
        if (value) return false;  // the field we wanted has ended
        auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
            value = std::string(line.substr(colon + 1));
            in_match = true;
        }
        return true;
    });
    if (value) *value = std::string(trim(*value));
    return value;
}

std::string fold_field(std::string_view name, std::string_view value) {
    // Leave room for the CRLF and the leading space of a continuation line.
    constexpr std::size_t kWordChunk = kMaxLineOctets - 8;
    std::string out(name);
    out += ':';
    std::size_t line_start = 0;
    bool first_word = true;
    auto add_word = [&](std::string_view word) {
        std::size_t line_len = out.size() - line_start;
        if (!first_word && line_len + 1 + word.size() > kFoldColumn) {
            out += "\r\n";
            line_start = out.size();
        }
        out += ' ';
        out += word;
        first_word = false;
    };
    std::size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && (is_wsp(value[i]) || value[i] == '\r' || value[i] == '\n')) ++i;
        std::size_t start = i;
        while (i < value.size() && !is_wsp(value[i]) && value[i] != '\r' && value[i] != '\n') ++i;
        std::string_view word = value.substr(start, i - start);
        // RFC 5322 folds only at whitespace; a word longer than a line gets a space put in.
        while (word.size() > kWordChunk) {
            add_word(word.substr(0, kWordChunk));
            word.remove_prefix(kWordChunk);
        }
        if (!word.empty()) add_word(word);
    }
    out += "\r\n";
    return out;
}

std::string quoted_printable(std::string_view text) {
    constexpr std::size_t kMaxEncoded = 76;  // RFC 2045 §6.7 rule 5, including the soft '='
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for_each_line(text, [&](std::string_view line) {
        std::size_t col = 0;
        for (std::size_t i = 0; i < line.size(); ++i) {
            auto b = static_cast<unsigned char>(line[i]);
            bool last = i + 1 == line.size();
            char token[4] = {0, 0, 0, 0};
            // Rule 3: whitespace at the end of a line must be encoded, or transports may drop it.
            if ((b >= 33 && b <= 126 && b != '=') || (!last && (b == ' ' || b == '\t'))) {
                token[0] = static_cast<char>(b);
            } else {
                token[0] = '=';
                token[1] = kHex[b >> 4];
                token[2] = kHex[b & 0xF];
            }
            std::string_view t(token);
            std::size_t room = last ? kMaxEncoded : kMaxEncoded - 1;
            if (col + t.size() > room) {
                out += "=\r\n";
                col = 0;
            }
            out += t;
            col += t.size();
        }
        out += "\r\n";
        return true;
    });
    return out;
}

bool is_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool lines_fit(std::string_view crlf_text) {
    std::size_t start = 0;
    while (start < crlf_text.size()) {
        auto end = crlf_text.find("\r\n", start);
        if (end == std::string_view::npos) end = crlf_text.size();
        if (end - start > kMaxLineOctets) return false;
        start = end + 2;
    }
    return true;
}

std::string printable_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        auto cp = next_code_point(text, i);
        if (!cp) {
            append_utf8(out, 0xFFFD);
            ++i;
            continue;
        }
        auto [c, len] = *cp;
        bool control = c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
        if (control)
            out += ' ';
        else
            out.append(text.substr(i, len));
        i += len;
    }
    return out;
}

std::string printable_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c == '\t')
            c = ' ';
        else if (c < 0x20 || c > 0x7E)
            c = '?';
    }
    return out;
}

std::string decode_encoded_words(std::string_view value) {
    std::string out;
    bool previous_was_word = false;
    std::size_t pending_space_from =
        0;  // whitespace after an encoded word, kept unless another follows
    std::size_t i = 0;
    while (i < value.size()) {
        if (auto word = encoded_word(value.substr(i))) {
            if (previous_was_word) out.resize(pending_space_from);  // RFC 2047 §6.2
            out += word->first;
            i += word->second;
            previous_was_word = true;
            pending_space_from = out.size();
            continue;
        }
        if (!is_wsp(value[i])) previous_was_word = false;
        out += value[i++];
    }
    return out;
}

}  // namespace mw::spool::dsn_detail
