// EHLO keyword parsing: ehlo-line = ehlo-keyword *( SP ehlo-param ) (RFC 5321 §4.1.1.1).
// The first line of the reply is the server's name and greeting, never a keyword.
#include "smtp/client/server_capabilities.hpp"

#include <algorithm>
#include <limits>

#include "smtp/syntax.hpp"

namespace mw::smtp::client {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
        const std::size_t end = line.find_first_of(" \t", pos);
        const std::size_t stop = end == std::string_view::npos ? line.size() : end;
        if (stop > pos) words.push_back(line.substr(pos, stop - pos));
        pos = stop;
    }
    return words;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = syntax::to_upper(c);
    return out;
}

// RFC 1870 §4: size-param = [1*DIGIT]; a value too big for 64 bits means "no practical limit".
std::optional<std::uint64_t> parse_size(const std::vector<std::string_view>& words) {
    if (words.size() < 2) return std::nullopt;
    std::uint64_t n = 0;
    for (const char c : words[1]) {
        if (!syntax::is_digit(c)) return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
    }
    if (n == 0) return std::nullopt;
    return n;
}

void add_mechanisms(ServerCapabilities& caps, const std::vector<std::string_view>& words,
                    std::size_t first) {
    for (std::size_t i = first; i < words.size(); ++i) {
        std::string mech = upper(words[i]);
        if (!caps.offers_auth(mech)) caps.auth_mechanisms.push_back(std::move(mech));
    }
}

}  // namespace

bool ServerCapabilities::offers_auth(std::string_view mechanism) const {
    return std::any_of(auth_mechanisms.begin(), auth_mechanisms.end(),
                       [&](const std::string& m) { return syntax::iequals(m, mechanism); });
}

ServerCapabilities parse_ehlo_reply(const RemoteReply& reply) {
    ServerCapabilities caps;
    caps.esmtp = true;
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        const auto words = split_words(reply.lines[i]);
        if (words.empty()) continue;
        const std::string_view keyword = words[0];
        if (syntax::iequals(keyword, "SIZE")) {
            caps.size = true;
            caps.size_limit = parse_size(words);
        } else if (syntax::iequals(keyword, "PIPELINING")) {
            caps.pipelining = true;
        } else if (syntax::iequals(keyword, "8BITMIME")) {
            caps.eight_bit_mime = true;
        } else if (syntax::iequals(keyword, "SMTPUTF8")) {
            caps.smtputf8 = true;
        } else if (syntax::iequals(keyword, "STARTTLS")) {
            caps.starttls = true;
        } else if (syntax::iequals(keyword, "ENHANCEDSTATUSCODES")) {
            caps.enhanced_status_codes = true;
        } else if (syntax::iequals(keyword, "CHUNKING")) {
            caps.chunking = true;
        } else if (syntax::iequals(keyword, "AUTH")) {
            add_mechanisms(caps, words, 1);
        } else if (syntax::istarts_with(keyword, "AUTH=")) {
            // "AUTH=LOGIN PLAIN": the first mechanism is glued to the keyword.
            std::vector<std::string_view> rest = words;
            rest[0] = keyword.substr(5);
            add_mechanisms(caps, rest, rest[0].empty() ? 1 : 0);
        }
    }
    return caps;
}

}  // namespace mw::smtp::client
