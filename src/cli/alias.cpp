// `mailwarden alias add|remove|list`: addresses that deliver to one or more mailboxes, and the
// optional per-domain catch-all "@domain" (used only when no user or alias matches).
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct AliasArgs {
    std::string alias;
    std::vector<std::string> targets;
    std::optional<std::string> domain;
    bool json = false;
};

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

int alias_add(Context& ctx, const AliasArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    auto alias = dir->add_alias(args.alias, args.targets);
    if (!alias) throw CommandError{kExitUsage, alias.error()};
    ctx.io.out << "alias " << alias->address << " -> " << join(alias->targets) << "\n";
    return kExitOk;
}

int alias_remove(Context& ctx, const AliasArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    auto removed = dir->remove_alias(args.alias);
    if (!removed) throw CommandError{kExitUsage, removed.error()};
    const std::string name = args.alias.starts_with('@')
                                 ? "@" + *directory::canonical_domain(args.alias.substr(1))
                                 : directory::canonical_address(args.alias)->address();
    ctx.io.out << "removed alias " << name << "\n";
    return kExitOk;
}

int alias_list(Context& ctx, const AliasArgs& args) {
    if (args.domain) {
        auto d = directory::canonical_domain(*args.domain);
        if (!d) throw CommandError{kExitUsage, d.error()};
    }
    auto dir = ctx.open_directory(ctx.load_settings());
    const auto aliases = args.domain ? dir->list_aliases(*args.domain) : dir->list_aliases();
    if (args.json) {
        auto out = nlohmann::json::array();
        for (const auto& a : aliases)
            out.push_back({{"address", a.address},
                           {"catch_all", a.address.starts_with('@')},
                           {"targets", a.targets}});
        ctx.io.out << out.dump(2) << "\n";
    } else {
        for (const auto& a : aliases) ctx.io.out << a.address << " -> " << join(a.targets) << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_alias_commands(CLI::App& app, Context& ctx) {
    auto* alias = app.add_subcommand("alias", "Manage aliases and per-domain catch-alls");
    alias->require_subcommand(1);
    auto args = std::make_shared<AliasArgs>();

    auto* add = alias->add_subcommand(
        "add", "Create an alias (or add targets to it); ALIAS @example.org is the catch-all");
    add->add_option("ALIAS", args->alias, "e.g. team@example.org, or @example.org")->required();
    add->add_option("TARGET", args->targets,
                    "users here (alice@example.org) or external addresses; one or more")
        ->required();
    add_global_options(*add, ctx);
    add->callback([&ctx, args] { ctx.action = [&ctx, args] { return alias_add(ctx, *args); }; });

    auto* remove = alias->add_subcommand("remove", "Delete an alias with all its targets");
    remove->add_option("ALIAS", args->alias)->required();
    add_global_options(*remove, ctx);
    remove->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return alias_remove(ctx, *args); }; });

    auto* list = alias->add_subcommand("list", "List aliases as ALIAS -> TARGET, ...");
    list->add_option("--domain", args->domain, "Only aliases of this domain");
    list->add_flag("--json", args->json, "JSON array of {address, catch_all, targets}");
    add_global_options(*list, ctx);
    list->callback([&ctx, args] { ctx.action = [&ctx, args] { return alias_list(ctx, *args); }; });
}

}  // namespace mw::cli
