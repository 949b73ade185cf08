// RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
//                             Reply-code [ SP textstring ] CRLF
// Reply-code = %x32-35 %x30-35 %x30-39. The parser re-reads the input from its start on every
// call, which is why the client calls it only once a new line end has arrived.
#include "smtp/client/reply_parser.hpp"

#include <cstdio>

namespace mw::smtp::client {
namespace {

// For error details: at most 64 octets of what the server sent, printable ASCII only.
std::string quote_excerpt(std::string_view bytes) {
    constexpr std::size_t kMaxExcerpt = 64;
    std::string out = "\"";
    for (std::size_t i = 0; i < bytes.size() && i < kMaxExcerpt; ++i) {
        const auto u = static_cast<unsigned char>(bytes[i]);
        if (u >= 0x20 && u < 0x7f && u != '"' && u != '\\') {
            out.push_back(static_cast<char>(u));
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02X", u);
            out += hex;
        }
    }
    if (bytes.size() > kMaxExcerpt) out += "...";
    out.push_back('"');
    return out;
}

ReplyParse fail(ReplyErrorKind kind, std::string detail) {
    ReplyParse p;
    p.status = ReplyParse::Status::Error;
    p.error = ReplyError{kind, std::move(detail)};
    return p;
}

bool in_range(char c, char lo, char hi) {
    return c >= lo && c <= hi;
}

// The text goes into logs and into a DSN header field: no control byte may survive. TAB is
// whitespace in both, so it is kept; non-ASCII (SMTPUTF8 servers) is kept as sent.
std::string sanitise_text(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) c = '?';
    }
    return out;
}

// Moves the enhanced code of the first line into reply.esc and strips it from every line that
// repeats it (RFC 2034 §3: each line of a multiline reply carries the code).
void extract_enhanced_code(RemoteReply& reply) {
    if (reply.lines.empty()) return;
    const auto first = parse_enhanced_code(reply.lines.front());
    if (!first || first->esc.cls != reply.reply_class()) return;
    reply.esc = first->esc;
    for (std::string& line : reply.lines) {
        const auto esc = parse_enhanced_code(line);
        if (!esc || esc->esc.cls != first->esc.cls || esc->esc.subject != first->esc.subject ||
            esc->esc.detail != first->esc.detail) {
            continue;
        }
        const std::size_t cut = esc->length < line.size() ? esc->length + 1 : esc->length;
        line.erase(0, cut);
    }
}

}  // namespace

std::string RemoteReply::to_string() const {
    std::string out = std::to_string(code);
    if (esc.present()) {
        out.push_back(' ');
        out += smtp::to_string(esc);
    }
    for (const std::string& line : lines) {
        if (line.empty()) continue;
        out.push_back(' ');
        out += line;
    }
    return out;
}

std::string RemoteReply::lines_as_received() const {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += "\r\n";
        out += std::to_string(code);
        out.push_back(i + 1 < lines.size() ? '-' : ' ');
        if (esc.present()) {
            out += smtp::to_string(esc);
            if (!lines[i].empty()) out.push_back(' ');
        }
        out += lines[i];
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();  // a bare "354" had no separator
    return out;
}

std::optional<ParsedEnhancedCode> parse_enhanced_code(std::string_view text) {
    if (text.size() < 5) return std::nullopt;
    if (text[0] != '2' && text[0] != '4' && text[0] != '5') return std::nullopt;
    if (text[1] != '.') return std::nullopt;
    std::size_t pos = 2;
    // 1*3digit, fitting in an octet.
    const auto number = [&](std::uint8_t& value) {
        unsigned n = 0;
        std::size_t digits = 0;
        while (pos < text.size() && digits < 4 && in_range(text[pos], '0', '9')) {
            n = n * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
            ++digits;
        }
        if (digits == 0 || digits > 3 || n > 255) return false;
        value = static_cast<std::uint8_t>(n);
        return true;
    };
    ParsedEnhancedCode parsed;
    parsed.esc.cls = static_cast<std::uint8_t>(text[0] - '0');
    if (!number(parsed.esc.subject)) return std::nullopt;
    if (pos >= text.size() || text[pos] != '.') return std::nullopt;
    ++pos;
    if (!number(parsed.esc.detail)) return std::nullopt;
    if (pos < text.size() && text[pos] != ' ') return std::nullopt;
    parsed.length = pos;
    return parsed;
}

ReplyParse parse_reply(std::string_view input, bool enhanced_codes) {
    RemoteReply reply;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t lf = input.find('\n', pos);
        if (lf == std::string_view::npos) {
            if (input.size() - pos >= kMaxReplyLine) {
                return fail(ReplyErrorKind::LineTooLong, "reply line longer than " +
                                                             std::to_string(kMaxReplyLine) +
                                                             " octets without a line end");
            }
            return {};  // NeedMore
        }
        if (lf + 1 - pos > kMaxReplyLine) {
            return fail(ReplyErrorKind::LineTooLong,
                        "reply line longer than " + std::to_string(kMaxReplyLine) + " octets");
        }
        std::string_view line = input.substr(pos, lf - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        const bool code_ok = line.size() >= 3 && in_range(line[0], '2', '5') &&
                             in_range(line[1], '0', '5') && in_range(line[2], '0', '9');
        if (!code_ok || (line.size() > 3 && line[3] != '-' && line[3] != ' ')) {
            return fail(ReplyErrorKind::Malformed,
                        "reply line is not a 3-digit code and text: " + quote_excerpt(line));
        }
        const auto code = static_cast<std::uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 +
                                                     (line[2] - '0'));
        if (reply.lines.empty()) {
            reply.code = code;
        } else if (code != reply.code) {
            return fail(ReplyErrorKind::CodeMismatch, "multiline reply changed its code from " +
                                                          std::to_string(reply.code) + " to " +
                                                          std::to_string(code));
        }
        if (reply.lines.size() == kMaxReplyLines) {
            return fail(ReplyErrorKind::TooManyLines,
                        "reply has more than " + std::to_string(kMaxReplyLines) + " lines");
        }
        reply.lines.push_back(sanitise_text(line.size() > 4 ? line.substr(4) : std::string_view{}));
        pos = lf + 1;
        if (line.size() == 3 || line[3] == ' ') break;
    }
    if (enhanced_codes) extract_enhanced_code(reply);
    ReplyParse done;
    done.status = ReplyParse::Status::Complete;
    done.reply = std::move(reply);
    done.consumed = pos;
    return done;
}

}  // namespace mw::smtp::client
