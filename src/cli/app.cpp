#include <exception>
#include <iostream>

#include "cli/commands.hpp"

namespace mw::cli {

config::Settings Context::load_settings() const {
    auto settings = config::load_settings(config_file, data_dir);
    if (!settings) throw CommandError{kExitUsage, settings.error()};
    return std::move(settings).value();
}

void Context::ensure_data_dir(const config::Settings& settings) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(settings.data_dir, ec)) return;
    fs::create_directories(settings.data_dir, ec);
    if (!ec) fs::permissions(settings.data_dir, fs::perms::owner_all, ec);
    if (ec)
        throw CommandError{kExitRuntime, "cannot create data directory " +
                                             settings.data_dir.string() + ": " + ec.message()};
}

std::unique_ptr<directory::Directory> Context::open_directory(
    const config::Settings& settings) const {
    ensure_data_dir(settings);
    auto dir =
        directory::open_sqlite_directory(directory::sqlite_directory_file(settings.data_dir));
    if (!dir) throw CommandError{kExitRuntime, dir.error()};
    return std::move(dir).value();
}

void add_global_options(CLI::App& app, Context& ctx) {
    app.add_option("--config", ctx.config_file,
                   "TOML configuration file (default: built-in dev "
                   "settings; see `mailwarden config --defaults`)");
    app.add_option("--data-dir", ctx.data_dir, "Data directory, overrides data_dir from the file");
}

namespace {

int parse_error(CLI::App& app, const CLI::ParseError& e, Io& io) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
        return app.exit(e, io.out, io.err);  // --help
    io.err << "mailwarden: " << e.what() << " (see mailwarden --help)\n";
    return kExitUsage;
}

}  // namespace

int run_commands(const std::vector<std::string>& args, Io& io, const ServerRun& server_run) {
    Context ctx{io, server_run, {}, {}, {}};
    CLI::App app(
        "mailwarden: SMTP receiving and submission, a durable spool and Maildir "
        "delivery in one binary.",
        "mailwarden");
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the subcommand
    add_global_options(app, ctx);
    add_serve_command(app, ctx);
    add_domain_commands(app, ctx);
    add_user_commands(app, ctx);
    add_alias_commands(app, ctx);
    add_ban_commands(app, ctx);
    add_queue_commands(app, ctx);
    add_explain_commands(app, ctx);
    add_client_setup_commands(app, ctx);
    add_config_command(app, ctx);
    add_diagnose_command(app, ctx);

    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        return parse_error(app, e, io);
    }
    if (!ctx.action) return kExitUsage;
    try {
        return ctx.action();
    } catch (const CommandError& e) {
        io.err << "mailwarden: " << e.message << "\n";
        return e.code;
    } catch (const std::exception& e) {
        io.err << "mailwarden: error: " << e.what() << "\n";
        return kExitRuntime;
    }
}

}  // namespace mw::cli
