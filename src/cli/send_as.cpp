// `mailwarden user send-as add|remove|list USER ...`: addresses a user may use as MAIL FROM
// besides their own address and the aliases that point to them (issue #3 part 5).
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct SendAsArgs {
    std::string user;
    std::string address;
    bool json = false;
};

std::string canonical_or_throw(const std::string& address) {
    auto a = directory::canonical_address(address);
    if (!a) throw CommandError{kExitUsage, a.error()};
    return a->address();
}

int send_as_add(Context& ctx, const SendAsArgs& args) {
    const std::string user = canonical_or_throw(args.user);
    const std::string address = canonical_or_throw(args.address);
    auto dir = ctx.open_directory(ctx.load_settings());
    auto added = dir->add_send_as(user, address);
    if (!added) throw CommandError{kExitUsage, added.error()};
    ctx.io.out << user << " may now send as " << address << "\n";
    return kExitOk;
}

int send_as_remove(Context& ctx, const SendAsArgs& args) {
    const std::string user = canonical_or_throw(args.user);
    const std::string address = canonical_or_throw(args.address);
    auto dir = ctx.open_directory(ctx.load_settings());
    auto removed = dir->remove_send_as(user, address);
    if (!removed) throw CommandError{kExitUsage, removed.error()};
    ctx.io.out << user << " may no longer send as " << address << "\n";
    return kExitOk;
}

// Lists the grants; --json also shows everything the user may send as (own address, aliases).
int send_as_list(Context& ctx, const SendAsArgs& args) {
    const std::string user = canonical_or_throw(args.user);
    auto dir = ctx.open_directory(ctx.load_settings());
    if (!dir->find_user(user))
        throw CommandError{kExitUsage,
                           "user " + user + " does not exist (see mailwarden user list)"};
    const auto grants = dir->list_send_as(user);
    if (args.json) {
        nlohmann::json out = {
            {"user", user}, {"send_as", grants}, {"may_send_as", dir->owned_addresses(user)}};
        ctx.io.out << out.dump(2) << "\n";
    } else {
        for (const auto& g : grants) ctx.io.out << g << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_send_as_commands(CLI::App& user, Context& ctx) {
    auto* send_as = user.add_subcommand(
        "send-as", "Let a user send as another address (besides their own and their aliases)");
    send_as->require_subcommand(1);
    auto args = std::make_shared<SendAsArgs>();

    auto* add = send_as->add_subcommand("add", "Allow USER to use ADDR as MAIL FROM");
    add->add_option("USER", args->user, "the login, e.g. alice@example.org")->required();
    add->add_option("ADDR", args->address, "e.g. boss@example.org")->required();
    add_global_options(*add, ctx);
    add->callback([&ctx, args] { ctx.action = [&ctx, args] { return send_as_add(ctx, *args); }; });

    auto* remove = send_as->add_subcommand("remove", "Withdraw a send-as grant");
    remove->add_option("USER", args->user)->required();
    remove->add_option("ADDR", args->address)->required();
    add_global_options(*remove, ctx);
    remove->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return send_as_remove(ctx, *args); }; });

    auto* list = send_as->add_subcommand("list", "List a user's send-as grants");
    list->add_option("USER", args->user)->required();
    list->add_flag("--json", args->json,
                   "JSON {user, send_as: grants, may_send_as: every address the user may use}");
    add_global_options(*list, ctx);
    list->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return send_as_list(ctx, *args); }; });
}

}  // namespace mw::cli
