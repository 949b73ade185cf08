// The autoconfig generators, each parsed back and checked value by value against the
// ClientSettings they were made from (which comes from the listener table).
#include "autoconfig/client_settings.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/setting_table.hpp"
#include "mini_xml.hpp"
#include "smtp/capabilities.hpp"

namespace mw::autoconfig {
namespace {

namespace fs = std::filesystem;
using test_xml::Element;

config::Settings dev_settings() {
    config::Settings s = config::default_settings();
    s.hostname = "mail.example.net";
    return s;
}

config::ListenerSettings& listener(config::Settings& s, std::string_view name) {
    for (auto& l : s.listeners)
        if (l.name == name) return l;
    throw std::runtime_error("no listener " + std::string(name));
}

TEST(ClientSettings, ImplicitTlsFirstWithThePortsAndMechanismsOfTheListeners) {
    auto s = dev_settings();
    listener(s, "submission").addresses = {"0.0.0.0:587", "[::]:587"};
    listener(s, "submissions").addresses = {"0.0.0.0:465"};
    const auto c = client_settings(s);
    EXPECT_EQ(c.hostname, "mail.example.net");
    ASSERT_EQ(c.submission.size(), 2u);
    EXPECT_EQ(c.submission[0].port, 465);
    EXPECT_EQ(c.submission[0].security, Security::ImplicitTls);
    EXPECT_EQ(c.submission[1].port, 587);
    EXPECT_EQ(c.submission[1].security, Security::StartTls);
    // Exactly what EHLO offers (the server always has SCRAM).
    EXPECT_EQ(c.submission[0].mechanisms, smtp::auth_mechanisms(true));
    EXPECT_EQ(c.submission[0].mechanisms,
              (std::vector<std::string>{"SCRAM-SHA-256", "PLAIN", "LOGIN"}));
}

TEST(ClientSettings, ADisabledListenerIsNotOfferedAndTheMxListenerNever) {
    auto s = dev_settings();
    listener(s, "submissions").enabled = false;
    const auto c = client_settings(s);
    ASSERT_EQ(c.submission.size(), 1u);
    EXPECT_EQ(c.submission[0].port, 2587);
    EXPECT_EQ(c.submission[0].security, Security::StartTls);
}

TEST(ClientSettings, DomainOfAddress) {
    EXPECT_EQ(domain_of_address("alice@Example.ORG"), "example.org");
    EXPECT_EQ(domain_of_address("a+tag@example.org"), "example.org");
    EXPECT_EQ(domain_of_address("o'brien&co@example.org"), "example.org");
    EXPECT_FALSE(domain_of_address("alice"));
    EXPECT_FALSE(domain_of_address("@example.org"));
    EXPECT_FALSE(domain_of_address("alice@"));
    EXPECT_FALSE(domain_of_address("a@b@c"));
    EXPECT_FALSE(domain_of_address("al ice@example.org"));
    EXPECT_FALSE(domain_of_address("<alice@example.org>"));
}

TEST(ClientSettings, XmlEscapeCoversAllFiveAndDropsControls) {
    EXPECT_EQ(xml_escape("a&b<c>d\"e'f\x01g"), "a&amp;b&lt;c&gt;d&quot;e&apos;fg");
}

// --- Thunderbird and mailmaint ---------------------------------------------------------------

struct Outgoing {
    std::string hostname, port, socket, username;
    std::vector<std::string> auth;  // "sasl:NAME" for system="sasl"
};

std::vector<Outgoing> outgoing_servers(const Element& root) {
    std::vector<Outgoing> out;
    for (const auto* server : root.one("emailProvider").all("outgoingServer")) {
        EXPECT_EQ(server->attribute("type"), "smtp");
        Outgoing o{server->one("hostname").text,
                   server->one("port").text,
                   server->one("socketType").text,
                   server->one("username").text,
                   {}};
        for (const auto* a : server->all("authentication"))
            o.auth.push_back(a->attribute("system") == "sasl" ? "sasl:" + a->text : a->text);
        out.push_back(o);
    }
    return out;
}

TEST(ThunderbirdConfig, ListsImplicitTlsThenStartTlsWithCleartextPasswordAndFullAddress) {
    const auto c = client_settings(dev_settings());
    auto root = test_xml::parse(thunderbird_config(c, "example.org"));
    EXPECT_EQ(root->name, "clientConfig");
    EXPECT_EQ(root->attribute("version"), "1.1");
    const auto& provider = root->one("emailProvider");
    EXPECT_EQ(provider.attribute("id"), "example.org");
    EXPECT_EQ(provider.one("domain").text, "example.org");
    EXPECT_LE(provider.one("displayShortName").text.size(), 20u);
    auto servers = outgoing_servers(*root);
    ASSERT_EQ(servers.size(), 2u);
    EXPECT_EQ(servers[0].hostname, "mail.example.net");
    EXPECT_EQ(servers[0].port, "2465");
    EXPECT_EQ(servers[0].socket, "SSL");
    EXPECT_EQ(servers[1].port, "2587");
    EXPECT_EQ(servers[1].socket, "STARTTLS");
    for (const auto& s : servers) {
        EXPECT_EQ(s.auth, std::vector<std::string>{"password-cleartext"});
        EXPECT_EQ(s.username, "%EMAILADDRESS%");
    }
    EXPECT_TRUE(root->all("incomingServer").empty());
}

TEST(MailmaintConfig, Version12ListsScramFirstThenTheGenericFallback) {
    const auto c = client_settings(dev_settings());
    auto root = test_xml::parse(mailmaint_config(c, "example.org"));
    EXPECT_EQ(root->attribute("version"), "1.2");
    auto servers = outgoing_servers(*root);
    ASSERT_EQ(servers.size(), 2u);
    EXPECT_EQ(servers[0].socket, "SSL");
    EXPECT_EQ(servers[1].socket, "STARTTLS");
    EXPECT_EQ(servers[0].auth,
              (std::vector<std::string>{"sasl:SCRAM-SHA-256", "password-cleartext"}));
}

TEST(ThunderbirdConfig, HostileNamesAreEscapedAndParseBackUnchanged) {
    ClientSettings c = client_settings(dev_settings());
    c.hostname = "mx<&>\"'.example";
    auto root = test_xml::parse(thunderbird_config(c, "ex&<a>.org"));
    EXPECT_EQ(root->one("emailProvider").one("domain").text, "ex&<a>.org");
    EXPECT_EQ(outgoing_servers(*root)[0].hostname, "mx<&>\"'.example");
}

// --- Autodiscover ----------------------------------------------------------------------------

constexpr const char* kOutlookRequest =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "requestschema/2006\">\r\n  <Request>\r\n    <EMailAddress>alice@example.org</EMailAddress>\r\n"
    "    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/"
    "responseschema/2006a</AcceptableResponseSchema>\r\n  </Request>\r\n</Autodiscover>\r\n";

TEST(Autodiscover, RequestAddressIsRead) {
    EXPECT_EQ(autodiscover_request_address(kOutlookRequest).value(), "alice@example.org");
    EXPECT_EQ(autodiscover_request_address(
                  "<a:Autodiscover xmlns:a=\"x\"><a:Request><a:EMailAddress> bob&amp;co@"
                  "example.org </a:EMailAddress></a:Request></a:Autodiscover>")
                  .value(),
              "bob&co@example.org");
}

TEST(Autodiscover, BadRequestsSayWhatIsWrong) {
    auto missing = autodiscover_request_address("<Autodiscover><Request/></Autodiscover>");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("EMailAddress"), std::string::npos);
    auto not_address = autodiscover_request_address("<EMailAddress>alice</EMailAddress>");
    ASSERT_FALSE(not_address);
    EXPECT_NE(not_address.error().find("not an email address"), std::string::npos);
    EXPECT_FALSE(autodiscover_request_address("<EMailAddress>a&bogus;@x.org</EMailAddress>"));
    EXPECT_FALSE(autodiscover_request_address(""));
}

TEST(Autodiscover, ResponseHasOneSmtpProtocolPerServiceWithTheAddressAsLogin) {
    const auto c = client_settings(dev_settings());
    auto root = test_xml::parse(autodiscover_response(c, "alice@example.org"));
    EXPECT_EQ(root->name, "Autodiscover");
    const auto& account = root->one("Response").one("Account");
    EXPECT_EQ(account.one("AccountType").text, "email");
    EXPECT_EQ(account.one("Action").text, "settings");
    auto protocols = account.all("Protocol");
    ASSERT_EQ(protocols.size(), 2u);
    EXPECT_EQ(protocols[0]->one("Type").text, "SMTP");
    EXPECT_EQ(protocols[0]->one("Server").text, "mail.example.net");
    EXPECT_EQ(protocols[0]->one("Port").text, "2465");
    EXPECT_EQ(protocols[0]->one("Encryption").text, "SSL");
    EXPECT_EQ(protocols[1]->one("Port").text, "2587");
    EXPECT_EQ(protocols[1]->one("Encryption").text, "TLS");
    for (const auto* p : protocols) {
        EXPECT_EQ(p->one("LoginName").text, "alice@example.org");
        EXPECT_EQ(p->one("SPA").text, "off");
        EXPECT_EQ(p->one("AuthRequired").text, "on");
    }
}

// --- Apple profile ---------------------------------------------------------------------------

// <dict> as key -> element.
std::map<std::string, const Element*> plist_dict(const Element& dict) {
    std::map<std::string, const Element*> out;
    const auto& c = dict.children;
    for (std::size_t i = 0; i + 1 < c.size(); i += 2) {
        EXPECT_EQ(c[i]->name, "key");
        out[c[i]->text] = c[i + 1].get();
    }
    EXPECT_EQ(c.size() % 2, 0u);
    return out;
}

// XXXXXXXX-XXXX-8XXX-[89AB]XXX-XXXXXXXXXXXX, upper-case hex (std::regex trips a GCC 12
// -Wmaybe-uninitialized false positive, so by hand).
bool is_version8_uuid(const std::string& u) {
    if (u.size() != 36) return false;
    for (std::size_t i = 0; i < u.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (u[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(u[i]))) return false;
        if (!dash && std::islower(static_cast<unsigned char>(u[i]))) return false;
    }
    return u[14] == '8' && std::string_view("89AB").find(u[19]) != std::string_view::npos;
}

TEST(AppleProfile, OneManagedMailPayloadWithoutPasswordUsingImplicitTls) {
    const auto c = client_settings(dev_settings());
    const auto text = apple_mobileconfig(c, "alice@example.org");
    auto root = test_xml::parse(text);
    EXPECT_EQ(root->name, "plist");
    auto top = plist_dict(root->one("dict"));
    EXPECT_EQ(top.at("PayloadType")->text, "Configuration");
    const auto payloads = top.at("PayloadContent")->all("dict");
    ASSERT_EQ(payloads.size(), 1u);
    auto mail = plist_dict(*payloads[0]);
    EXPECT_EQ(mail.at("PayloadType")->text, "com.apple.mail.managed");
    EXPECT_EQ(mail.at("OutgoingMailServerHostName")->text, "mail.example.net");
    EXPECT_EQ(mail.at("OutgoingMailServerPortNumber")->text, "2465");
    EXPECT_EQ(mail.at("OutgoingMailServerUseSSL")->name, "true");
    EXPECT_EQ(mail.at("OutgoingMailServerUsername")->text, "alice@example.org");
    EXPECT_EQ(mail.at("OutgoingMailServerAuthentication")->text, "EmailAuthPassword");
    EXPECT_EQ(mail.count("OutgoingPassword"), 0u);
    EXPECT_EQ(text.find("Password</key>"), std::string::npos);
    EXPECT_TRUE(is_version8_uuid(mail.at("PayloadUUID")->text)) << mail.at("PayloadUUID")->text;
    EXPECT_NE(mail.at("PayloadUUID")->text, top.at("PayloadUUID")->text);
}

TEST(AppleProfile, UseSslIsFalseOnAStartTlsPort) {
    auto s = dev_settings();
    listener(s, "submissions").enabled = false;
    auto root = test_xml::parse(apple_mobileconfig(client_settings(s), "alice@example.org"));
    auto mail = plist_dict(*plist_dict(root->one("dict")).at("PayloadContent")->all("dict")[0]);
    EXPECT_EQ(mail.at("OutgoingMailServerPortNumber")->text, "2587");
    EXPECT_EQ(mail.at("OutgoingMailServerUseSSL")->name, "false");
}

TEST(AppleProfile, UuidsAreStablePerAddressAndDifferBetweenAddresses) {
    const auto c = client_settings(dev_settings());
    EXPECT_EQ(apple_mobileconfig(c, "alice@example.org"),
              apple_mobileconfig(c, "alice@example.org"));
    auto uuid_of = [&](const std::string& address) {
        auto root = test_xml::parse(apple_mobileconfig(c, address));
        return plist_dict(root->one("dict")).at("PayloadUUID")->text;
    };
    EXPECT_NE(uuid_of("alice@example.org"), uuid_of("bob@example.org"));
}

// --- DNS records -----------------------------------------------------------------------------

struct Rr {
    std::string name, ttl, cls, type, data;
};

// Zone-file lines (not comments) split into fields; data is the rest of the line.
std::vector<Rr> parse_zone(const std::string& text) {
    std::vector<Rr> out;
    std::istringstream in(text);
    std::string line;
    std::string previous_comment = "none";
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line[0] == ';') {
            previous_comment = line;
            continue;
        }
        EXPECT_NE(previous_comment, "") << "record without a comment: " << line;
        previous_comment = "";
        std::istringstream fields(line);
        Rr rr;
        fields >> rr.name >> rr.ttl >> rr.cls >> rr.type;
        std::getline(fields >> std::ws, rr.data);
        out.push_back(rr);
    }
    return out;
}

const Rr* find_rr(const std::vector<Rr>& rrs, std::string_view name, std::string_view type) {
    for (const auto& r : rrs)
        if (r.name == name && r.type == type) return &r;
    return nullptr;
}

TEST(DnsRecords, SrvPortsAreTheListenerPortsAndEveryRecordHasItsReason) {
    auto s = dev_settings();
    listener(s, "submission").addresses = {"0.0.0.0:587"};
    listener(s, "submissions").addresses = {"0.0.0.0:465"};
    const auto rrs = parse_zone(dns_records(client_settings(s), "example.org"));
    const auto* mx = find_rr(rrs, "example.org.", "MX");
    ASSERT_TRUE(mx);
    EXPECT_EQ(mx->data, "10 mail.example.net.");
    const auto* submissions = find_rr(rrs, "_submissions._tcp.example.org.", "SRV");
    ASSERT_TRUE(submissions);
    EXPECT_EQ(submissions->data, "0 1 465 mail.example.net.");
    const auto* submission = find_rr(rrs, "_submission._tcp.example.org.", "SRV");
    ASSERT_TRUE(submission);
    EXPECT_EQ(submission->data, "10 1 587 mail.example.net.");
    EXPECT_EQ(find_rr(rrs, "autoconfig.example.org.", "CNAME")->data, "mail.example.net.");
    EXPECT_EQ(find_rr(rrs, "autodiscover.example.org.", "CNAME")->data, "mail.example.net.");
    EXPECT_EQ(find_rr(rrs, "example.org.", "TXT")->data, "\"v=spf1 mx -all\"");
    EXPECT_EQ(find_rr(rrs, "_dmarc.example.org.", "TXT")->data,
              "\"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\"");
    for (const auto& r : rrs) {
        EXPECT_EQ(r.ttl, "3600");
        EXPECT_EQ(r.cls, "IN");
    }
}

TEST(DnsRecords, ADisabledListenerIsPublishedAsNotAvailable) {
    auto s = dev_settings();
    listener(s, "submission").enabled = false;
    const auto rrs = parse_zone(dns_records(client_settings(s), "example.org"));
    EXPECT_EQ(find_rr(rrs, "_submission._tcp.example.org.", "SRV")->data, "0 0 0 .");
    EXPECT_EQ(find_rr(rrs, "_submissions._tcp.example.org.", "SRV")->data,
              "0 1 2465 mail.example.net.");
}

// --- README ----------------------------------------------------------------------------------

fs::path source_dir() {
    if (const char* env = std::getenv("MW_SOURCE_DIR")) return env;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

TEST(ClientSettingsMarkdown, NamesPortsSecurityAndFullAddress) {
    const auto md = client_settings_markdown(client_settings(dev_settings()));
    EXPECT_NE(md.find("`mail.example.net`"), std::string::npos);
    EXPECT_NE(md.find("2465 with SSL/TLS (preferred), or 2587 with STARTTLS"), std::string::npos)
        << md;
    EXPECT_NE(md.find("**full** email address"), std::string::npos);
}

// The README's "Setting up mail clients" table is generated from docs/examples/production.toml
// (a config that must keep loading); regenerate with MW_WRITE_DOCS=1.
TEST(ClientSettingsMarkdown, ReadmeSectionIsUpToDate) {
    const auto root = source_dir();
    auto settings =
        config::load_settings(root / "docs" / "examples" / "production.toml", std::nullopt);
    ASSERT_TRUE(settings) << settings.error();
    const std::string begin =
        "<!-- generated from docs/examples/production.toml by autoconfig_tests; "
        "MW_WRITE_DOCS=1 autoconfig_tests regenerates it -->\n";
    const std::string end = "<!-- end of generated table -->\n";
    const auto path = root / "README.md";
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string readme = buffer.str();
    const auto b = readme.find(begin);
    const auto e = readme.find(end);
    ASSERT_NE(b, std::string::npos) << "README.md lacks the marker: " << begin;
    ASSERT_NE(e, std::string::npos) << "README.md lacks the marker: " << end;
    ASSERT_LT(b, e);
    const std::string expected = client_settings_markdown(autoconfig::client_settings(*settings));
    const std::string actual = readme.substr(b + begin.size(), e - b - begin.size());
    if (std::getenv("MW_WRITE_DOCS") && actual != expected) {
        readme.replace(b + begin.size(), e - b - begin.size(), expected);
        std::ofstream(path, std::ios::binary) << readme;
        return;
    }
    EXPECT_EQ(actual, expected) << "README.md is out of date: run MW_WRITE_DOCS=1 autoconfig_tests "
                                   "--gtest_filter='*ReadmeSection*'";
}

}  // namespace
}  // namespace mw::autoconfig
