// `mailwarden user add|remove|list|passwd`: accounts (login = full address). New passwords are
// hashed with argon2id here, and SCRAM-SHA-256 credentials (RFC 7677) are derived from them;
// the plain password never reaches the directory or the log. Imported hashes (--hash) are
// checked by check_imported_hash before they are stored; they carry no SCRAM credentials.
#include <nlohmann/json.hpp>

#include "auth/password_hash.hpp"
#include "auth/scram_crypto.hpp"
#include "cli/commands.hpp"
#include "directory/address.hpp"

namespace mw::cli {
namespace {

struct UserArgs {
    std::string address;
    bool password_stdin = false;
    std::optional<std::string> hash;  // --hash: an imported hash instead of a password
    std::optional<std::string> domain;
    bool json = false;
};

std::string prompt_password(Io& io, std::string_view command) {
    if (!io.read_secret)
        throw CommandError{kExitUsage,
                           "no terminal to ask for the password: pipe it in with "
                           "--password-stdin, e.g. printf '%s\\n' \"$PASSWORD\" | mailwarden "
                           "user " +
                               std::string(command) + " ADDRESS --password-stdin"};
    auto first = io.read_secret("Password: ");
    auto second = first ? io.read_secret("Repeat password: ") : std::nullopt;
    if (!first || !second) throw CommandError{kExitUsage, "password entry aborted"};
    if (*first != *second)
        throw CommandError{kExitUsage, "the two passwords differ; nothing changed"};
    return *first;
}

struct NewPassword {
    std::string hash;
    std::string scram_sha256;  // empty for an imported hash: SCRAM needs the password itself
};

// What to store: the checked --hash, or argon2id and SCRAM credentials of a password read by
// the usual rules.
NewPassword new_password(Context& ctx, const UserArgs& args, std::string_view command) {
    if (args.hash) {
        auto checked = check_imported_hash(*args.hash);
        if (!checked) throw CommandError{kExitUsage, checked.error()};
        return {std::move(*checked), {}};
    }
    const std::string password =
        args.password_stdin ? read_password_line(ctx.io) : prompt_password(ctx.io, command);
    if (password.empty()) throw CommandError{kExitUsage, "empty password; nothing changed"};
    if (password.size() > auth::kMaxPasswordBytes)
        throw CommandError{kExitUsage, "password longer than " +
                                           std::to_string(auth::kMaxPasswordBytes) + " bytes"};
    auto hash = auth::hash_password(password);
    if (!hash) throw CommandError{kExitRuntime, hash.error()};
    try {
        return {std::move(*hash), sasl::format_scram_record(auth::derive_scram_credentials(
                                      password, sasl::kScramIterations))};
    } catch (const std::exception& e) {
        throw CommandError{kExitRuntime,
                           std::string("cannot derive SCRAM credentials: ") + e.what()};
    }
}

std::string stored_as(const UserArgs& args) {
    return args.hash ? "imported hash stored as given; PLAIN and LOGIN work, SCRAM-SHA-256 only "
                       "after a password is set with 'mailwarden user passwd'"
                     : "password stored as an argon2id hash and SCRAM-SHA-256 credentials";
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

    const NewPassword password = new_password(ctx, args, "add");
    auto user = dir->add_user(address->address(), password.hash, password.scram_sha256);
    if (!user) throw CommandError{kExitUsage, user.error()};
    ctx.io.out << "added user " << user->address << " (" << stored_as(args) << ")\n";
    return kExitOk;
}

int user_passwd(Context& ctx, const UserArgs& args) {
    auto address = directory::canonical_address(args.address);
    if (!address) throw CommandError{kExitUsage, address.error()};
    auto dir = ctx.open_directory(ctx.load_settings());
    if (!dir->find_user(address->address()))  // before the password is typed
        throw CommandError{kExitUsage, "user " + address->address() +
                                           " does not exist (see mailwarden user list)"};
    const NewPassword password = new_password(ctx, args, "passwd");
    auto changed = dir->set_password_hash(address->address(), password.hash, password.scram_sha256);
    if (!changed) throw CommandError{kExitUsage, changed.error()};
    ctx.io.out << "changed the password of " << address->address() << " (" << stored_as(args)
               << ")\n";
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

void add_password_options(CLI::App& cmd, UserArgs& args) {
    auto* stdin_flag =
        cmd.add_flag("--password-stdin", args.password_stdin,
                     "Read the password as one line from standard input (for scripts)");
    cmd.add_option("--hash", args.hash,
                   "Import an existing hash instead of a password: {SHA512-CRYPT}$6$..., "
                   "{BLF-CRYPT}$2y$..., $y$... (yescrypt) or $argon2id$...; single-quote it")
        ->excludes(stdin_flag);
}

}  // namespace

void add_user_commands(CLI::App& app, Context& ctx) {
    auto* user = app.add_subcommand("user", "Manage accounts (login = full email address)");
    user->require_subcommand(1);
    auto args = std::make_shared<UserArgs>();

    auto* add = user->add_subcommand(
        "add", "Create an account; asks for the password on the terminal (twice, no echo)");
    add->add_option("ADDRESS", args->address, "e.g. alice@example.org")->required();
    add_password_options(*add, *args);
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

    auto* passwd = user->add_subcommand(
        "passwd", "Set a new password; asks on the terminal (twice, no echo) like user add");
    passwd->add_option("ADDRESS", args->address)->required();
    add_password_options(*passwd, *args);
    add_global_options(*passwd, ctx);
    passwd->callback(
        [&ctx, args] { ctx.action = [&ctx, args] { return user_passwd(ctx, *args); }; });

    add_send_as_commands(*user, ctx);
}

}  // namespace mw::cli
