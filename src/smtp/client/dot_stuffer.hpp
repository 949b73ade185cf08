// The client side of DATA transparency (RFC 5321 §4.5.2) and line endings (§2.3.8): turns a
// message into the octets sent after a 354 reply, ending with <CRLF>.<CRLF>.
// Every line end on the wire is CRLF: a bare LF becomes CRLF and so does a bare CR (a CR not
// followed by LF), so a message can never carry the bare line ends that SMTP smuggling (2023)
// uses, and the receiver never sees a "." line we did not mean. A message that does not end with
// a line end gets one before the final ".", so the terminator is always a line of its own.
// Streaming: feed the message in any pieces; the output does not depend on where it is split.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mw::smtp::client {

class DotStuffer {
public:
    // Appends the encoded form of `in` to `out`.
    void encode(std::string_view in, std::string& out);
    // Appends what ends the message: a pending line end and ".\r\n". Call once, at the end.
    void finish(std::string& out);
    // Octets appended to `out` so far (for logs and the SIZE estimate check).
    std::uint64_t octets_written() const noexcept { return written_; }

private:
    void put(std::string& out, std::string_view bytes);
    bool at_line_start_ = true;  // the next octet starts a line (true before the first one)
    bool pending_cr_ = false;    // the last input octet was a CR whose LF may still come
    std::uint64_t written_ = 0;
};

// The whole message at once: dot-stuffed, CRLF line ends, ending with "\r\n.\r\n" (an empty
// message gives ".\r\n").
std::string dot_stuff(std::string_view message);

}  // namespace mw::smtp::client
