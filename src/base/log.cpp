#include "base/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <stdexcept>

namespace mw::log {

void init(std::string_view level, const std::string& file) {
    auto lvl = spdlog::level::from_str(std::string(level));
    if (lvl == spdlog::level::off && level != "off")
        throw std::invalid_argument("unknown log level '" + std::string(level) +
                                    "' (use trace, debug, info, warn or error)");
    std::shared_ptr<spdlog::logger> logger;
    if (file.empty())
        logger = spdlog::stderr_logger_mt("mailwarden");
    else
        logger = spdlog::basic_logger_mt("mailwarden", file);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    logger->set_level(lvl);
    // Every line at the chosen level reaches the file at once: with "debug", a debug line
    // written last (e.g. by a worker thread) must not wait in the buffer for the next info
    // line, or whoever reads the log (tests, `tail -f`) never sees it.
    logger->flush_on(std::min(lvl, spdlog::level::info));
    spdlog::set_default_logger(logger);
}

std::string safe(std::string_view value, std::size_t max_len) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size() < max_len ? value.size() : max_len);
    for (unsigned char c : value) {
        if (out.size() >= max_len) {
            out += "...";
            break;
        }
        if (c < 0x21 || c == 0x7f || c == '"' || c == '=' || c == '\\') {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace mw::log
