// Microsoft Autodiscover, "Plain Old XML" flavour (the one Outlook uses for POP/IMAP/SMTP
// accounts): POST /autodiscover/autodiscover.xml with the address, answered with the settings.
// The settings are public, so no credentials are asked for (the same as for Thunderbird's).
#include <string>

#include "autoconfig/client_settings.hpp"

namespace mw::autoconfig {
namespace {

// The five predefined entities and numeric references; anything else is an error (a client
// never sends them in an address).
Result<std::string, std::string> xml_unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        const auto semi = text.find(';', i);
        if (semi == std::string_view::npos)
            return mw::unexpected(std::string("EMailAddress holds an unterminated entity"));
        const std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "amp")
            out += '&';
        else if (entity == "lt")
            out += '<';
        else if (entity == "gt")
            out += '>';
        else if (entity == "quot")
            out += '"';
        else if (entity == "apos")
            out += '\'';
        else if (entity.size() > 1 && entity.size() <= 4 && entity[0] == '#' &&
                 entity.find_first_not_of("0123456789", 1) == std::string_view::npos) {
            const int code = std::stoi(std::string(entity.substr(1)));
            if (code < 0x20 || code > 0x7e)
                return mw::unexpected(
                    std::string("EMailAddress holds a non-ASCII character "
                                "reference"));
            out += static_cast<char>(code);
        } else {
            return mw::unexpected("EMailAddress holds an unknown entity &" + std::string(entity) +
                                  ";");
        }
        i = semi;
    }
    return out;
}

// The text of the first element whose local name is `name`, with or without a namespace prefix
// (<EMailAddress> or <a:EMailAddress>).
std::optional<std::string_view> element_text(std::string_view xml, std::string_view name) {
    std::size_t from = 0;
    while (from < xml.size()) {
        const auto open = xml.find('<', from);
        if (open == std::string_view::npos) return std::nullopt;
        const auto close = xml.find('>', open);
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view tag = xml.substr(open + 1, close - open - 1);
        from = close + 1;
        if (tag.empty() || tag.front() == '/' || tag.front() == '?' || tag.front() == '!') continue;
        tag = tag.substr(0, tag.find_first_of(" \t\r\n/"));
        const auto colon = tag.find(':');
        const std::string_view local =
            colon == std::string_view::npos ? tag : tag.substr(colon + 1);
        if (local != name || xml[close - 1] == '/') continue;
        const auto end = xml.find("</", from);
        if (end == std::string_view::npos) return std::nullopt;
        return xml.substr(from, end - from);
    }
    return std::nullopt;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

Result<std::string, std::string> autodiscover_request_address(std::string_view body) {
    auto text = element_text(body, "EMailAddress");
    if (!text)
        return mw::unexpected(std::string(
            "the request must be Autodiscover XML with <Request><EMailAddress>user@domain"
            "</EMailAddress></Request>"));
    auto address = xml_unescape(trim(*text));
    if (!address) return mw::unexpected(address.error());
    if (!domain_of_address(*address))
        return mw::unexpected("EMailAddress \"" + xml_escape(*address) +
                              "\" is not an email address (local@domain)");
    return *address;
}

std::string autodiscover_response(const ClientSettings& settings, std::string_view address) {
    const std::string login = xml_escape(address);
    std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    out +=
        "<Autodiscover "
        "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n";
    out +=
        "  <Response "
        "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/"
        "2006a\">\n";
    out += "    <Account>\n";
    out += "      <AccountType>email</AccountType>\n";
    out += "      <Action>settings</Action>\n";
    for (const auto& service : settings.submission) {
        if (!offers_password_cleartext(service)) continue;  // Outlook logs in with PLAIN/LOGIN
        const bool implicit = service.security == Security::ImplicitTls;
        out += "      <Protocol>\n";
        out += "        <Type>SMTP</Type>\n";
        out += "        <Server>" + xml_escape(settings.hostname) + "</Server>\n";
        out += "        <Port>" + std::to_string(service.port) + "</Port>\n";
        out += "        <DomainRequired>off</DomainRequired>\n";
        out += "        <LoginName>" + login + "</LoginName>\n";
        out += "        <SPA>off</SPA>\n";
        // Encryption overrides SSL: "SSL" is TLS from the first byte, "TLS" is STARTTLS.
        out += "        <SSL>on</SSL>\n";
        out += std::string("        <Encryption>") + (implicit ? "SSL" : "TLS") + "</Encryption>\n";
        out += "        <AuthRequired>on</AuthRequired>\n";
        out += "        <UsePOPAuth>off</UsePOPAuth>\n";
        out += "        <SMTPLast>off</SMTPLast>\n";
        out += "      </Protocol>\n";
    }
    out += "    </Account>\n";
    out += "  </Response>\n";
    out += "</Autodiscover>\n";
    return out;
}

}  // namespace mw::autoconfig
