// ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 §4.1.2 esmtp-param; RFC 1870 SIZE,
// RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 §5 AUTH, RFC 3461 §4 RET/ENVID/NOTIFY/ORCPT).
// Only extensions we advertise are accepted: anything else is 555 (RFC 5321 §4.1.1.11), because
// silently ignoring a parameter could promise behaviour (e.g. BINARYMIME) we do not provide.
// Security: numbers are overflow-checked, duplicates refused, decoded xtext has no control chars.
#include <cstdint>
#include <limits>

#include "smtp/parse_params.hpp"
#include "smtp/syntax.hpp"

namespace mw::smtp::detail {
namespace {

using syntax::iequals;

Unexpected<ParseError> fail(ParseErrorKind kind, const char* detail) {
    return unexpected(ParseError{kind, detail});
}
std::optional<ParseError> error(ParseErrorKind kind, const char* detail) {
    return ParseError{kind, detail};
}

// RFC 3461 §4.4: ENVID is at most 100 characters; §4.2: ORCPT at most 500.
constexpr std::size_t kMaxEnvid = 100;
constexpr std::size_t kMaxOrcpt = 500;

struct Param {
    std::string_view keyword;
    std::optional<std::string_view> value;  // absent when there is no "="
};

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view k) {
    if (k.empty() || !syntax::is_let_dig(k.front())) return false;
    for (const char c : k) {
        if (!syntax::is_let_dig(c) && c != '-') return false;
    }
    return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), widened to UTF-8 by RFC 6531 §3.3.
bool is_value(std::string_view v) {
    if (v.empty()) return false;
    for (const char c : v) {
        if (syntax::is_non_ascii(c)) continue;
        if (c < 33 || c > 126 || c == '=') return false;
    }
    return syntax::is_valid_utf8(v);
}

// Splits the next SP-separated parameter off `text`.
Result<Param, ParseError> next_param(std::string_view& text) {
    const std::size_t sp = text.find(' ');
    const std::string_view word = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view{} : text.substr(sp + 1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    Param p;
    const std::size_t eq = word.find('=');
    p.keyword = word.substr(0, eq);
    if (!is_keyword(p.keyword)) return fail(ParseErrorKind::Syntax, "bad parameter keyword");
    if (eq != std::string_view::npos) {
        p.value = word.substr(eq + 1);
        if (!is_value(*p.value)) return fail(ParseErrorKind::BadParameterValue, "bad value");
    }
    return p;
}

// RFC 1870 size-value = 1*20DIGIT, refused (not wrapped) when it does not fit in 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view v) {
    if (v.empty() || v.size() > 20) return std::nullopt;
    std::uint64_t n = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (const char c : v) {
        if (!syntax::is_digit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (n > (kMax - d) / 10) return std::nullopt;
        n = n * 10 + d;
    }
    return n;
}

std::string upper(std::string_view v) {
    std::string s(v);
    for (char& c : s) c = syntax::to_upper(c);
    return s;
}

// RFC 3461 §4 xtext, checked but kept as transmitted (it is relayed and echoed in DSNs as is).
std::optional<std::string> checked_xtext(std::string_view v, std::size_t max) {
    if (v.size() > max || !decode_xtext(v)) return std::nullopt;
    return std::string(v);
}

std::optional<ParseError> apply_body(std::string_view v, MailParams& p) {
    if (iequals(v, "7BIT")) {
        p.body = BodyType::SevenBit;
    } else if (iequals(v, "8BITMIME")) {
        p.body = BodyType::EightBitMime;
    } else if (iequals(v, "BINARYMIME")) {
        // RFC 3030 §3: only valid when BINARYMIME is advertised, which we do not do.
        return error(ParseErrorKind::UnknownParameter, "BODY=BINARYMIME is not supported");
    } else {
        return error(ParseErrorKind::BadParameterValue, "BODY must be 7BIT or 8BITMIME");
    }
    return std::nullopt;
}

// Keywords in the order of the bits of the duplicate mask.
enum MailKey : unsigned { kSize, kBody, kSmtputf8, kAuth, kRet, kEnvid, kMailKeyCount };
constexpr std::string_view kMailKeys[kMailKeyCount] = {"SIZE", "BODY", "SMTPUTF8",
                                                       "AUTH", "RET",  "ENVID"};

std::optional<ParseError> apply_mail_param(MailKey key, std::optional<std::string_view> v,
                                           MailParams& p) {
    // RFC 6531 §3.4: SMTPUTF8 takes no value; every other parameter here requires one.
    if ((key == kSmtputf8) == v.has_value()) {
        return error(ParseErrorKind::BadParameterValue, "bad parameter value");
    }
    switch (key) {
        case kSize:
            p.size = parse_size(*v);
            if (!p.size) return error(ParseErrorKind::BadParameterValue, "bad SIZE value");
            return std::nullopt;
        case kBody:
            return apply_body(*v, p);
        case kSmtputf8:
            p.smtputf8 = true;
            return std::nullopt;
        case kAuth:  // RFC 4954 §5: AUTH=<> or an xtext-encoded mailbox
            p.auth = decode_xtext(*v);
            if (!p.auth) return error(ParseErrorKind::BadParameterValue, "bad AUTH value");
            return std::nullopt;
        case kRet:
            if (!iequals(*v, "FULL") && !iequals(*v, "HDRS")) {
                return error(ParseErrorKind::BadParameterValue, "RET must be FULL or HDRS");
            }
            p.ret = upper(*v);
            return std::nullopt;
        case kEnvid:
            p.envid = checked_xtext(*v, kMaxEnvid);
            if (!p.envid) return error(ParseErrorKind::BadParameterValue, "bad ENVID value");
            return std::nullopt;
        case kMailKeyCount:
            break;
    }
    return error(ParseErrorKind::UnknownParameter, "unknown parameter");
}

// RFC 3461 §4.1: NOTIFY=NEVER, or a comma list of SUCCESS, FAILURE, DELAY (each at most once).
bool is_notify(std::string_view v) {
    if (iequals(v, "NEVER")) return true;
    unsigned seen = 0;
    while (true) {
        const std::size_t comma = v.find(',');
        const std::string_view item = v.substr(0, comma);
        unsigned bit = 0;
        if (iequals(item, "SUCCESS")) bit = 1;
        if (iequals(item, "FAILURE")) bit = 2;
        if (iequals(item, "DELAY")) bit = 4;
        if (bit == 0 || (seen & bit) != 0) return false;
        seen |= bit;
        if (comma == std::string_view::npos) return true;
        v.remove_prefix(comma + 1);
    }
}

// RFC 3461 §4.2: ORCPT=addr-type ";" xtext, addr-type an atom such as "rfc822" or "utf-8".
bool is_orcpt(std::string_view v) {
    const std::size_t semi = v.find(';');
    if (semi == 0 || semi == std::string_view::npos || v.size() > kMaxOrcpt) return false;
    for (const char c : v.substr(0, semi)) {
        if (!syntax::is_atext_ascii(c)) return false;
    }
    return decode_xtext(v.substr(semi + 1)).has_value() && semi + 1 < v.size();
}

}  // namespace

std::optional<std::string> decode_xtext(std::string_view text) {
    const auto hex = [](char c) -> int {
        if (syntax::is_digit(c)) return c - '0';
        const char u = syntax::to_upper(c);
        return (u >= 'A' && u <= 'F') ? u - 'A' + 10 : -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            // hexchar = "+" 2(HEXDIG); lower-case hex is accepted as harmless sloppiness.
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex(text[i + 1]);
            const int lo = hex(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            const char d = static_cast<char>(hi * 16 + lo);
            if (syntax::is_control(d)) return std::nullopt;
            out.push_back(d);
            i += 2;
        } else if (c >= 33 && c <= 126 && c != '=') {
            out.push_back(c);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

Result<MailParams, ParseError> parse_mail_params(std::string_view text) {
    MailParams params;
    unsigned seen = 0;
    while (!text.empty()) {
        auto p = next_param(text);
        if (!p) return unexpected(p.error());
        unsigned key = 0;
        while (key < kMailKeyCount && !iequals(p->keyword, kMailKeys[key])) ++key;
        if (key == kMailKeyCount) {
            return fail(ParseErrorKind::UnknownParameter, "unknown MAIL parameter");
        }
        if ((seen & (1u << key)) != 0) {
            return fail(ParseErrorKind::BadParameterValue, "duplicate MAIL parameter");
        }
        seen |= 1u << key;
        if (auto e = apply_mail_param(static_cast<MailKey>(key), p->value, params)) {
            return unexpected(std::move(*e));
        }
    }
    return params;
}

Result<RcptParams, ParseError> parse_rcpt_params(std::string_view text) {
    RcptParams params;
    while (!text.empty()) {
        auto p = next_param(text);
        if (!p) return unexpected(p.error());
        const bool notify = iequals(p->keyword, "NOTIFY");
        if (!notify && !iequals(p->keyword, "ORCPT")) {
            return fail(ParseErrorKind::UnknownParameter, "unknown RCPT parameter");
        }
        std::optional<std::string>& slot = notify ? params.notify : params.orcpt;
        if (slot) return fail(ParseErrorKind::BadParameterValue, "duplicate RCPT parameter");
        if (!p->value || !(notify ? is_notify(*p->value) : is_orcpt(*p->value))) {
            return fail(ParseErrorKind::BadParameterValue, "bad RCPT parameter value");
        }
        slot = notify ? upper(*p->value) : std::string(*p->value);
    }
    return params;
}

}  // namespace mw::smtp::detail
