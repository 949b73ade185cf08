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

}  // namespace mw::smtp
