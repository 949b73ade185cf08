// EHLO keywords. Each one names the RFC that defines it.
#include "smtp/capabilities.hpp"

#include "smtp/session.hpp"

namespace mw::smtp {

std::vector<std::string> ehlo_capabilities(const SessionLimits& limits) {
    return {
        "PIPELINING",                                       // RFC 2920
        "SIZE " + std::to_string(limits.max_message_size),  // RFC 1870 §4
        "8BITMIME",                                         // RFC 6152
        "ENHANCEDSTATUSCODES",                              // RFC 2034
        "SMTPUTF8",                                         // RFC 6531
        "CHUNKING",                                         // RFC 3030
    };
}

std::vector<std::string> auth_mechanisms(bool scram_available) {
    // RFC 7677: SCRAM-SHA-256 first, as the strongest; clients choose by their own preference.
    if (scram_available) return {"SCRAM-SHA-256", "PLAIN", "LOGIN"};
    return {"PLAIN", "LOGIN"};  // RFC 4616 PLAIN; LOGIN for older clients (Outlook, iOS)
}

}  // namespace mw::smtp
