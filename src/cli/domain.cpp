// `mailwarden domain add|remove|list`: the hosted domains.
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct DomainArgs {
    std::string domain;
    bool json = false;
};

int domain_add(Context& ctx, const DomainArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    auto added = dir->add_domain(args.domain);
    if (!added) throw CommandError{kExitUsage, added.error()};
    ctx.io.out << "added domain " << *directory::canonical_domain(args.domain) << "\n";
    return kExitOk;
}

int domain_remove(Context& ctx, const DomainArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    auto removed = dir->remove_domain(args.domain);
    if (!removed) throw CommandError{kExitUsage, removed.error()};
    ctx.io.out << "removed domain " << *directory::canonical_domain(args.domain) << "\n";
    return kExitOk;
}

int domain_list(Context& ctx, const DomainArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    const auto domains = dir->list_domains();
    if (args.json) {
        auto out = nlohmann::json::array();
        for (const auto& d : domains)
            out.push_back({{"name", d}, {"users", dir->list_users(d).size()}});
        ctx.io.out << out.dump(2) << "\n";
    } else {
        for (const auto& d : domains) ctx.io.out << d << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_domain_commands(CLI::App& app, Context& ctx) {
    auto* domain = app.add_subcommand("domain", "Manage hosted domains");
    domain->require_subcommand(1);
    auto args = std::make_shared<DomainArgs>();

    auto* add = domain->add_subcommand("add", "Host a domain (receive mail for it)");
    add->add_option("DOMAIN", args->domain, "e.g. example.org")->required();
    add_global_options(*add, ctx);
    add->callback([&ctx, args] { ctx.action = [&ctx, args] { return domain_add(ctx, *args); }; });

    auto* remove =
        domain->add_subcommand("remove", "Stop hosting a domain (it must have no users)");
    remove->add_option("DOMAIN", args->domain)->required();
    add_global_options(*remove, ctx);
    remove->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return domain_remove(ctx, *args); }; });

    auto* list = domain->add_subcommand("list", "List hosted domains");
    list->add_flag("--json", args->json, "JSON array of {name, users}");
    add_global_options(*list, ctx);
    list->callback([&ctx, args] { ctx.action = [&ctx, args] { return domain_list(ctx, *args); }; });
}

}  // namespace mw::cli
