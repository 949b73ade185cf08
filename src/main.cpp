// mailwarden: SMTP receiving and submission, a durable spool and Maildir delivery in one binary.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return mw::cli::run(argc, argv); }
