#include "directory/address.hpp"

#include <cstdint>
#include <optional>

namespace mw::directory {
namespace {

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool is_ldh(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// Strict UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF), as RFC 6531 requires.
bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
        if (len == 0 || i + len > s.size()) return false;
        std::uint32_t cp = len == 1   ? c
                           : len == 2 ? (c & 0x1f)
                           : len == 3 ? (c & 0x0f)
                                      : (c & 0x07);
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 2) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

// RFC 5322 atext without '/', which would split a Maildir path.
bool is_local_char(unsigned char c) {
    if (c >= 0x80) return true;  // UTF-8, checked as a whole
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-=?^_`{|}~.").find(static_cast<char>(c)) !=
           std::string_view::npos;
}

std::string bad_domain(std::string_view domain, std::string_view why) {
    return "'" + std::string(domain) + "' is not a valid domain: " + std::string(why);
}

std::optional<std::string> check_label(std::string_view label) {
    const std::string quoted = "label '" + std::string(label) + "'";
    if (label.empty()) return std::string("empty label (two dots in a row, or a leading dot)");
    if (label.size() > 63) return quoted + " is longer than 63 bytes";
    if (label.front() == '-' || label.back() == '-')
        return quoted + " may not start or end with '-'";
    for (unsigned char c : label) {
        if (c < 0x80 && !is_ldh(c)) return quoted + " may only contain letters, digits and '-'";
    }
    if (!is_valid_utf8(label)) return quoted + " is not valid UTF-8";
    return std::nullopt;
}

}  // namespace

Result<std::string, std::string> canonical_domain(std::string_view domain) {
    std::string_view d = domain;
    if (d.ends_with('.')) d.remove_suffix(1);  // "example.org." is the same domain
    if (d.empty()) return unexpected(bad_domain(domain, "it is empty"));
    if (d.size() > kMaxDomainBytes) return unexpected(bad_domain(domain, "longer than 255 bytes"));
    std::size_t start = 0;
    while (start <= d.size()) {
        const std::size_t dot = d.find('.', start);
        const std::size_t end = dot == std::string_view::npos ? d.size() : dot;
        if (auto why = check_label(d.substr(start, end - start)))
            return unexpected(bad_domain(domain, *why));
        start = end + 1;
    }
    return ascii_lower(d);
}

Result<std::string, std::string> canonical_local_part(std::string_view local) {
    const std::string quoted = "local part '" + std::string(local) + "'";
    if (local.empty()) return unexpected(quoted + " is empty");
    if (local.size() > kMaxLocalPartBytes) return unexpected(quoted + " is longer than 64 bytes");
    for (unsigned char c : local) {
        if (!is_local_char(c))
            return unexpected(quoted +
                              " contains a character that is not allowed (allowed: "
                              "letters, digits, UTF-8 and !#$%&'*+-=?^_`{|}~.)");
    }
    // Dot-string rules (RFC 5321 §4.1.2) also keep ".", ".." and hidden names out of Maildir.
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
        return unexpected(quoted + " may not start or end with '.' or contain '..'");
    if (!is_valid_utf8(local)) return unexpected(quoted + " is not valid UTF-8");
    return ascii_lower(local);
}

Result<CanonicalAddress, std::string> canonical_address(std::string_view address) {
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos)
        return unexpected("'" + std::string(address) +
                          "' is not an email address: expected local-part@domain");
    auto local = canonical_local_part(address.substr(0, at));
    if (!local) return unexpected(local.error());
    auto domain = canonical_domain(address.substr(at + 1));
    if (!domain) return unexpected(domain.error());
    return CanonicalAddress{std::move(*local), std::move(*domain)};
}

}  // namespace mw::directory
