// The core of the client: input handling and reply dispatch, driver events, the end of the
// dialogue, and how a failure turns into per-recipient results. The opening of the session
// (greeting, EHLO/HELO, STARTTLS, AUTH) is in client_hello.cpp, the transaction (MAIL, RCPT,
// DATA, end of data, RSET) in client_transaction.cpp.
#include "smtp/client/client.hpp"

#include <algorithm>

#include "smtp/client/client_internal.hpp"
#include "smtp/command.hpp"

namespace mw::smtp::client {

using namespace detail;  // our enhanced codes and the EHLO line

namespace {

// A usable EHLO argument: a domain or an address literal, printable ASCII without spaces.
bool valid_ehlo_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxDomain) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

// ---- vocabulary ----

std::string_view to_string(Stage stage) {
    switch (stage) {
        case Stage::Connect:
            return "connect";
        case Stage::Greeting:
            return "greeting";
        case Stage::Ehlo:
            return "ehlo";
        case Stage::StartTls:
            return "starttls";
        case Stage::Auth:
            return "auth";
        case Stage::Mail:
            return "mail";
        case Stage::Rcpt:
            return "rcpt";
        case Stage::Data:
            return "data";
        case Stage::EndOfData:
            return "end-of-data";
    }
    return "unknown";
}

std::string_view to_string(Status status) {
    switch (status) {
        case Status::Pending:
            return "pending";
        case Status::Delivered:
            return "sent";
        case Status::Temporary:
            return "deferred";
        case Status::Permanent:
            return "bounced";
    }
    return "unknown";
}

std::chrono::seconds duration(Timeout timeout) {
    using std::chrono::minutes;
    switch (timeout) {
        case Timeout::Greeting:
            return minutes(5);
        case Timeout::Mail:
            return minutes(5);
        case Timeout::Rcpt:
            return minutes(5);
        case Timeout::DataInit:
            return minutes(2);
        case Timeout::DataBlock:
            return minutes(3);
        case Timeout::DataTermination:
            return minutes(10);
        case Timeout::Command:
            return minutes(5);
    }
    return minutes(5);
}

std::string_view to_string(Timeout timeout) {
    switch (timeout) {
        case Timeout::Greeting:
            return "initial 220 (RFC 5321 4.5.3.2.1)";
        case Timeout::Mail:
            return "MAIL (RFC 5321 4.5.3.2.2)";
        case Timeout::Rcpt:
            return "RCPT (RFC 5321 4.5.3.2.3)";
        case Timeout::DataInit:
            return "DATA initiation (RFC 5321 4.5.3.2.4)";
        case Timeout::DataBlock:
            return "data block (RFC 5321 4.5.3.2.5)";
        case Timeout::DataTermination:
            return "DATA termination (RFC 5321 4.5.3.2.6)";
        case Timeout::Command:
            return "command";
    }
    return "command";
}

// ---- construction: every address is checked before anything goes on the wire ----

Client::Client(Options options, Envelope envelope) : options_(std::move(options)) {
    if (!valid_ehlo_name(options_.ehlo_name)) {
        config_error_ = "our EHLO name \"" + options_.ehlo_name +
                        "\" is not a domain or address literal (check the server hostname)";
    }
    load_envelope(std::move(envelope));
}

// Every address is checked with the server's own path parser before anything goes on the wire.
void Client::load_envelope(Envelope envelope) {
    envelope_ = std::move(envelope);
    report_.recipients.clear();
    report_.protocol_error.reset();
    report_.maybe_delivered = false;
    accepted_.assign(envelope_.recipients.size(), false);
    wire_recipients_.assign(envelope_.recipients.size(), std::string{});
    wire_sender_.clear();
    expected_.clear();
    expected_front_ = 0;
    next_command_ = 0;
    mail_accepted_ = false;
    for (const std::string& address : envelope_.recipients) {
        RecipientResult r;
        r.address = address;
        report_.recipients.push_back(std::move(r));
    }
    if (!envelope_.reverse_path.empty()) {
        const auto path = parse_path("<" + envelope_.reverse_path + ">", false);
        if (!path) {
            decide_pending(Status::Permanent, Stage::Mail, std::nullopt, EnhancedCode{5, 1, 7},
                           "the sender address is not valid: " + path.error().detail);
            return;
        }
        wire_sender_ = path->mailbox.address();
        envelope_.needs_smtputf8 = envelope_.needs_smtputf8 || path->mailbox.utf8;
    }
    for (std::size_t i = 0; i < envelope_.recipients.size(); ++i) {
        const auto path = parse_path("<" + envelope_.recipients[i] + ">", false);
        if (!path) {
            RecipientResult& r = report_.recipients[i];
            r.status = Status::Permanent;
            r.stage = Stage::Rcpt;
            r.esc = EnhancedCode{5, 1, 3};
            r.reason = "the recipient address is not valid: " + path.error().detail;
            continue;
        }
        wire_recipients_[i] = path->mailbox.address();
        envelope_.needs_smtputf8 = envelope_.needs_smtputf8 || path->mailbox.utf8;
    }
}

bool Client::anything_to_send() const {
    return std::any_of(report_.recipients.begin(), report_.recipients.end(),
                       [](const RecipientResult& r) { return r.status == Status::Pending; });
}

// ---- driver events ----

Step Client::start() {
    if (state_ != State::Idle) return read();
    if (!anything_to_send()) return close();
    if (config_error_) {
        decide_pending(Status::Temporary, Stage::Ehlo, std::nullopt, kMisconfigured,
                       *config_error_);
        return close();
    }
    state_ = State::Greeting;
    report_.tls = options_.tls_active;
    return process_input();
}

Step Client::on_connect_failed(std::string_view why) {
    if (state_ == State::Done) return close();
    decide_pending(Status::Temporary, Stage::Connect, std::nullopt, kNoAnswer,
                   "could not connect: " + std::string(why));
    return close();
}

Step Client::on_input(std::string_view bytes) {
    if (state_ == State::Done) return close();  // after QUIT nothing matters
    if (state_ == State::Handshake) {
        return protocol_error(
            "the server sent data after its STARTTLS reply, before the TLS "
            "handshake (RFC 3207 4.2: possible injection)");
    }
    input_.append(bytes);
    // The parser re-reads the buffer from the start of the reply, so only call it when a line
    // has been completed or the partial line has reached the limit.
    const std::size_t last_lf = input_.rfind('\n');
    const std::size_t partial =
        last_lf == std::string::npos ? input_.size() : input_.size() - last_lf - 1;
    if (bytes.find('\n') == std::string_view::npos && partial < kMaxReplyLine && awaiting_reply()) {
        return read();
    }
    return process_input();
}

Step Client::process_input() {
    std::string output;  // pipelined replies may each add to what is written
    Step step = read();
    while (awaiting_reply()) {
        // RFC 2034 §3: the greeting and the EHLO/HELO replies carry no enhanced codes.
        const bool enhanced = caps_.enhanced_status_codes && state_ != State::Greeting &&
                              state_ != State::Ehlo && state_ != State::Helo;
        ReplyParse parsed = parse_reply(input_, enhanced);
        if (parsed.status == ReplyParse::Status::NeedMore) break;
        if (parsed.status == ReplyParse::Status::Error) {
            step = protocol_error(parsed.error.detail);
            break;
        }
        input_.erase(0, parsed.consumed);
        step = handle(parsed.reply);
        output += step.output;
    }
    if (state_ != State::Done && input_.size() > kMaxReplyLine * kMaxReplyLines) {
        step = protocol_error("the server sent more than a reply's worth of data unasked");
    }
    step.output = std::move(output);
    return step;
}

Step Client::on_tls_ready() {
    if (state_ != State::Handshake) return state_ == State::Done ? close() : read();
    // RFC 3207 §4.2: everything learnt in plaintext is forgotten; ask again inside TLS.
    options_.tls_active = true;
    report_.tls = true;
    caps_ = ServerCapabilities{};
    input_.clear();
    return send(ehlo_command(options_), State::Ehlo);
}

Step Client::on_tls_failed(std::string_view why) {
    if (state_ == State::Done) return close();
    report_.retry_without_tls = options_.tls == TlsPolicy::Opportunistic;
    decide_pending(Status::Temporary, Stage::StartTls, std::nullopt, kTlsMissing,
                   "the TLS handshake failed: " + std::string(why));
    return close();
}

Step Client::on_timeout() {
    if (state_ == State::Done) return close();
    const Timeout timeout = current_timeout();
    report_.maybe_delivered = state_ == State::EndOfData;
    decide_pending(Status::Temporary, current_stage(), std::nullopt, kConnectionBroken,
                   "timed out after " + std::to_string(duration(timeout).count()) +
                       " seconds waiting for the server (" + std::string(to_string(timeout)) +
                       " timeout)");
    return close();
}

Step Client::on_closed(std::string_view why) {
    if (state_ == State::Done) return close();
    report_.maybe_delivered = state_ == State::EndOfData;
    decide_pending(Status::Temporary, current_stage(), std::nullopt, kConnectionBroken,
                   "the connection was lost: " + std::string(why));
    return close();
}

// ---- replies ----

bool Client::awaiting_reply() const noexcept {
    switch (state_) {
        case State::Idle:
        case State::Handshake:
        case State::Body:
        case State::BetweenTransactions:
        case State::Done:
            return false;
        default:
            return true;
    }
}

Step Client::handle(const RemoteReply& reply) {
    // RFC 5321 §3.8: 421 means the server is closing the channel, whatever was asked.
    if (reply.code == 421) {
        decide_pending(Status::Temporary, current_stage(), reply, reply.esc,
                       "the server is closing the connection (421)");
        return close();
    }
    switch (state_) {
        case State::Greeting:
            return on_greeting(reply);
        case State::Ehlo:
            return on_ehlo(reply);
        case State::Helo:
            return on_helo(reply);
        case State::StartTls:
            return on_starttls(reply);
        case State::AuthPlain:
        case State::AuthLoginStart:
        case State::AuthLoginUser:
        case State::AuthLoginPassword:
            return on_auth(reply);
        case State::Rset:
            return on_rset(reply);
        case State::Transaction:
            return on_transaction(reply);
        case State::EndOfData:
            return on_end_of_data(reply);
        case State::EmptyDot:
            return on_empty_dot(reply);
        default:
            return read();
    }
}

// ---- ending and failing ----

// What the driver should keep doing when a call brings nothing new.
Step Client::read() const {
    switch (state_) {
        case State::Done:
            return Step{{}, Step::Next::Close, Timeout::Command};
        case State::Handshake:
            return Step{{}, Step::Next::StartTls, Timeout::Command};
        case State::Body:
            return Step{{}, Step::Next::SendBody, Timeout::DataBlock};
        case State::BetweenTransactions:
            return Step{{}, Step::Next::TransactionDone, Timeout::Command};
        default:
            return Step{{}, Step::Next::Read, current_timeout()};
    }
}

Step Client::send(std::string command, State next) {
    // A reply that is already here answers a command not yet sent: the server is out of step
    // (or injecting), and nothing it says can be matched to our commands any more.
    if (!input_.empty()) {
        return protocol_error("the server sent a reply before the command it would answer");
    }
    state_ = next;
    return Step{std::move(command), Step::Next::Read, current_timeout()};
}

Step Client::quit() {
    if (state_ != State::BetweenTransactions) return state_ == State::Done ? close() : read();
    return send_quit();
}

Step Client::send_quit() {
    // RFC 5321 §4.1.1.10: QUIT is polite; its reply carries no information, so it is not
    // awaited (a server that never answers must not hold the connection).
    state_ = State::Done;
    return Step{"QUIT\r\n", Step::Next::Close, Timeout::Command};
}

Step Client::close() {
    state_ = State::Done;
    return Step{{}, Step::Next::Close, Timeout::Command};
}

Step Client::protocol_error(std::string why) {
    if (state_ == State::Done) return close();
    report_.maybe_delivered = state_ == State::EndOfData;
    report_.protocol_error = why;
    decide_pending(Status::Temporary, current_stage(), std::nullopt, kProtocolError,
                   "protocol error: " + why);
    input_.clear();
    return close();
}

void Client::decide_pending(Status status, Stage stage, const std::optional<RemoteReply>& reply,
                            EnhancedCode esc, std::string reason) {
    // The DSN Status: class must agree with the outcome (RFC 3464 §2.3.4), even when we
    // overrule the server (a 5xx refusal of STARTTLS still only defers).
    const std::uint8_t cls = status == Status::Delivered ? 2 : status == Status::Temporary ? 4 : 5;
    const EnhancedCode final_esc =
        esc.present() ? EnhancedCode{cls, esc.subject, esc.detail} : EnhancedCode{cls, 0, 0};
    for (RecipientResult& r : report_.recipients) {
        if (r.status != Status::Pending) continue;
        r.status = status;
        r.stage = stage;
        r.reply = reply;
        r.esc = final_esc;
        r.reason = reason;
    }
}

Stage Client::current_stage() const noexcept {
    switch (state_) {
        case State::Idle:
            return Stage::Connect;
        case State::Greeting:
            return Stage::Greeting;
        case State::Ehlo:
        case State::Helo:
            return Stage::Ehlo;
        case State::StartTls:
        case State::Handshake:
            return Stage::StartTls;
        case State::AuthPlain:
        case State::AuthLoginStart:
        case State::AuthLoginUser:
        case State::AuthLoginPassword:
            return Stage::Auth;
        case State::Rset:
        case State::BetweenTransactions:
            return Stage::Mail;
        case State::Transaction:
            if (expected_front_ >= expected_.size()) return Stage::Data;
            switch (expected_[expected_front_].kind) {
                case Expect::Kind::Mail:
                    return Stage::Mail;
                case Expect::Kind::Rcpt:
                    return Stage::Rcpt;
                case Expect::Kind::Data:
                    return Stage::Data;
            }
            return Stage::Data;
        case State::Body:
            return Stage::Data;
        case State::EndOfData:
        case State::EmptyDot:
        case State::Done:
            return Stage::EndOfData;
    }
    return Stage::Connect;
}

Timeout Client::current_timeout() const noexcept {
    switch (state_) {
        case State::Greeting:
            return Timeout::Greeting;
        case State::Transaction:
            if (expected_front_ >= expected_.size()) return Timeout::Command;
            switch (expected_[expected_front_].kind) {
                case Expect::Kind::Mail:
                    return Timeout::Mail;
                case Expect::Kind::Rcpt:
                    return Timeout::Rcpt;
                case Expect::Kind::Data:
                    return Timeout::DataInit;
            }
            return Timeout::Command;
        case State::Body:
            return Timeout::DataBlock;
        case State::EndOfData:
        case State::EmptyDot:
            return Timeout::DataTermination;
        default:
            return Timeout::Command;
    }
}

}  // namespace mw::smtp::client
