// Logging: one key=value line per event, via spdlog. Client-supplied text always goes through
// log_safe() so a client can never forge log lines or fields.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace mw::log {

// level: trace debug info warn error; file: empty for stderr. Throws on a bad level or file.
void init(std::string_view level, const std::string& file);

// Escapes control bytes, spaces, '"' and '=' as \xNN and cuts the result at max_len bytes, so
// the value can sit in a key=value line unquoted.
std::string safe(std::string_view value, std::size_t max_len = 200);

}  // namespace mw::log
