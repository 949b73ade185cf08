// Mailbox::address(): the canonical wire form of a parsed mailbox (RFC 5321 §4.1.2).
// The local part is kept unquoted after parsing; here it is re-quoted when it is not a valid
// Dot-string, because §4.1.2 says a local part that can be a Dot-string SHOULD be sent as one and
// one that cannot MUST be quoted. Security: '"' and '\' are always escaped inside the quotes, so
// an address built here cannot break out of its quoted string.
#include "smtp/command.hpp"
#include "smtp/syntax.hpp"

namespace mw::smtp {

std::string Mailbox::address() const {
    std::string out;
    out.reserve(local_part.size() + domain.size() + 3);
    if (syntax::is_dot_atom(local_part)) {
        out += local_part;
    } else {
        out.push_back('"');
        for (const char c : local_part) {
            if (c == '"' || c == '\\') out.push_back('\\');  // RFC 5321 §4.1.2 quoted-pairSMTP
            out.push_back(c);
        }
        out.push_back('"');
    }
    // RCPT TO:<Postmaster> (RFC 5321 §4.1.1.3) has no domain: the address is the bare local part.
    if (!domain.empty()) {
        out.push_back('@');
        out += domain;
    }
    return out;
}

}  // namespace mw::smtp
