// Reverse-path and Forward-path parsing (RFC 5321 §4.1.2, §4.1.3 address literals, §4.1.1.3
// source routes, §4.5.3.1 size limits; RFC 6531 §3.3 UTF-8 local parts and U-label domains).
// Security: the local part is stored unquoted, so callers must use Mailbox::address() (which
// re-quotes) whenever they put it back on the wire; control characters and malformed UTF-8
// (overlongs, surrogates) are refused so that one mailbox has one spelling.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "smtp/command.hpp"
#include "smtp/parse_params.hpp"
#include "smtp/syntax.hpp"

namespace mw::smtp {
namespace {

using syntax::is_let_dig;
using syntax::is_non_ascii;
using syntax::utf8_sequence_length;

Unexpected<ParseError> fail(ParseErrorKind kind, const char* detail) {
    return unexpected(ParseError{kind, detail});
}

// RFC 1035 §2.3.4: a label is at most 63 octets (applied to ASCII labels; U-labels are limited
// by their A-label form, which is not computed here).
constexpr std::size_t kMaxLabel = 63;

// One label of RFC 5321 sub-domain = Let-dig [Ldh-str], or an RFC 6531 U-label.
bool check_label(std::string_view label, bool& utf8) {
    if (label.empty() || label.back() == '-') return false;
    if (!is_let_dig(label.front()) && !is_non_ascii(label.front())) return false;
    bool non_ascii = false;
    for (std::size_t i = 0; i < label.size();) {
        const char c = label[i];
        if (is_non_ascii(c)) {
            const std::size_t n = utf8_sequence_length(label, i);
            if (n == 0) return false;
            non_ascii = true;
            i += n;
            continue;
        }
        if (!is_let_dig(c) && c != '-') return false;
        ++i;
    }
    if (!non_ascii && label.size() > kMaxLabel) return false;
    utf8 = utf8 || non_ascii;
    return true;
}

struct DomainInfo {
    bool literal = false;
    bool utf8 = false;
};

// RFC 5321 §4.1.2 Domain / address-literal, with the §4.5.3.1.2 length limit.
Result<DomainInfo, ParseError> check_domain(std::string_view domain, bool allow_literal) {
    if (domain.size() > kMaxDomain) return fail(ParseErrorKind::DomainTooLong, "domain too long");
    DomainInfo info;
    if (!domain.empty() && domain.front() == '[') {
        if (!allow_literal || !detail::is_address_literal(domain)) {
            return fail(ParseErrorKind::BadAddress, "bad address literal");
        }
        info.literal = true;
        return info;
    }
    if (domain.empty()) return fail(ParseErrorKind::BadAddress, "missing domain");
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = domain.find('.', start);
        const std::string_view label = domain.substr(start, dot - start);
        if (!check_label(label, info.utf8)) {
            return fail(ParseErrorKind::BadAddress, "bad domain syntax");
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return info;
}

// RFC 5321 §4.1.2 Quoted-string (qtextSMTP / quoted-pairSMTP, plus RFC 6531 UTF-8). `s` starts
// at the opening quote. Returns the index just past the closing quote and fills `out` unquoted.
Result<std::size_t, ParseError> scan_quoted(std::string_view s, std::string& out) {
    for (std::size_t i = 1; i < s.size();) {
        const char c = s[i];
        if (c == '"') return i + 1;
        if (c == '\\') {
            // quoted-pairSMTP = %d92 %d32-126
            if (i + 1 >= s.size() || s[i + 1] < 32 || s[i + 1] > 126) break;
            out.push_back(s[i + 1]);
            i += 2;
        } else if (is_non_ascii(c)) {
            const std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) break;
            out.append(s.substr(i, n));
            i += n;
        } else if (c >= 32 && c <= 126) {
            out.push_back(c);
            ++i;
        } else {
            break;
        }
    }
    return fail(ParseErrorKind::BadAddress, "bad quoted local part");
}

// Local-part = Dot-string / Quoted-string. Returns the index of the '@' that follows it.
Result<std::size_t, ParseError> scan_local_part(std::string_view s, Mailbox& mb) {
    std::size_t end = 0;
    if (!s.empty() && s.front() == '"') {
        auto r = scan_quoted(s, mb.local_part);
        if (!r) return unexpected(r.error());
        end = *r;
        mb.local_part_quoted = true;
    } else {
        end = std::min(s.find('@'), s.size());
        mb.local_part.assign(s.substr(0, end));
        if (!syntax::is_dot_atom(mb.local_part)) {
            return fail(ParseErrorKind::BadAddress, "bad local part");
        }
    }
    if (end >= s.size() || s[end] != '@') return fail(ParseErrorKind::BadAddress, "missing @");
    // RFC 5321 §4.5.3.1.1: measured as transmitted (quotes and escapes included).
    if (end > kMaxLocalPart) return fail(ParseErrorKind::LocalPartTooLong, "local part too long");
    return end;
}

// RFC 5321 §4.1.2 A-d-l = At-domain *( "," At-domain ) ":" — parsed, then ignored (§4.1.1.3,
// Appendix C). Returns the index just past the ':'.
Result<std::size_t, ParseError> skip_source_route(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size() && s[pos] == '@') {
        const std::size_t end = s.find_first_of(",:", pos + 1);
        if (end == std::string_view::npos) break;
        auto d = check_domain(s.substr(pos + 1, end - pos - 1), false);
        if (!d) return unexpected(d.error());
        if (s[end] == ':') return end + 1;
        pos = end + 1;
    }
    return fail(ParseErrorKind::BadAddress, "bad source route");
}

bool has_non_ascii(std::string_view s) {
    for (const char c : s) {
        if (is_non_ascii(c)) return true;
    }
    return false;
}

}  // namespace

namespace detail {

bool is_address_literal(std::string_view text) {
    if (text.size() < 3 || text.front() != '[' || text.back() != ']') return false;
    std::string_view inner = text.substr(1, text.size() - 2);
    int family = AF_INET;
    // RFC 5321 §4.1.3 IPv6-address-literal = "IPv6:" IPv6-addr; the tag is matched
    // case-insensitively like other SMTP keywords. General-address-literal tags are not offered.
    if (syntax::istarts_with(inner, "IPv6:")) {
        inner.remove_prefix(5);
        family = AF_INET6;
    }
    char buf[64];
    if (inner.empty() || inner.size() >= sizeof buf) return false;
    std::memcpy(buf, inner.data(), inner.size());
    buf[inner.size()] = '\0';
    if (std::strlen(buf) != inner.size()) return false;  // embedded NUL
    unsigned char addr[16];
    return inet_pton(family, buf, addr) == 1;
}

}  // namespace detail

Result<Path, ParseError> parse_path(std::string_view text, bool allow_null) {
    if (text.size() < 2 || text.front() != '<' || text.back() != '>') {
        return fail(ParseErrorKind::Syntax, "path must be enclosed in <>");
    }
    std::string_view inner = text.substr(1, text.size() - 2);
    Path path;
    if (inner.empty()) {
        if (!allow_null) return fail(ParseErrorKind::BadAddress, "null path not allowed here");
        path.null = true;
        return path;
    }
    if (inner.front() == '@') {
        auto r = skip_source_route(inner);
        if (!r) return unexpected(r.error());
        inner.remove_prefix(*r);
    }
    Mailbox& mb = path.mailbox;
    auto at = scan_local_part(inner, mb);
    if (!at) return unexpected(at.error());
    const std::string_view domain = inner.substr(*at + 1);
    auto d = check_domain(domain, true);
    if (!d) return unexpected(d.error());
    // RFC 5321 §4.5.3.1.3: the whole path, punctuation (and any source route) included.
    if (text.size() > kMaxPath) return fail(ParseErrorKind::PathTooLong, "path too long");
    mb.domain.assign(domain);
    mb.domain_is_literal = d->literal;
    mb.utf8 = d->utf8 || has_non_ascii(mb.local_part);
    return path;
}

}  // namespace mw::smtp
