// The running server: listeners, sessions, spool and delivery workers, until SIGTERM/SIGINT.
#pragma once

#include "config/settings.hpp"
#include "directory/directory.hpp"

namespace mw::server {

// Blocks until a signal asks to stop; returns the process exit code. Prints where it listens.
int run(const config::Settings& settings, directory::Directory& directory);

}  // namespace mw::server
