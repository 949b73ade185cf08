// The real process: standard streams, terminal prompts when stdin is a TTY, the real server.
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"
#include "server/server.hpp"

namespace mw::cli {

int run(int argc, char** argv) {
    Io io{std::cin, std::cout, std::cerr, {}};
    if (isatty(STDIN_FILENO)) io.read_secret = read_secret_from_terminal;
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return run_commands(args, io, [](const config::Settings& s, directory::Directory& d) {
        return server::run(s, d);
    });
}

}  // namespace mw::cli
