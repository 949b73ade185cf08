#include "autoconfig/client_settings.hpp"

#include <algorithm>
#include <cctype>

#include "config/listen_address.hpp"
#include "smtp/capabilities.hpp"

namespace mw::autoconfig {

ClientSettings client_settings(const config::Settings& settings) {
    ClientSettings out;
    out.hostname = settings.hostname;
    // Implicit TLS first (RFC 8314 §3.3: preferred over STARTTLS), whatever the table order.
    for (const auto kind : {smtp::ListenerKind::Submissions, smtp::ListenerKind::Submission}) {
        for (const auto& listener : settings.listeners) {
            if (listener.kind != kind || !listener.enabled || listener.addresses.empty()) continue;
            auto address = config::parse_listen_address(listener.addresses.front());
            if (!address) continue;  // loading checked every address; a hand-built one is skipped
            SubmissionService service;
            service.port = address->port;
            service.security = kind == smtp::ListenerKind::Submissions ? Security::ImplicitTls
                                                                       : Security::StartTls;
            service.mechanisms = smtp::auth_mechanisms(/*scram_available=*/true);
            out.submission.push_back(std::move(service));
        }
    }
    return out;
}

bool offers_mechanism(const SubmissionService& service, std::string_view mechanism) {
    return std::find(service.mechanisms.begin(), service.mechanisms.end(), mechanism) !=
           service.mechanisms.end();
}

bool offers_password_cleartext(const SubmissionService& service) {
    return offers_mechanism(service, "PLAIN") || offers_mechanism(service, "LOGIN");
}

std::optional<std::string> domain_of_address(std::string_view address) {
    const auto at = address.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
        address.find('@', at + 1) != std::string_view::npos)
        return std::nullopt;
    for (unsigned char c : address)
        if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f) return std::nullopt;
    std::string domain(address.substr(at + 1));
    std::transform(domain.begin(), domain.end(), domain.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return domain;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                if (c < 0x20 && ch != '\t' && ch != '\n') break;  // not allowed in XML 1.0
                out += ch;
        }
    }
    return out;
}

namespace {

std::string security_words(Security security) {
    return security == Security::ImplicitTls ? "SSL/TLS" : "STARTTLS";
}

}  // namespace

std::string client_settings_markdown(const ClientSettings& settings) {
    std::string ports;
    for (std::size_t i = 0; i < settings.submission.size(); ++i) {
        const auto& s = settings.submission[i];
        if (i > 0) ports += ", or ";
        ports += std::to_string(s.port) + " with " + security_words(s.security);
        if (i == 0 && settings.submission.size() > 1) ports += " (preferred)";
    }
    if (ports.empty()) ports = "none: no submission listener is enabled";
    std::string mechanisms;
    bool cleartext = false;
    bool scram = false;
    for (const auto& s : settings.submission) {
        cleartext = cleartext || offers_password_cleartext(s);
        scram = scram || offers_mechanism(s, "SCRAM-SHA-256");
    }
    if (cleartext) mechanisms = "normal password (PLAIN or LOGIN)";
    if (scram)
        mechanisms += std::string(mechanisms.empty() ? "" : ", or ") +
                      "SCRAM-SHA-256 (\"encrypted password\" in some clients)";
    mechanisms += ", always inside TLS";
    std::string out;
    out += "| setting | value |\n| --- | --- |\n";
    out += "| outgoing server (SMTP) | `" + settings.hostname + "` |\n";
    out += "| port and security | " + ports + " |\n";
    out += "| authentication | " + mechanisms + " |\n";
    out += "| username | the **full** email address, e.g. `alice@example.org` |\n";
    return out;
}

}  // namespace mw::autoconfig
