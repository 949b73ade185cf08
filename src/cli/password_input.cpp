// Reads a password: from the terminal with echo turned off, or one line of standard input.
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"

namespace mw::cli {

std::optional<std::string> read_secret_from_terminal(std::string_view prompt) {
    std::cerr << prompt << std::flush;
    termios old_mode{};
    const bool restore = tcgetattr(STDIN_FILENO, &old_mode) == 0;
    if (restore) {
        termios quiet = old_mode;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    std::cerr << "\n";  // the user's Enter was not echoed
    if (!got) return std::nullopt;
    return line;
}

std::string read_password_line(Io& io) {
    std::string line;
    if (!std::getline(io.in, line))
        throw CommandError{kExitUsage,
                           "no password on standard input (--password-stdin reads "
                           "one line)"};
    if (line.ends_with('\r')) line.pop_back();  // a CRLF line from a Windows tool
    return line;
}

}  // namespace mw::cli
