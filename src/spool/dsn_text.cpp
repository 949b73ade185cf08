// The first part of a bounce or delay notice: what happened, in words for a person who has never
// heard of SMTP, with the remote server's answer quoted exactly (it often names the real reason,
// or a web page about it) and the RFC 3463 status turned into "what this usually means" and
// "what you can do".
#include <array>
#include <cstdint>

#include "spool/dsn_internal.hpp"

namespace mw::spool {
namespace {

struct StatusText {
    int cls;      // RFC 3463 class 4 or 5; 0: either
    int subject;  // RFC 3463 subject; -1: any
    int detail;   // RFC 3463 detail; -1: any
    std::string_view meaning;
    std::string_view advice;
};

constexpr std::string_view kAskAdmin =
    "If the answer quoted above does not make the reason clear, forward this message to your "
    "mail administrator.";
constexpr std::string_view kTooBigAdvice =
    "Send the message again without the large attachments. To share big files, upload them to a "
    "file sharing service and send the link instead.";

// Most specific first: exact subject.detail, then the whole subject, then the class default.
constexpr std::array kStatusTexts = {
    // 4.7.x is how greylisting answers (and rate limits); it is not a refusal of the content.
    StatusText{4, 7, -1,
               "The receiving mail server asked us to try again later. Many servers do "
               "this with mail from a sender they have not seen before "
               "(\"greylisting\"), or when one place sends them a lot of mail.",
               kAskAdmin},
    StatusText{4, 3, -1, "The receiving mail system is busy or has a temporary problem.",
               kAskAdmin},
    StatusText{0, 1, 1,
               "The address does not exist on the receiving side. It may be misspelled, or "
               "the mailbox may have been closed.",
               "Check the spelling of the address. If it looks right, ask the person for their "
               "current address in another way (phone, chat, their website)."},
    StatusText{0, 1, 2, "The part of the address after the @ is not a domain that receives email.",
               "Check the part after the @ for typing mistakes (for example \"gmial.com\" "
               "instead of \"gmail.com\")."},
    StatusText{0, 1, 3, "The address is not written correctly.",
               "Check the address for typing mistakes, spaces or missing parts."},
    StatusText{0, 1, 6, "The mailbox has moved and no longer receives mail at this address.",
               "Ask the person for their new address."},
    StatusText{0, 1, 10,
               "The recipient's domain has declared that it does not accept any email "
               "(it publishes a \"null MX\" record).",
               "This address cannot receive email. Ask the person for another address."},
    StatusText{0, 1, -1, "There is a problem with the recipient's address.",
               "Check the address for typing mistakes."},
    StatusText{0, 2, 1, "The recipient's mailbox is disabled and does not accept mail.",
               "Contact the person in another way and ask whether the address is still in use."},
    StatusText{0, 2, 2, "The recipient's mailbox is full.",
               "Let the person know in another way so they can make room, then send your "
               "message again. Sending large attachments as a link helps."},
    StatusText{0, 2, 3, "Your message is larger than the recipient's mailbox accepts.",
               kTooBigAdvice},
    StatusText{0, 2, -1, "The recipient's mailbox cannot take the message.",
               "Contact the person in another way."},
    StatusText{0, 3, 4, "Your message is larger than the receiving mail server accepts.",
               kTooBigAdvice},
    StatusText{0, 3, -1, "The receiving mail system has a problem of its own.", kAskAdmin},
    StatusText{0, 4, 1, "The receiving mail server did not answer.", kAskAdmin},
    StatusText{0, 4, 2, "The connection to the receiving mail server broke off.", kAskAdmin},
    StatusText{0, 4, 4,
               "No mail server could be found for the recipient's domain (the part after "
               "the @).",
               "Check the part after the @ for typing mistakes. If it is right, the recipient's "
               "domain may be misconfigured; tell the person in another way."},
    StatusText{0, 4, 7,
               "The message could not be delivered for so long that the mail system gave "
               "up.",
               "Send the message again later, or contact the person in another way."},
    StatusText{0, 4, -1,
               "The receiving mail server could not be reached, or the connection failed.",
               kAskAdmin},
    StatusText{0, 5, -1, "Our mail server and the receiving one could not understand each other.",
               "Forward this message to your mail administrator."},
    StatusText{0, 6, 7,
               "The address or the message contains international characters that the "
               "receiving mail server does not support.",
               "Send to an address made of plain letters (a-z, 0-9) if the person has one."},
    StatusText{0, 6, -1,
               "The receiving mail server could not handle the format or the content of "
               "the message.",
               "Try sending it again as plain text, without special attachments."},
    StatusText{0, 7, 1,
               "The receiving mail server refused the message because of its rules. Often "
               "it considered the message spam, or it does not accept mail from your "
               "address or from our server.",
               "Read the answer quoted above: it often gives the reason or a web page about it. "
               "Contact the person in another way if needed. If many recipients refuse your "
               "mail, forward this message to your mail administrator."},
    StatusText{0, 7, -1,
               "The receiving mail server refused the message for security or policy "
               "reasons (for example failed sender checks such as SPF, DKIM or DMARC).",
               "Forward this message to your mail administrator: the answer quoted above names "
               "the check that failed."},
};

constexpr StatusText kPermanentDefault{
    0, -1, -1, "The receiving mail server refused the message permanently.", kAskAdmin};
constexpr StatusText kTemporaryDefault{
    4, -1, -1, "The receiving mail server reported a temporary problem.", kAskAdmin};

struct ParsedStatus {
    int cls = 0, subject = -1, detail = -1;
};

ParsedStatus parse_status(std::string_view status) {
    ParsedStatus p;
    int* fields[] = {&p.cls, &p.subject, &p.detail};
    std::size_t i = 0;
    for (int* field : fields) {
        int value = 0, digits = 0;
        while (i < status.size() && status[i] >= '0' && status[i] <= '9' && digits < 3) {
            value = value * 10 + (status[i++] - '0');
            ++digits;
        }
        if (digits == 0) return p;
        *field = value;
        if (i < status.size() && status[i] == '.') ++i;
    }
    return p;
}

// Appends `text` as a paragraph, wrapped at 74 columns (counting code points) after `indent`.
void add_paragraph(std::string& out, std::string_view text, std::string_view indent = "") {
    constexpr std::size_t kWidth = 74;
    auto columns = [](std::string_view s) {
        std::size_t n = 0;
        for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return n;
    };
    std::string line(indent);
    std::size_t line_cols = columns(indent);
    bool empty = true;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ') ++i;
        std::string_view word = text.substr(start, i - start);
        if (word.empty()) break;
        std::size_t cols = columns(word);
        if (!empty && line_cols + 1 + cols > kWidth) {
            out += line + "\r\n";
            line = std::string(indent);
            line_cols = columns(indent);
            empty = true;
        }
        if (!empty) {
            line += ' ';
            ++line_cols;
        }
        line += word;
        line_cols += cols;
        empty = false;
    }
    if (!empty) out += line + "\r\n";
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string intro(std::size_t failed, std::size_t delayed, std::size_t other) {
    std::string text;
    if (failed > 0)
        text = "Your message could not be delivered to " +
               plural(failed, "recipient", "recipients") +
               ". The mail system has stopped trying, so " +
               (failed == 1 ? "this recipient has" : "these recipients have") + " not received it.";
    if (delayed > 0) {
        if (!text.empty()) text += " ";
        text += "Delivery to " + plural(delayed, "recipient", "recipients") +
                " is delayed. The mail system keeps trying; you do not need to do anything "
                "now.";
    }
    if (other > 0) {
        if (!text.empty()) text += " ";
        text += "This report also lists " + plural(other, "recipient", "recipients") +
                " whose delivery went ahead.";
    }
    return text;
}

void add_recipient(std::string& out, const DsnRecipient& r) {
    using dsn_detail::printable_utf8;
    out += "Recipient: " + printable_utf8(r.final_recipient) + "\r\n";
    ParsedStatus status = parse_status(r.status);
    if (r.action == DsnAction::Delayed && r.will_retry_until)
        add_paragraph(out,
                      "Result: delayed. The mail system keeps trying until " +
                          dsn_detail::rfc5322_date(*r.will_retry_until) + ".",
                      "  ");
    else if (r.action == DsnAction::Delayed)
        add_paragraph(out, "Result: delayed. The mail system keeps trying.", "  ");
    else if (r.action == DsnAction::Failed)
        add_paragraph(out, "Result: not delivered.", "  ");
    else
        add_paragraph(out, "Result: " + std::string(to_string(r.action)) + ".", "  ");

    if (!r.remote_reply.empty()) {
        std::string who = r.remote_mta.empty() ? std::string("The receiving mail server answered:")
                                               : "The receiving mail server (" +
                                                     printable_utf8(r.remote_mta) + ") answered:";
        add_paragraph(out, who, "  ");
        // Quoted exactly, line by line (bounded: replies are short, a hostile one is cut).
        constexpr std::size_t kMaxLines = 20, kMaxLineBytes = 512;
        std::size_t shown = 0;
        std::string_view reply = r.remote_reply;
        while (!reply.empty() && shown < kMaxLines) {
            auto end = reply.find('\n');
            std::string_view line = reply.substr(0, end);
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (!line.empty()) {
                out += "    " + printable_utf8(line.substr(0, kMaxLineBytes)) + "\r\n";
                ++shown;
            }
            if (end == std::string_view::npos) break;
            reply.remove_prefix(end + 1);
        }
    }
    if (!r.problem.empty()) add_paragraph(out, printable_utf8(r.problem), "  ");
    if (r.action == DsnAction::Failed && status.cls == 4)
        add_paragraph(out,
                      "The problem looked temporary, but it did not go away before the mail "
                      "system stopped trying.",
                      "  ");
    if (r.action == DsnAction::Failed || r.action == DsnAction::Delayed) {
        StatusExplanation e = explain_status(r.status);
        add_paragraph(out, "What this usually means: " + std::string(e.meaning), "  ");
        if (r.action == DsnAction::Delayed)
            add_paragraph(out,
                          "What you can do: nothing yet. If the message still cannot be "
                          "delivered when the mail system gives up, you will get another "
                          "message.",
                          "  ");
        else
            add_paragraph(out, "What you can do: " + std::string(e.advice), "  ");
    }
    out += "\r\n";
}

}  // namespace

StatusExplanation explain_status(std::string_view status) {
    ParsedStatus s = parse_status(status);
    for (const auto& t : kStatusTexts) {
        if ((t.cls == 0 || t.cls == s.cls) && t.subject == s.subject &&
            (t.detail == -1 || t.detail == s.detail))
            return {t.meaning, t.advice};
    }
    const StatusText& fallback = s.cls == 4 ? kTemporaryDefault : kPermanentDefault;
    return {fallback.meaning, fallback.advice};
}

namespace dsn_detail {

std::string notification_text(const DsnRequest& request, std::string_view subject,
                              std::string_view returned_note) {
    std::size_t failed = 0, delayed = 0;
    for (const auto& r : request.recipients) {
        failed += r.action == DsnAction::Failed;
        delayed += r.action == DsnAction::Delayed;
    }
    std::string out;
    add_paragraph(out, "This is the mail system at " + request.reporting_host + ".");
    out += "\r\n";
    add_paragraph(out, intro(failed, delayed, request.recipients.size() - failed - delayed));
    out += "\r\n";
    if (!subject.empty()) out += "  Subject:  " + std::string(subject) + "\r\n";
    out += "  Sent:     " + rfc5322_date(request.arrival_date) + "\r\n";
    if (!request.queue_id.empty())
        out += "  Queue ID: " + printable_utf8(request.queue_id) + "\r\n";
    out += "\r\n";
    for (const auto& r : request.recipients) add_recipient(out, r);
    add_paragraph(out, returned_note);
    return out;
}

}  // namespace dsn_detail
}  // namespace mw::spool
