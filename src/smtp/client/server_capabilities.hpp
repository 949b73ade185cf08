// What a remote server offers in its EHLO reply (RFC 5321 §4.1.1.1, §4.1.4): the keywords the
// client acts on. Pure: the EHLO reply in, a struct out. Unknown keywords are ignored, as
// RFC 5321 §2.2.2 asks; so is CHUNKING (RFC 3030), which we do not use: DATA works everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smtp/client/reply_parser.hpp"

namespace mw::smtp::client {

struct ServerCapabilities {
    bool esmtp = false;  // the server answered EHLO (not only HELO)
    bool size = false;   // RFC 1870: the SIZE= parameter may be sent
    // RFC 1870 §4: "SIZE" alone or "SIZE 0" declares no limit.
    std::optional<std::uint64_t> size_limit;
    bool pipelining = false;                   // RFC 2920
    bool eight_bit_mime = false;               // RFC 6152
    bool smtputf8 = false;                     // RFC 6531
    bool starttls = false;                     // RFC 3207
    bool enhanced_status_codes = false;        // RFC 2034
    bool chunking = false;                     // RFC 3030 (recorded, not used)
    std::vector<std::string> auth_mechanisms;  // RFC 4954 §3, upper-cased, in offered order

    bool offers_auth(std::string_view mechanism) const;
};

// Keywords are case-insensitive (RFC 5321 §4.1.1.1). The old "AUTH=MECH ..." spelling that some
// servers still send next to "AUTH MECH ..." counts as well.
ServerCapabilities parse_ehlo_reply(const RemoteReply& reply);

}  // namespace mw::smtp::client
