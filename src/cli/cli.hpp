// The command line: `mailwarden serve|domain|user|config ...` (CLI11).
#pragma once

namespace mw::cli {
int run(int argc, char** argv);
}
