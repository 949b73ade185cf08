// Thunderbird autoconfig (clientConfig 1.1) and the IETF mailmaint draft's clientConfig 1.2.
// Both are served for every address of a hosted domain with the same bytes: the address only
// appears as the %EMAILADDRESS% placeholder, which the client fills in.
#include <string>

#include "autoconfig/client_settings.hpp"

namespace mw::autoconfig {
namespace {

const char* socket_type(Security security) {
    return security == Security::ImplicitTls ? "SSL" : "STARTTLS";
}

// displayShortName: at most 20 characters (the draft's MUST); the domain's first label.
std::string short_name(std::string_view domain) {
    std::string label(domain.substr(0, domain.find('.')));
    return label.substr(0, 20);
}

std::string client_config(const ClientSettings& settings, std::string_view domain,
                          const char* version, bool list_sasl_mechanisms) {
    const std::string d = xml_escape(domain);
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += std::string("<clientConfig version=\"") + version + "\">\n";
    out += "  <emailProvider id=\"" + d + "\">\n";
    out += "    <domain>" + d + "</domain>\n";
    out += "    <displayName>" + d + "</displayName>\n";
    out += "    <displayShortName>" + xml_escape(short_name(domain)) + "</displayShortName>\n";
    for (const auto& service : settings.submission) {
        std::string auth;
        if (list_sasl_mechanisms)
            for (const auto& m : service.mechanisms)
                if (m != "PLAIN" && m != "LOGIN")
                    auth += "      <authentication system=\"sasl\">" + xml_escape(m) +
                            "</authentication>\n";
        if (offers_password_cleartext(service))
            auth += "      <authentication>password-cleartext</authentication>\n";
        if (auth.empty()) continue;  // nothing a client could log in with
        out += "    <outgoingServer type=\"smtp\">\n";
        out += "      <hostname>" + xml_escape(settings.hostname) + "</hostname>\n";
        out += "      <port>" + std::to_string(service.port) + "</port>\n";
        out +=
            std::string("      <socketType>") + socket_type(service.security) + "</socketType>\n";
        out += auth;
        out += "      <username>%EMAILADDRESS%</username>\n";
        out += "    </outgoingServer>\n";
    }
    out += "  </emailProvider>\n";
    out += "</clientConfig>\n";
    return out;
}

}  // namespace

std::string thunderbird_config(const ClientSettings& settings, std::string_view domain) {
    // Thunderbird's 1.1 format knows only the generic methods; PLAIN/LOGIN is its
    // "password-cleartext" (TLS protects it: socketType is never plain).
    return client_config(settings, domain, "1.1", false);
}

std::string mailmaint_config(const ClientSettings& settings, std::string_view domain) {
    // draft-ietf-mailmaint-autoconfig: several <authentication> elements, most preferred first;
    // a specific SASL mechanism carries system="sasl" and is followed by a generic fallback.
    return client_config(settings, domain, "1.2", true);
}

}  // namespace mw::autoconfig
