// Canonical forms of domains and addresses, shared by every Directory backend so that they all
// agree on what "the same user" means. Pure functions, no I/O.
// Domains: ASCII letters lower-cased, one trailing dot dropped; LDH labels or UTF-8 U-labels
// (compared byte-exact apart from ASCII case: no IDNA mapping, so store U-labels in NFC).
// Local parts: ASCII letters lower-cased, UTF-8 bytes kept as they are; they must be usable as a
// Maildir directory name, so '/', control bytes and leading or repeated dots are refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace mw::directory {

inline constexpr std::size_t kMaxDomainBytes = 255;
inline constexpr std::size_t kMaxLocalPartBytes = 64;  // RFC 5321 §4.5.3.1.1

struct CanonicalAddress {
    std::string local_part;
    std::string domain;
    std::string address() const { return local_part + "@" + domain; }
};

// Error texts name the input and the rule, e.g. "'exa_mple.test' is not a valid domain: label
// 'exa_mple' may only contain letters, digits and '-'".
Result<std::string, std::string> canonical_domain(std::string_view domain);
Result<std::string, std::string> canonical_local_part(std::string_view local_part);
// Splits at the last '@'.
Result<CanonicalAddress, std::string> canonical_address(std::string_view address);

}  // namespace mw::directory
