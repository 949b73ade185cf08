// Writes one sample notice to stdout, for dsn_email_check.py, which reads it back with Python's
// email package (an independent MIME parser). Argument: "bounce" (three failures, headers only,
// UTF-8 subject), "full" (RET=FULL of an 8-bit message, one failure and one delay) or "delay".
#include <cstdio>
#include <string>
#include <string_view>

#include "spool/dsn.hpp"

namespace {

using namespace std::chrono_literals;
using mw::spool::DsnAction;
using mw::spool::DsnRecipient;
using mw::spool::TimePoint;

const TimePoint kArrival{mw::spool::Duration(1'795'514'400)};

constexpr std::string_view kOriginal =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.com\r\n"
    "Subject: Gr\xC3\xBC\xC3\x9F"
    "e aus M\xC3\xBCnchen \xE2\x80\x94 =?UTF-8?Q?caf=C3=A9?=\r\n"
    "Message-ID: <original-1@example.org>\r\n"
    "\r\n"
    "Bonjour, voil\xC3\xA0 le texte.\r\n";

DsnRecipient failed(std::string address, std::string status, std::string reply) {
    DsnRecipient r;
    r.final_recipient = std::move(address);
    r.status = std::move(status);
    r.remote_mta = "mx1.example.com";
    r.remote_reply = std::move(reply);
    r.last_attempt = kArrival + 10min;
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view kind = argc > 1 ? argv[1] : "bounce";
    mw::spool::DsnRequest q;
    q.reporting_host = "mx.example.org";
    q.original_sender = "alice@example.org";
    q.envid = "QQ314159";
    q.queue_id = "0123456789abcdefg";
    q.arrival_date = kArrival;
    q.created_at = kArrival + 10min + 1s;
    q.original_message = kOriginal;
    q.recipients.push_back(failed("bob@example.com", "5.1.1",
                                  "550-5.1.1 <bob@example.com>: Recipient address rejected:\r\n"
                                  "550 5.1.1 User unknown in virtual mailbox table"));
    q.recipients.back().original_recipient = "rfc822;Bob@Example.COM";
    if (kind == "bounce") {
        q.recipients.push_back(failed("carol@example.com", "5.2.2", "552 5.2.2 Mailbox full"));
        q.recipients.push_back(failed("dave@example.com", "5.7.1",
                                      "550 5.7.1 Message rejected as spam by content filter; see "
                                      "https://postmaster.example.com/why?id=0123456789abcdef "
                                      "for details and how to ask for delisting"));
    } else if (kind == "full") {
        q.return_full_message = true;
        DsnRecipient later = failed("erin@example.com", "4.7.1", "450 4.7.1 Greylisted");
        later.action = DsnAction::Delayed;
        later.will_retry_until = kArrival + 120h;
        q.recipients.push_back(later);
    } else if (kind == "delay") {
        q.recipients[0] = failed("erin@example.com", "4.2.2", "452 4.2.2 Over quota, try later");
        q.recipients[0].action = DsnAction::Delayed;
        q.recipients[0].will_retry_until = kArrival + 120h;
    } else {
        std::fprintf(stderr, "usage: dsn_sample bounce|full|delay\n");
        return 2;
    }
    auto dsn = mw::spool::build_dsn(q);
    if (!dsn) {
        std::fprintf(stderr, "%s\n", dsn.error().c_str());
        return 1;
    }
    std::fwrite(dsn->message.data(), 1, dsn->message.size(), stdout);
    return 0;
}
