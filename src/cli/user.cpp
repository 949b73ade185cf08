// `mailwarden user add|remove|list`: accounts (login = full address). New passwords are hashed
// with argon2id here; the plain password never reaches the directory or the log.
#include <nlohmann/json.hpp>

#include "auth/password_hash.hpp"
#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct UserArgs {
    std::string address;
    bool password_stdin = false;
    std::optional<std::string> domain;
    bool json = false;
};

std::string read_password_line(Io& io) {
    std::string line;
    if (!std::getline(io.in, line))
        throw CommandError{kExitUsage,
                           "no password on standard input (--password-stdin reads "
                           "one line)"};
    if (line.ends_with('\r')) line.pop_back();  // a CRLF line from a Windows tool
    return line;
}

std::string prompt_password(Io& io) {
    if (!io.read_secret)
        throw CommandError{kExitUsage,
                           "no terminal to ask for the password: pipe it in with "
                           "--password-stdin, e.g. printf '%s\\n' \"$PASSWORD\" | mailwarden "
                           "user add ADDRESS --password-stdin"};
    auto first = io.read_secret("Password: ");
    auto second = first ? io.read_secret("Repeat password: ") : std::nullopt;
    if (!first || !second) throw CommandError{kExitUsage, "password entry aborted"};
    if (*first != *second)
        throw CommandError{kExitUsage, "the two passwords differ; nothing changed"};
    return *first;
}

int user_add(Context& ctx, const UserArgs& args) {
    auto address = directory::canonical_address(args.address);
    if (!address) throw CommandError{kExitUsage, address.error()};
    auto dir = ctx.open_directory(ctx.load_settings());
    // Check before asking for the password, so nobody types it twice for nothing.
    if (!dir->is_local_domain(address->domain))
        throw CommandError{kExitUsage, "domain " + address->domain +
                                           " is not hosted here: add it first with 'mailwarden "
                                           "domain add " +
                                           address->domain + "'"};
    if (dir->find_user(address->address()))
        throw CommandError{kExitUsage, "user " + address->address() + " already exists"};

    const std::string password =
        args.password_stdin ? read_password_line(ctx.io) : prompt_password(ctx.io);
    if (password.empty()) throw CommandError{kExitUsage, "empty password; nothing changed"};
    if (password.size() > auth::kMaxPasswordBytes)
        throw CommandError{kExitUsage, "password longer than " +
                                           std::to_string(auth::kMaxPasswordBytes) + " bytes"};
    auto hash = auth::hash_password(password);
    if (!hash) throw CommandError{kExitRuntime, hash.error()};
    auto user = dir->add_user(address->address(), *hash);
    if (!user) throw CommandError{kExitUsage, user.error()};
    ctx.io.out << "added user " << user->address << " (password stored as an argon2id hash)\n";
    return kExitOk;
}

int user_remove(Context& ctx, const UserArgs& args) {
    auto dir = ctx.open_directory(ctx.load_settings());
    auto removed = dir->remove_user(args.address);
    if (!removed) throw CommandError{kExitUsage, removed.error()};
    ctx.io.out << "removed user " << directory::canonical_address(args.address)->address()
               << " (the mailbox on disk is kept)\n";
    return kExitOk;
}

int user_list(Context& ctx, const UserArgs& args) {
    if (args.domain) {
        auto d = directory::canonical_domain(*args.domain);
        if (!d) throw CommandError{kExitUsage, d.error()};
    }
    auto dir = ctx.open_directory(ctx.load_settings());
    const auto users = args.domain ? dir->list_users(*args.domain) : dir->list_users();
    if (args.json) {
        auto out = nlohmann::json::array();  // no password hashes: they are secrets too
        for (const auto& u : users)
            out.push_back(
                {{"address", u.address}, {"local_part", u.local_part}, {"domain", u.domain}});
        ctx.io.out << out.dump(2) << "\n";
    } else {
        for (const auto& u : users) ctx.io.out << u.address << "\n";
    }
    return kExitOk;
}

}  // namespace

void add_user_commands(CLI::App& app, Context& ctx) {
    auto* user = app.add_subcommand("user", "Manage accounts (login = full email address)");
    user->require_subcommand(1);
    auto args = std::make_shared<UserArgs>();

    auto* add = user->add_subcommand(
        "add", "Create an account; asks for the password on the terminal (twice, no echo)");
    add->add_option("ADDRESS", args->address, "e.g. alice@example.org")->required();
    add->add_flag("--password-stdin", args->password_stdin,
                  "Read the password as one line from standard input (for scripts)");
    add_global_options(*add, ctx);
    add->callback([&ctx, args] { ctx.action = [&ctx, args] { return user_add(ctx, *args); }; });

    auto* remove = user->add_subcommand("remove", "Delete an account (its mailbox stays on disk)");
    remove->add_option("ADDRESS", args->address)->required();
    add_global_options(*remove, ctx);
    remove->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return user_remove(ctx, *args); }; });

    auto* list = user->add_subcommand("list", "List accounts");
    list->add_option("--domain", args->domain, "Only accounts of this domain");
    list->add_flag("--json", args->json, "JSON array of {address, local_part, domain}");
    add_global_options(*list, ctx);
    list->callback([&ctx, args] { ctx.action = [&ctx, args] { return user_list(ctx, *args); }; });
}

}  // namespace mw::cli
