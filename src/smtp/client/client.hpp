// smtp::client::Client: the sending side of one SMTP transaction (RFC 5321) as a pure state
// machine, the mirror of smtp::Session. It never touches a socket, a clock or a disk: the driver
// connects, feeds it the server's bytes, writes what it returns, performs the TLS handshake or
// streams the body when asked, and applies the RFC 5321 §4.5.3.2 timeout it names.
// Implements: RFC 5321 (EHLO, HELO fallback, MAIL, RCPT, DATA, QUIT), RFC 3207 STARTTLS,
// RFC 2920 PIPELINING, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 4954 AUTH
// (PLAIN, LOGIN), RFC 2034 / RFC 3463 enhanced status codes.
// Security: the server is untrusted. Replies are bounded (reply_parser.hpp); a reply that
// arrives before the command it would answer is a protocol error, which also defeats STARTTLS
// response injection (RFC 3207 §4.2: nothing read in plaintext survives the handshake); the
// password is never sent without TLS unless the route explicitly allows it; every address is
// checked with the server's own path parser before it goes on the wire, so no CR/LF injection.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/client/reply_parser.hpp"
#include "smtp/client/server_capabilities.hpp"

namespace mw::smtp::client {

// RFC 3207 §4: None never sends STARTTLS; Opportunistic uses it when offered and continues in
// plaintext when it is not; Required fails the attempt (temporarily) rather than send in clear.
enum class TlsPolicy : std::uint8_t { None, Opportunistic, Required };

// AUTH for a relay host (RFC 4954). PLAIN (RFC 4616) is preferred, LOGIN is the fallback.
struct Credentials {
    std::string username;
    std::string password;
    // Send the password over a connection without TLS. Only for a relay on loopback or a
    // private link; off by default.
    bool allow_without_tls = false;
};

struct Options {
    std::string ehlo_name = "localhost";  // our host name for EHLO/HELO
    TlsPolicy tls = TlsPolicy::Opportunistic;
    bool tls_active = false;  // implicit TLS (RFC 8314): the handshake happened before start()
    std::optional<Credentials> auth;
    // Keep the connection after a transaction (RFC 5321 §3.3 allows several per session): the
    // step is TransactionDone instead of QUIT, and the driver calls next_transaction() or quit().
    bool reuse_connection = false;
};

struct Envelope {
    std::string reverse_path;             // without angle brackets; "" is the null sender
    std::vector<std::string> recipients;  // without angle brackets
    std::uint64_t message_size = 0;       // octets of the message, for SIZE (RFC 1870)
    bool needs_8bitmime = false;          // the body has octets above 127 (RFC 6152)
    bool needs_smtputf8 = false;          // a non-ASCII address or header (RFC 6531); also set
                                          // by the client itself for non-ASCII addresses
};

// The step of the dialogue at which a recipient's fate was decided (for logs and the DSN).
enum class Stage : std::uint8_t {
    Connect,    // TCP connection (reported by the driver through on_connect_failed)
    Greeting,   // the 220 banner
    Ehlo,       // EHLO / HELO
    StartTls,   // STARTTLS and the TLS handshake
    Auth,       // AUTH
    Mail,       // MAIL FROM, or a check made before it (SIZE, SMTPUTF8, sender syntax)
    Rcpt,       // RCPT TO
    Data,       // the DATA command (354 expected)
    EndOfData,  // the reply after the final "."
};
std::string_view to_string(Stage stage);

enum class Status : std::uint8_t {
    Pending,    // not decided yet (only while the transaction runs)
    Delivered,  // the server took responsibility (2xx after the final ".")
    Temporary,  // try again later (4xx, no answer, protocol error, local policy that may change)
    Permanent,  // bounce (5xx, or a check that cannot succeed with this server)
};
std::string_view to_string(Status status);

struct RecipientResult {
    std::string address;
    Status status = Status::Pending;
    Stage stage = Stage::Connect;
    // What the server answered at `stage`; absent when the decision was ours (SIZE too big,
    // SMTPUTF8 missing, timeout, protocol error, ...).
    std::optional<RemoteReply> reply;
    // RFC 3463 status for the DSN Status: field: the server's enhanced code when it gave one,
    // else X.0.0 of the reply class, or the code that names our own decision.
    EnhancedCode esc;
    std::string reason;  // our words: what happened, for the log line and the DSN text
};

// The RFC 5321 §4.5.3.2 timeout that applies to the current wait. Command covers what the RFC
// does not name (EHLO, HELO, STARTTLS, AUTH, the TLS handshake): 5 minutes like MAIL.
enum class Timeout : std::uint8_t {
    Greeting,         // §4.5.3.2.1 initial 220: 5 min
    Mail,             // §4.5.3.2.2 MAIL: 5 min
    Rcpt,             // §4.5.3.2.3 RCPT: 5 min
    DataInit,         // §4.5.3.2.4 DATA initiation (354): 2 min
    DataBlock,        // §4.5.3.2.5 each write of the body: 3 min
    DataTermination,  // §4.5.3.2.6 reply to the final ".": 10 min
    Command,          // other commands: 5 min
};
std::chrono::seconds duration(Timeout timeout);
std::string_view to_string(Timeout timeout);

struct Step {
    std::string output;  // write these octets first (commands; never the body)
    enum class Next : std::uint8_t {
        Read,      // read server bytes, call on_input(); on_timeout() after `timeout`
        StartTls,  // do the TLS handshake, then on_tls_ready() or on_tls_failed()
        SendBody,  // stream the message through a DotStuffer (ends with ".\r\n"), applying
                   // `timeout` (DataBlock) to each write, then call on_body_sent()
        Close,     // close the connection; result() is final
        // Only with Options::reuse_connection: result() is final for this transaction; call
        // next_transaction() or quit(). Nothing is read meanwhile.
        TransactionDone,
    } next = Next::Read;
    Timeout timeout = Timeout::Command;
};

// The outcome of the attempt, with enough for one log line per recipient and an RFC 3464 DSN.
// With several transactions on one connection, recipients and the error fields describe the
// current transaction; tls, authenticated, esmtp and notes describe the connection so far.
struct Report {
    std::vector<RecipientResult> recipients;  // in envelope order
    bool tls = false;                         // TLS was active (implicit, or after STARTTLS)
    bool authenticated = false;               // AUTH succeeded
    bool esmtp = false;  // the server answered EHLO (false after the HELO fallback)
    std::optional<std::string> protocol_error;  // the server broke the protocol (our words)
    // The TLS handshake failed under the Opportunistic policy: the driver may retry the same
    // host on a new connection with TlsPolicy::None (the usual MTA practice; RFC 7435 §1.2).
    bool retry_without_tls = false;
    // The connection ended after the final "." was sent but before its reply: the server may
    // have delivered the message, so a retry can duplicate it (RFC 1047).
    bool maybe_delivered = false;
    std::vector<std::string> notes;  // decisions worth a log line (e.g. 8-bit without 8BITMIME)
};

class Client {
public:
    Client(Options options, Envelope envelope);

    // Call once the connection is up (after the handshake for implicit TLS): wait for the
    // greeting. If no recipient is valid there is nothing to do and the step is Close.
    Step start();
    // Server bytes, in any pieces. Processes every complete reply.
    Step on_input(std::string_view bytes);
    Step on_tls_ready();
    Step on_tls_failed(std::string_view why);
    Step on_body_sent();
    // The wait named by the last step's timeout expired.
    Step on_timeout();
    // The server closed the connection or an I/O error happened.
    Step on_closed(std::string_view why);
    // The TCP connection (or implicit-TLS handshake) could not be made; instead of start().
    Step on_connect_failed(std::string_view why);
    // After Next::TransactionDone: send another envelope on this connection (RSET first when
    // the last transaction did not end cleanly), or end the session with QUIT.
    Step next_transaction(Envelope envelope);
    Step quit();

    bool done() const noexcept { return state_ == State::Done; }
    const Report& result() const noexcept { return report_; }
    // The capabilities of the last EHLO (after STARTTLS, the ones sent inside TLS).
    const ServerCapabilities& capabilities() const noexcept { return caps_; }
    // The timeout that applies to what the client is waiting for now.
    Timeout current_timeout() const noexcept;
    // Unparsed server bytes held (tests check it stays bounded).
    std::size_t buffered_bytes() const noexcept { return input_.size(); }

private:
    enum class State : std::uint8_t {
        Idle,
        Greeting,
        Ehlo,
        Helo,
        StartTls,
        Handshake,
        AuthPlain,
        AuthLoginStart,
        AuthLoginUser,
        AuthLoginPassword,
        Rset,
        Transaction,
        Body,
        EndOfData,
        EmptyDot,
        BetweenTransactions,
        Done,
    };
    // A reply the transaction phase is waiting for, in the order the commands were sent.
    struct Expect {
        enum class Kind : std::uint8_t { Mail, Rcpt, Data } kind;
        std::size_t recipient = 0;  // index into report_.recipients (Rcpt)
    };

    Step handle(const RemoteReply& reply);
    Step on_greeting(const RemoteReply& reply);
    Step on_ehlo(const RemoteReply& reply);
    Step on_helo(const RemoteReply& reply);
    Step after_hello();
    Step on_starttls(const RemoteReply& reply);
    Step begin_auth();
    Step on_auth(const RemoteReply& reply);
    void load_envelope(Envelope envelope);
    bool anything_to_send() const;
    Step begin_envelope();
    Step on_rset(const RemoteReply& reply);
    Step end_transaction(bool needs_rset);
    Step begin_transaction();
    Step on_transaction(const RemoteReply& reply);
    Step after_transaction_reply();
    Step on_end_of_data(const RemoteReply& reply);
    Step on_empty_dot(const RemoteReply& reply);

    Step send(std::string command, State next);
    Step send_quit();
    Step close();
    Step read() const;
    Step protocol_error(std::string why);
    Step process_input();
    bool awaiting_reply() const noexcept;
    void decide_pending(Status status, Stage stage, const std::optional<RemoteReply>& reply,
                        EnhancedCode esc, std::string reason);
    void decide_from_reply(RecipientResult& rcpt, Stage stage, const RemoteReply& reply,
                           std::string reason);
    Stage current_stage() const noexcept;
    bool any_accepted() const;
    std::string mail_command() const;

    Options options_;
    Envelope envelope_;
    std::string wire_sender_;                   // the reverse path as it goes on the wire
    std::vector<std::string> wire_recipients_;  // per recipient; empty when the syntax is bad
    std::optional<std::string> config_error_;   // Options that cannot work (bad EHLO name)
    std::vector<bool> accepted_;                // RCPT got 2xx (per recipient index)
    State state_ = State::Idle;
    ServerCapabilities caps_;
    Report report_;
    std::string input_;
    std::vector<Expect> expected_;  // transaction replies still to come, front first
    std::size_t expected_front_ = 0;
    std::size_t next_command_ = 0;  // non-pipelined: index of the next command to send
    bool mail_accepted_ = false;
    bool tried_login_ = false;
    bool starttls_refused_ = false;
    bool needs_rset_ = false;  // the last transaction may have left state on the server
};

}  // namespace mw::smtp::client
