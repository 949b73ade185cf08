// The SMTP reply table: every reply the server can send, with its code, RFC 3463 enhanced status
// code, a stable reason key for logs, and a text that states the cause and the fix.
// No reply literal may appear anywhere else in src/ (a test greps for it).
// Security: client-supplied values are sanitised (no CR/LF/control bytes, bounded) before they
// are put into a reply, so a client can never inject reply lines.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::smtp {

struct EnhancedCode {
    std::uint8_t cls = 0, subject = 0, detail = 0;
};

enum class ReplyId : std::uint16_t {
    // connection level (used by the network driver)
    Greeting,
    ConnectionLimitGlobal,
    ConnectionLimitPerIp,
    ShuttingDown,
    Timeout,
    SubmissionNotYetAvailable,
    LocalError,
    // session replies: the smtp core adds its own ids below
    Closing,
    EhloOk,
    HeloOk,
    Ok,
    MailOk,
    RcptOk,
    StartData,
    Queued,
    // ... (the smtp core owns the rest of this list)
};

struct ReplyEntry {
    ReplyId id;
    std::uint16_t code;
    EnhancedCode esc;
    std::string_view reason;  // stable log key, e.g. "unknown_user"
    std::string_view text;    // cause + fix, with {placeholders}
};

struct Reply {
    ReplyId id;
    std::uint16_t code = 0;
    std::vector<std::string> lines;  // text of each line, without code/esc prefix
    std::string_view reason;         // from the table
    bool close_after = false;        // 421/221: close the connection after sending
};

using ReplyArgs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::span<const ReplyEntry> reply_table();
const ReplyEntry& reply_entry(ReplyId id);
Reply make_reply(ReplyId id, ReplyArgs args = {});
// "250-..\r\n250 ..\r\n" with the enhanced code on every line (RFC 2034).
std::string render(const Reply& reply);

}  // namespace mw::smtp
