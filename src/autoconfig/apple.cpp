// Apple configuration profile (.mobileconfig): an XML property list holding one
// com.apple.mail.managed payload with the outgoing (SMTP) server. Unsigned, no password inside;
// the device asks the user for the password when the profile is installed.
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "autoconfig/client_settings.hpp"

namespace mw::autoconfig {
namespace {

std::uint64_t fnv1a(std::string_view text, std::uint64_t seed) {
    std::uint64_t h = seed;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

// A stable UUID for (purpose, host, address): RFC 9562 version 8 (vendor-defined bits), so the
// same profile downloaded twice carries the same identity and replaces itself on the device.
std::string stable_uuid(std::string_view purpose, std::string_view host, std::string_view address) {
    const std::string key =
        std::string(purpose) + '\n' + std::string(host) + '\n' + std::string(address);
    std::uint64_t hi = fnv1a(key, 0xcbf29ce484222325ULL);
    std::uint64_t lo = fnv1a(key, 0x84222325cbf29ce4ULL ^ hi);
    hi = (hi & ~0xf000ULL) | 0x8000ULL;              // version 8
    lo = (lo & ~(0xc0ULL << 56)) | (0x80ULL << 56);  // variant 10
    return fmt::format("{:08X}-{:04X}-{:04X}-{:04X}-{:012X}", hi >> 32, (hi >> 16) & 0xffff,
                       hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

// Reverse-DNS style identifier: letters, digits, dots and hyphens only.
std::string identifier_part(std::string_view text) {
    std::string out;
    for (unsigned char c : text)
        out += (std::isalnum(c) || c == '.' || c == '-') ? static_cast<char>(c) : '-';
    return out;
}

void key_string(std::string& out, std::string_view indent, std::string_view key,
                std::string_view value) {
    out += fmt::format("{}<key>{}</key>\n{}<string>{}</string>\n", indent, key, indent,
                       xml_escape(value));
}
void key_integer(std::string& out, std::string_view indent, std::string_view key, long value) {
    out += fmt::format("{}<key>{}</key>\n{}<integer>{}</integer>\n", indent, key, indent, value);
}
void key_bool(std::string& out, std::string_view indent, std::string_view key, bool value) {
    out += fmt::format("{}<key>{}</key>\n{}<{}/>\n", indent, key, indent, value ? "true" : "false");
}

}  // namespace

std::string apple_mobileconfig(const ClientSettings& settings, std::string_view address) {
    const std::string base =
        "mailwarden." + identifier_part(settings.hostname) + ".mail." + identifier_part(address);
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
        "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
        "<plist version=\"1.0\">\n<dict>\n";
    out += "  <key>PayloadContent</key>\n  <array>\n";
    // One mail payload holds one outgoing server: the preferred one (implicit TLS first).
    const SubmissionService* chosen = nullptr;
    for (const auto& s : settings.submission)
        if (offers_password_cleartext(s)) {
            chosen = &s;
            break;
        }
    if (chosen) {
        const std::string_view in = "      ";
        out += "    <dict>\n";
        key_string(out, in, "EmailAccountDescription", address);
        key_string(out, in, "EmailAddress", address);
        key_string(out, in, "OutgoingMailServerAuthentication", "EmailAuthPassword");
        key_string(out, in, "OutgoingMailServerHostName", settings.hostname);
        key_integer(out, in, "OutgoingMailServerPortNumber", chosen->port);
        // UseSSL means TLS from the first byte; on a STARTTLS port the device upgrades itself.
        key_bool(out, in, "OutgoingMailServerUseSSL", chosen->security == Security::ImplicitTls);
        key_string(out, in, "OutgoingMailServerUsername", address);
        key_string(out, in, "PayloadDescription",
                   "Outgoing mail (SMTP) settings for " + std::string(address));
        key_string(out, in, "PayloadDisplayName", std::string(address));
        key_string(out, in, "PayloadIdentifier", base + ".smtp");
        key_string(out, in, "PayloadType", "com.apple.mail.managed");
        key_string(out, in, "PayloadUUID", stable_uuid("smtp", settings.hostname, address));
        key_integer(out, in, "PayloadVersion", 1);
        out += "    </dict>\n";
    }
    out += "  </array>\n";
    const std::string_view top = "  ";
    key_string(out, top, "PayloadDescription",
               "Mail settings for " + std::string(address) + " from " + settings.hostname);
    key_string(out, top, "PayloadDisplayName", "Mail: " + std::string(address));
    key_string(out, top, "PayloadIdentifier", base);
    key_bool(out, top, "PayloadRemovalDisallowed", false);
    key_string(out, top, "PayloadType", "Configuration");
    key_string(out, top, "PayloadUUID", stable_uuid("profile", settings.hostname, address));
    key_integer(out, top, "PayloadVersion", 1);
    out += "</dict>\n</plist>\n";
    return out;
}

}  // namespace mw::autoconfig
