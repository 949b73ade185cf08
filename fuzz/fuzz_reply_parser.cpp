// Fuzz target for smtp::client::parse_reply (RFC 5321 §4.2, §4.2.1; RFC 2034 / RFC 3463): what a
// remote server answers is attacker-controlled. Input: 1 octet flags/cut, then server bytes.
// Invariants:
//  - a complete reply has a valid code, 1..kMaxReplyLines lines, no control byte in its text,
//    consumed octets that end with LF, and an enhanced code only of the reply's class;
//  - every shorter prefix of a complete reply needs more bytes (no early or partial result);
//  - an error stays an error whatever follows (the client never resynchronises on garbage);
//  - the enhanced-codes switch changes the text, never the framing;
//  - replies parsed one after the other consume the input without looping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/client/reply_parser.hpp"

namespace {

using namespace mw::smtp::client;
using Status = ReplyParse::Status;

void check_complete(std::string_view in, const ReplyParse& p) {
    FUZZ_CHECK(p.consumed > 0 && p.consumed <= in.size());
    FUZZ_CHECK(in[p.consumed - 1] == '\n');
    const RemoteReply& r = p.reply;
    FUZZ_CHECK(r.code >= 200 && r.code <= 559 && (r.code / 10) % 10 <= 5);
    FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= kMaxReplyLines);
    for (const std::string& line : r.lines) {
        FUZZ_CHECK(line.size() < kMaxReplyLine);
        for (const char c : line) {
            const auto u = static_cast<unsigned char>(c);
            FUZZ_CHECK(u == '\t' || (u >= 0x20 && u != 0x7f));
        }
    }
    if (r.esc.present()) FUZZ_CHECK(r.esc.cls == r.code / 100);
    const std::string text = r.to_string();
    FUZZ_CHECK(text.find_first_of("\r\n") == std::string::npos);
    // The DSN form: one CRLF between lines, no other line break.
    const std::string quoted = r.lines_as_received();
    std::size_t breaks = 0;
    for (std::size_t i = 0; i < quoted.size(); ++i) {
        if (quoted[i] == '\n') FUZZ_CHECK(i > 0 && quoted[i - 1] == '\r');
        if (quoted[i] == '\r') FUZZ_CHECK(i + 1 < quoted.size() && quoted[i + 1] == '\n');
        breaks += quoted[i] == '\n' ? 1 : 0;
    }
    FUZZ_CHECK(breaks + 1 == r.lines.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const bool enhanced = (data[0] & 1) != 0;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

    const ReplyParse p = parse_reply(in, enhanced);
    const ReplyParse other = parse_reply(in, !enhanced);
    FUZZ_CHECK(p.status == other.status);
    if (p.status == Status::Complete) {
        check_complete(in, p);
        FUZZ_CHECK(other.consumed == p.consumed && other.reply.code == p.reply.code &&
                   other.reply.lines.size() == p.reply.lines.size());
        if (!enhanced) FUZZ_CHECK(!p.reply.esc.present());
        // A prefix cut by the flags octet: still incomplete, never an error or another reply.
        const std::size_t cut = (static_cast<std::size_t>(data[0]) * 131) % p.consumed;
        FUZZ_CHECK(parse_reply(in.substr(0, cut), enhanced).status == Status::NeedMore);
    } else if (p.status == Status::Error) {
        FUZZ_CHECK(!p.error.detail.empty());
        std::string longer(in);
        longer += "\r\n250 ok\r\n";
        FUZZ_CHECK(parse_reply(longer, enhanced).status == Status::Error);
    } else {
        FUZZ_CHECK(in.size() < kMaxReplyLine * kMaxReplyLines + kMaxReplyLine);
    }

    // A stream of replies, as the client reads them: each one consumes something.
    std::string_view rest = in;
    for (std::size_t n = 0; n <= in.size(); ++n) {
        const ReplyParse next = parse_reply(rest, enhanced);
        if (next.status != Status::Complete) break;
        check_complete(rest, next);
        rest.remove_prefix(next.consumed);
    }
    return 0;
}
