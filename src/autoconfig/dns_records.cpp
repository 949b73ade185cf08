// `mailwarden dns-records DOMAIN`: what to publish in the domain's zone so that other servers
// deliver here and mail clients find the submission ports and the autoconfig service. Zone-file
// syntax, one comment line per record saying why it is there.
#include <string>

#include <fmt/format.h>

#include "autoconfig/client_settings.hpp"

namespace mw::autoconfig {
namespace {

constexpr int kTtl = 3600;

void record(std::string& out, std::string_view comment, std::string_view name,
            std::string_view type, std::string_view data) {
    out += fmt::format("; {}\n{:<40} {} IN {:<5} {}\n", comment, std::string(name) + ".", kTtl,
                       type, data);
}

const SubmissionService* find(const ClientSettings& settings, Security security) {
    for (const auto& s : settings.submission)
        if (s.security == security) return &s;
    return nullptr;
}

}  // namespace

std::string dns_records(const ClientSettings& settings, std::string_view domain) {
    const std::string d(domain);
    const std::string host = settings.hostname + ".";
    std::string out = fmt::format(
        "; DNS records for {} (mailwarden dns-records), served by {}.\n"
        "; {} must have A/AAAA records of this server, and the server's IP addresses a PTR\n"
        "; record naming it: many receivers refuse mail from addresses without one.\n",
        d, settings.hostname, settings.hostname);
    record(out, "MX (RFC 5321 §5): other servers deliver mail for " + d + " to this host", d, "MX",
           "10 " + host);
    // RFC 8314 §5.1: implicit TLS gets the lower (preferred) priority number.
    struct Srv {
        const char* service;
        Security security;
        int priority;
        const char* why;
    };
    for (const Srv& srv :
         {Srv{"_submissions._tcp", Security::ImplicitTls, 0,
              "SRV (RFC 8314 §5.1): mail clients find the implicit-TLS submission port"},
          Srv{"_submission._tcp", Security::StartTls, 10,
              "SRV (RFC 6186 §3.1): mail clients find the STARTTLS submission port"}}) {
        const std::string name = std::string(srv.service) + "." + d;
        if (const auto* s = find(settings, srv.security))
            record(out, srv.why, name, "SRV",
                   fmt::format("{} 1 {} {}", srv.priority, s->port, host));
        else
            record(out,
                   std::string(srv.why) +
                       "; this listener is disabled, and target \".\" says so (RFC 6186 §4)",
                   name, "SRV", "0 0 0 .");
    }
    out += fmt::format(
        "; later: _imaps._tcp.{}. SRV 0 1 993 {} (RFC 8314), once mailwarden serves IMAP\n", d,
        host);
    record(out,
           "autoconfig: Thunderbird and the IETF mailmaint draft fetch "
           "https://autoconfig." +
               d +
               "/mail/config-v1.1.xml (the HTTPS certificate must "
               "cover this name)",
           "autoconfig." + d, "CNAME", host);
    record(out,
           "Autodiscover: Outlook posts to https://autodiscover." + d +
               "/autodiscover/autodiscover.xml (the HTTPS certificate must cover this name)",
           "autodiscover." + d, "CNAME", host);
    record(out,
           "SPF (RFC 7208), suggested: only the hosts in the MX records send mail from " + d +
               "; others fail",
           d, "TXT", "\"v=spf1 mx -all\"");
    record(out,
           "DMARC (RFC 7489), suggested: receivers quarantine mail that fails SPF/DKIM "
           "alignment and send aggregate reports to postmaster@" +
               d,
           "_dmarc." + d, "TXT", "\"v=DMARC1; p=quarantine; rua=mailto:postmaster@" + d + "\"");
    return out;
}

}  // namespace mw::autoconfig
