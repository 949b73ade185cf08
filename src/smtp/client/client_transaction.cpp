// The mail transaction (RFC 5321 §3.3): MAIL, RCPT for each recipient, DATA, the body, and the
// reply to the final ".". With PIPELINING (RFC 2920) MAIL, every RCPT and DATA go out in one
// write and the replies are matched to them in order; without it, one command per reply.
#include <algorithm>

#include "smtp/client/client.hpp"

namespace mw::smtp::client {
namespace {

std::string_view refusal(Stage stage) {
    switch (stage) {
        case Stage::Mail:
            return "the server refused the sender (MAIL FROM)";
        case Stage::Rcpt:
            return "the server refused this recipient (RCPT TO)";
        case Stage::Data:
            return "the server refused the DATA command";
        case Stage::EndOfData:
            return "the server refused the message after receiving it";
        default:
            return "the server refused";
    }
}

}  // namespace

std::string Client::mail_command() const {
    std::string command = "MAIL FROM:<" + wire_sender_ + ">";
    // RFC 1870 §6: announce the size so the server can refuse before the body is sent.
    if (caps_.size && envelope_.message_size > 0) {
        command += " SIZE=" + std::to_string(envelope_.message_size);
    }
    if (envelope_.needs_8bitmime && caps_.eight_bit_mime) command += " BODY=8BITMIME";
    if (envelope_.needs_smtputf8 && caps_.smtputf8) command += " SMTPUTF8";  // RFC 6531 §3.4
    return command + "\r\n";
}

bool Client::any_accepted() const {
    for (std::size_t i = 0; i < accepted_.size(); ++i) {
        if (accepted_[i] && report_.recipients[i].status == Status::Pending) return true;
    }
    return false;
}

// The checks an envelope must pass against what the server announced, before MAIL.
Step Client::begin_envelope() {
    if (!anything_to_send()) return end_transaction(false);
    // RFC 1870 §6.1: do not send what the server declared it will not take.
    if (caps_.size_limit && envelope_.message_size > *caps_.size_limit) {
        decide_pending(Status::Permanent, Stage::Mail, std::nullopt, EnhancedCode{5, 3, 4},
                       "the message is " + std::to_string(envelope_.message_size) +
                           " octets, but the server accepts at most " +
                           std::to_string(*caps_.size_limit) + " (its SIZE limit)");
        return end_transaction(false);
    }
    // RFC 6531 §3.2: without SMTPUTF8 the message cannot be sent as it is; no downgrade.
    if (envelope_.needs_smtputf8 && !caps_.smtputf8) {
        decide_pending(Status::Permanent, Stage::Mail, std::nullopt, EnhancedCode{5, 6, 7},
                       "the message needs SMTPUTF8 (a non-ASCII address or header), but the "
                       "server does not support it (RFC 6531)");
        return end_transaction(false);
    }
    // RFC 6152 §3 forbids 8-bit data without BODY=8BITMIME, but in practice every server that
    // does not announce it stores 8-bit octets unchanged, and bouncing such mail would lose it.
    // We send it as it is and say so in the log (Postfix does the same by default).
    if (envelope_.needs_8bitmime && !caps_.eight_bit_mime) {
        report_.notes.push_back("8-bit message sent without 8BITMIME: the server did not offer it");
    }
    if (needs_rset_) {
        // RFC 5321 §4.1.1.5: RSET clears what is left of the last transaction.
        return send("RSET\r\n", State::Rset);
    }
    return begin_transaction();
}

Step Client::on_rset(const RemoteReply& reply) {
    if (reply.positive()) {
        needs_rset_ = false;
        return begin_transaction();
    }
    if (!reply.transient() && !reply.permanent()) {
        return protocol_error("RSET was answered with " + std::to_string(reply.code));
    }
    // A server that cannot reset cannot be trusted with another transaction on this connection.
    decide_pending(Status::Temporary, Stage::Mail, reply, reply.esc,
                   "the server refused RSET between two transactions");
    return send_quit();
}

// The transaction is over; the connection is still in a clean SMTP state.
Step Client::end_transaction(bool needs_rset) {
    if (!options_.reuse_connection) return send_quit();
    // A transaction decided before MAIL (SIZE, SMTPUTF8) leaves an earlier reset still owed.
    needs_rset_ = needs_rset_ || needs_rset;
    state_ = State::BetweenTransactions;
    return Step{{}, Step::Next::TransactionDone, Timeout::Command};
}

Step Client::next_transaction(Envelope envelope) {
    if (state_ != State::BetweenTransactions) return state_ == State::Done ? close() : read();
    load_envelope(std::move(envelope));
    if (!anything_to_send()) return Step{{}, Step::Next::TransactionDone, Timeout::Command};
    return begin_envelope();
}

Step Client::begin_transaction() {
    report_.tls = options_.tls_active;
    expected_.clear();
    expected_front_ = 0;
    expected_.push_back(Expect{Expect::Kind::Mail, 0});
    for (std::size_t i = 0; i < report_.recipients.size(); ++i) {
        if (report_.recipients[i].status == Status::Pending) {
            expected_.push_back(Expect{Expect::Kind::Rcpt, i});
        }
    }
    expected_.push_back(Expect{Expect::Kind::Data, 0});

    const auto command_for = [&](const Expect& e) -> std::string {
        switch (e.kind) {
            case Expect::Kind::Mail:
                return mail_command();
            case Expect::Kind::Rcpt:
                return "RCPT TO:<" + wire_recipients_[e.recipient] + ">\r\n";
            case Expect::Kind::Data:
                return "DATA\r\n";
        }
        return {};
    };
    if (caps_.pipelining) {
        // RFC 2920 §3.1: DATA ends the group; everything before it may be sent at once.
        std::string group;
        for (const Expect& e : expected_) group += command_for(e);
        next_command_ = expected_.size();
        return send(std::move(group), State::Transaction);
    }
    next_command_ = 1;
    return send(command_for(expected_.front()), State::Transaction);
}

Step Client::on_transaction(const RemoteReply& reply) {
    const Expect expect = expected_[expected_front_];
    const bool refused = reply.transient() || reply.permanent();
    const Status status = reply.transient() ? Status::Temporary : Status::Permanent;
    switch (expect.kind) {
        case Expect::Kind::Mail:
            if (reply.positive()) {
                mail_accepted_ = true;
            } else if (refused) {
                decide_pending(status, Stage::Mail, reply, reply.esc,
                               std::string(refusal(Stage::Mail)));
            } else {
                return protocol_error("MAIL was answered with " + std::to_string(reply.code));
            }
            break;
        case Expect::Kind::Rcpt: {
            RecipientResult& r = report_.recipients[expect.recipient];
            if (!reply.positive() && !refused) {
                return protocol_error("RCPT was answered with " + std::to_string(reply.code));
            }
            // After a refused MAIL the recipient is already decided; its 503 says nothing new.
            if (r.status != Status::Pending) break;
            if (reply.positive()) {
                accepted_[expect.recipient] = true;  // RFC 5321 §4.2.5: 250 and 251 alike
            } else {
                decide_from_reply(r, Stage::Rcpt, reply, std::string(refusal(Stage::Rcpt)));
            }
            break;
        }
        case Expect::Kind::Data:
            ++expected_front_;
            if (reply.code == 354) {
                if (any_accepted()) {
                    if (!input_.empty()) {
                        return protocol_error("the server sent more after its 354 reply");
                    }
                    state_ = State::Body;
                    return Step{{}, Step::Next::SendBody, Timeout::DataBlock};
                }
                // RFC 2920 §3.1: DATA was accepted although no recipient was; "the client
                // SHOULD send a single dot" to end the empty transaction cleanly.
                return send(".\r\n", State::EmptyDot);
            }
            if (!refused) {
                return protocol_error("DATA was answered with " + std::to_string(reply.code));
            }
            decide_pending(status, Stage::Data, reply, reply.esc,
                           std::string(refusal(Stage::Data)));
            return end_transaction(true);
    }
    ++expected_front_;
    return after_transaction_reply();
}

// Without PIPELINING: send the next command, or stop when it cannot succeed.
Step Client::after_transaction_reply() {
    if (next_command_ >= expected_.size() || expected_front_ < next_command_) return read();
    if (!mail_accepted_) return end_transaction(true);
    const Expect& next = expected_[next_command_];
    if (next.kind == Expect::Kind::Data && !any_accepted()) {
        return end_transaction(true);  // nobody to send to
    }
    ++next_command_;
    if (next.kind == Expect::Kind::Data) return send("DATA\r\n", State::Transaction);
    return send("RCPT TO:<" + wire_recipients_[next.recipient] + ">\r\n", State::Transaction);
}

Step Client::on_body_sent() {
    if (state_ != State::Body) return state_ == State::Done ? close() : read();
    state_ = State::EndOfData;
    // A reply may already be waiting (a server that refused while the body was streaming).
    return process_input();
}

Step Client::on_end_of_data(const RemoteReply& reply) {
    if (reply.positive()) {
        // RFC 5321 §4.2.5: the server now has the message, for every accepted recipient.
        decide_pending(Status::Delivered, Stage::EndOfData, reply, reply.esc,
                       "delivered: the server accepted the message");
        return end_transaction(false);
    }
    if (!reply.transient() && !reply.permanent()) {
        return protocol_error("the end of data was answered with " + std::to_string(reply.code));
    }
    decide_pending(reply.transient() ? Status::Temporary : Status::Permanent, Stage::EndOfData,
                   reply, reply.esc, std::string(refusal(Stage::EndOfData)));
    // RFC 5321 §4.1.1.4: whatever the reply, the end of data ends the transaction.
    return end_transaction(false);
}

Step Client::on_empty_dot(const RemoteReply&) {
    return end_transaction(false);  // every recipient was already decided
}

void Client::decide_from_reply(RecipientResult& rcpt, Stage stage, const RemoteReply& reply,
                               std::string reason) {
    rcpt.status = reply.transient() ? Status::Temporary : Status::Permanent;
    rcpt.stage = stage;
    rcpt.reply = reply;
    rcpt.esc = reply.esc.present()
                   ? reply.esc
                   : EnhancedCode{static_cast<std::uint8_t>(reply.reply_class()), 0, 0};
    rcpt.reason = std::move(reason);
}

}  // namespace mw::smtp::client
