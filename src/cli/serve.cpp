// `mailwarden serve`: load settings, start logging, open the data directory, create the demo
// account on first start, then run the server until a signal stops it.
#include <spdlog/spdlog.h>

#include "auth/password_hash.hpp"
#include "auth/scram_crypto.hpp"
#include "base/log.hpp"
#include "cli/commands.hpp"

namespace mw::cli {
namespace {

constexpr std::string_view kDemoDomain = "example.test";
constexpr std::string_view kDemoUser = "demo@example.test";

// A fresh install can receive and submit mail at once. The password is random and shown once;
// it is never logged.
void create_demo_account(directory::Directory& dir, const config::Settings& settings, Io& io) {
    const std::string password = auth::random_password(16);
    auto hash = auth::hash_password(password);
    if (!hash) throw CommandError{kExitRuntime, "cannot hash the demo password: " + hash.error()};
    if (auto added = dir.add_domain(kDemoDomain); !added)
        throw CommandError{kExitRuntime, "cannot create the demo domain: " + added.error()};
    const std::string scram =
        sasl::format_scram_record(auth::derive_scram_credentials(password, sasl::kScramIterations));
    if (auto added = dir.add_user(kDemoUser, *hash, scram); !added)
        throw CommandError{kExitRuntime, "cannot create the demo user: " + added.error()};
    io.out << "mailwarden: first start in " << settings.data_dir.string()
           << ": created the demo domain " << kDemoDomain << " and one account.\n"
           << "  login:    " << kDemoUser << "\n"
           << "  password: " << password << "   (shown only now)\n";
    io.out << "Add your own with: mailwarden domain add DOMAIN; mailwarden user add ADDRESS\n"
           << std::flush;
}

int serve(Context& ctx) {
    const config::Settings settings = ctx.load_settings();
    // log::init registers a named spdlog logger; drop a previous one (serve run twice in a
    // process, as in tests).
    spdlog::drop("mailwarden");
    try {
        log::init(settings.log_level, settings.log_file);
    } catch (const std::exception& e) {
        throw CommandError{kExitRuntime, std::string("cannot start logging: ") + e.what()};
    }
    auto dir = ctx.open_directory(settings);
    if (dir->list_domains().empty()) create_demo_account(*dir, settings, ctx.io);
    spdlog::info("event=starting data_dir={} hostname={}", log::safe(settings.data_dir.string()),
                 log::safe(settings.hostname));
    return ctx.server_run(settings, *dir);
}

}  // namespace

void add_serve_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand(
        "serve", "Run the server (creates the data directory and a demo account on first start)");
    add_global_options(*cmd, ctx);
    cmd->callback([&ctx] { ctx.action = [&ctx] { return serve(ctx); }; });
}

}  // namespace mw::cli
