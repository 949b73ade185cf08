// What a mail client needs to know to send through this server, derived from the live listener
// table (config::Settings) and the AUTH mechanisms the SMTP session offers
// (smtp::auth_mechanisms). Every autoconfig dialect, `mailwarden dns-records`,
// `mailwarden client-settings` and the README's client section are generated from this one
// struct, so they cannot disagree with each other or with what the listeners really do.
// Pure: no Asio, no directory, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace mw::autoconfig {

enum class Security {
    ImplicitTls,  // RFC 8314: TLS from the first byte (port 465)
    StartTls,     // RFC 3207 / RFC 6409: plaintext greeting, then STARTTLS (port 587)
};

struct SubmissionService {
    std::uint16_t port = 0;
    Security security = Security::ImplicitTls;
    std::vector<std::string> mechanisms;  // as EHLO lists them after TLS, strongest first
};

struct ClientSettings {
    std::string hostname;  // the `hostname` setting: the name clients connect to
    // Enabled submission listeners, implicit TLS first (RFC 8314 §3.3 prefers it), then
    // STARTTLS. The username is always the full email address.
    std::vector<SubmissionService> submission;
};

// From the loaded settings: one entry per enabled submission/submissions listener, with the
// port of its first address. The server offers SCRAM-SHA-256 on every listener
// (server.cpp gives each session the OpenSSL SCRAM implementation).
ClientSettings client_settings(const config::Settings& settings);

// PLAIN or LOGIN: what Thunderbird and the mailmaint draft call "password-cleartext".
bool offers_password_cleartext(const SubmissionService& service);
bool offers_mechanism(const SubmissionService& service, std::string_view mechanism);

// "alice@Example.ORG" -> "example.org"; nullopt unless exactly one '@' with text on both sides
// and no whitespace, double quotes or angle brackets (& and ' are valid in local parts).
std::optional<std::string> domain_of_address(std::string_view address);

// &, <, >, " and ' escaped; control characters other than tab/newline dropped (not allowed in
// XML 1.0).
std::string xml_escape(std::string_view text);

// Thunderbird autoconfig, clientConfig version 1.1 (/mail/config-v1.1.xml). The address is
// never in it (%EMAILADDRESS% placeholder), so every address of a domain gets the same bytes.
std::string thunderbird_config(const ClientSettings& settings, std::string_view domain);

// IETF mailmaint draft (draft-ietf-mailmaint-autoconfig), clientConfig version 1.2
// (/.well-known/mail-v1.xml): like 1.1, plus the exact SASL mechanisms, preferred first.
std::string mailmaint_config(const ClientSettings& settings, std::string_view domain);

// Microsoft Autodiscover (POX): the EMailAddress of the request, or an error saying what is
// wrong with the request body.
Result<std::string, std::string> autodiscover_request_address(std::string_view body);
// The POX response: one SMTP <Protocol> per submission service, LoginName = the address.
std::string autodiscover_response(const ClientSettings& settings, std::string_view address);

// Apple configuration profile (.mobileconfig, an XML property list) with one
// com.apple.mail.managed payload. No password inside: the device asks for it. The UUIDs are
// derived from the host and address, so downloading the profile again replaces the installed
// one instead of adding a second.
std::string apple_mobileconfig(const ClientSettings& settings, std::string_view address);

// Zone-file lines to publish for a hosted domain, each with a comment saying why.
std::string dns_records(const ClientSettings& settings, std::string_view domain);

// The "Setting up mail clients" table (Markdown).
std::string client_settings_markdown(const ClientSettings& settings);

}  // namespace mw::autoconfig
