// RFC 5321 §4.5.2: "Before sending a line of mail text, the SMTP client checks the first
// character of the line. If it is a period, one additional period is inserted at the beginning
// of the line."
#include "smtp/client/dot_stuffer.hpp"

namespace mw::smtp::client {

void DotStuffer::put(std::string& out, std::string_view bytes) {
    out += bytes;
    written_ += bytes.size();
}

void DotStuffer::encode(std::string_view in, std::string& out) {
    out.reserve(out.size() + in.size() + in.size() / 64 + 4);
    std::size_t run_start = 0;  // start of a run of ordinary octets copied in one piece
    const auto flush_run = [&](std::size_t end) {
        if (end > run_start) put(out, in.substr(run_start, end - run_start));
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (pending_cr_) {
            // CR LF, or a bare CR: either way one line end, written as CRLF.
            pending_cr_ = false;
            put(out, "\r\n");
            at_line_start_ = true;
            if (c == '\n') {
                run_start = i + 1;
                continue;
            }
        }
        if (c == '\r' || c == '\n') {
            flush_run(i);
            run_start = i + 1;
            if (c == '\r') {
                pending_cr_ = true;
            } else {
                put(out, "\r\n");  // bare LF
                at_line_start_ = true;
            }
            continue;
        }
        if (at_line_start_) {
            flush_run(i);
            run_start = i;
            if (c == '.') put(out, ".");
            at_line_start_ = false;
        }
    }
    flush_run(in.size());
}

void DotStuffer::finish(std::string& out) {
    if (pending_cr_ || !at_line_start_) put(out, "\r\n");
    pending_cr_ = false;
    at_line_start_ = true;
    put(out, ".\r\n");
}

std::string dot_stuff(std::string_view message) {
    DotStuffer stuffer;
    std::string out;
    stuffer.encode(message, out);
    stuffer.finish(out);
    return out;
}

}  // namespace mw::smtp::client
