// `mailwarden dns-records DOMAIN` and `mailwarden client-settings [--markdown]`: what to publish
// in DNS and what to type into a mail client, both generated from the configured listeners
// (autoconfig::ClientSettings), the same data the HTTP autoconfig endpoints serve.
#include "autoconfig/client_settings.hpp"
#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct ClientSetupArgs {
    std::string domain;
    bool markdown = false;
};

int dns_records(Context& ctx, const ClientSetupArgs& args) {
    const auto settings = ctx.load_settings();
    auto domain = directory::canonical_domain(args.domain);
    if (!domain) throw CommandError{kExitUsage, domain.error()};
    auto dir = ctx.open_directory(settings);
    if (!dir->is_local_domain(*domain))
        throw CommandError{kExitUsage, *domain +
                                           " is not a hosted domain; add it first with "
                                           "`mailwarden domain add " +
                                           *domain + "`"};
    ctx.io.out << autoconfig::dns_records(autoconfig::client_settings(settings), *domain);
    return kExitOk;
}

int client_settings(Context& ctx, const ClientSetupArgs& args) {
    const auto client = autoconfig::client_settings(ctx.load_settings());
    if (args.markdown) {
        ctx.io.out << autoconfig::client_settings_markdown(client);
        return kExitOk;
    }
    ctx.io.out << "outgoing server (SMTP): " << client.hostname << "\n";
    for (const auto& s : client.submission) {
        ctx.io.out << "  port " << s.port << ", "
                   << (s.security == autoconfig::Security::ImplicitTls ? "SSL/TLS" : "STARTTLS")
                   << ", authentication:";
        for (const auto& m : s.mechanisms) ctx.io.out << " " << m;
        ctx.io.out << "\n";
    }
    if (client.submission.empty())
        ctx.io.out << "  no submission listener is enabled: mail clients cannot send\n";
    ctx.io.out << "username: the full email address\n";
    return kExitOk;
}

}  // namespace

void add_client_setup_commands(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<ClientSetupArgs>();
    auto* dns = app.add_subcommand(
        "dns-records", "Print the DNS records to publish for a hosted domain (zone-file syntax)");
    dns->add_option("DOMAIN", args->domain, "a hosted domain, e.g. example.org")->required();
    add_global_options(*dns, ctx);
    dns->callback([&ctx, args] { ctx.action = [&ctx, args] { return dns_records(ctx, *args); }; });

    auto* settings = app.add_subcommand(
        "client-settings", "Print the settings a mail client needs (ports, security, username)");
    settings->add_flag("--markdown", args->markdown, "as the Markdown table in the README");
    add_global_options(*settings, ctx);
    settings->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return client_settings(ctx, *args); }; });
}

}  // namespace mw::cli
