// The command line: `mailwarden serve|domain|user|alias|config ...` (CLI11).
// Exit codes: 0 ok, 1 usage or validation error (one line on stderr naming the problem),
// 2 runtime error (disk, database, server failure).
// Security: passwords never come from argv (visible in ps and shell history): only from a
// terminal prompt without echo, or one line on stdin with --password-stdin.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "directory/directory.hpp"

namespace mw::cli {

// The process entry point: real stdin/stdout/stderr, terminal prompts, mw::server::run.
int run(int argc, char** argv);

// Streams and terminal access, replaceable so the commands run in-process in tests.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    // Prompts on the terminal with echo off and returns the line; empty when there is no
    // terminal (stdin is not a TTY). nullopt from the call: end of input.
    std::function<std::optional<std::string>(std::string_view prompt)> read_secret;
};

using ServerRun = std::function<int(const config::Settings&, directory::Directory&)>;

// args: the arguments after the program name. server_run is called by `serve`.
int run_commands(const std::vector<std::string>& args, Io& io, const ServerRun& server_run);

}  // namespace mw::cli
