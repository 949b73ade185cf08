// Shared plumbing of the subcommands (internal to src/cli): global options, exit codes, loading
// settings and opening the directory with uniform error reporting.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli.hpp"

namespace mw::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;    // usage or validation error
inline constexpr int kExitRuntime = 2;  // disk, database, server

// Thrown by command bodies; run_commands prints "mailwarden: <message>" and exits with code.
struct CommandError {
    int code;
    std::string message;
};

struct Context {
    Io& io;
    const ServerRun& server_run;
    std::optional<std::filesystem::path> config_file;
    std::optional<std::filesystem::path> data_dir;
    std::function<int()> action;  // set by the chosen subcommand's callback

    config::Settings load_settings() const;
    // Creates the data directory when missing (mode 0700: it holds password hashes).
    void ensure_data_dir(const config::Settings& settings) const;
    // ensure_data_dir, then opens the directory.
    std::unique_ptr<directory::Directory> open_directory(const config::Settings& settings) const;
};

// --config and --data-dir, added to every (sub)command so that they work in any position.
void add_global_options(CLI::App& app, Context& ctx);

void add_serve_command(CLI::App& app, Context& ctx);
void add_domain_commands(CLI::App& app, Context& ctx);
void add_user_commands(CLI::App& app, Context& ctx);
void add_config_command(CLI::App& app, Context& ctx);
void add_alias_commands(CLI::App& app, Context& ctx);
void add_ban_commands(CLI::App& app, Context& ctx);
void add_queue_commands(CLI::App& app, Context& ctx);
// `explain` and `test-auth` (explain.cpp).
void add_explain_commands(CLI::App& app, Context& ctx);
// `dns-records DOMAIN` and `client-settings` (client_setup.cpp).
void add_client_setup_commands(CLI::App& app, Context& ctx);
// `user send-as ...`, under the `user` subcommand.
void add_send_as_commands(CLI::App& user, Context& ctx);

// A hash given with --hash: returns it unchanged when auth::verify_password can check it
// (SHA512-CRYPT, BLF-CRYPT, yescrypt, argon2id; Dovecot {SCHEME} prefix optional), else an error
// naming the accepted schemes (hash_import.cpp). Costs at most one crypt(3) run.
Result<std::string, std::string> check_imported_hash(std::string_view hash);

// `ban add --for`: "90s", "30m", "12h", "7d", "2w" or plain seconds; positive, at most 10
// years. The error names the input and the accepted forms (ban.cpp).
Result<std::chrono::seconds, std::string> parse_duration(std::string_view text);

// Prompt without echo on the real terminal (password_input.cpp).
std::optional<std::string> read_secret_from_terminal(std::string_view prompt);
// --password-stdin: one line of io.in without its line end; CommandError when there is none.
std::string read_password_line(Io& io);

void add_diagnose_command(CLI::App& app, Context& ctx);

}  // namespace mw::cli
