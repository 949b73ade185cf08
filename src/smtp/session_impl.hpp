// Private state of smtp::Session, shared by the session*.cpp files (one per command group).
// Not part of the public API: only session*.cpp include it.
// Security: `buffer` holds at most the bytes of the current on_input() call plus one partial
// command line (< 512 octets); body bytes go straight into the decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/capabilities.hpp"
#include "smtp/data_decoder.hpp"
#include "smtp/session.hpp"

namespace mw::smtp {

// Everything between MAIL FROM and the end of the message (RFC 5321 §3.3). RSET, HELO/EHLO and
// the end of data reset it by resetting the optional that holds it.
struct Transaction {
    Path reverse_path;
    MailParams params;
    std::vector<std::string> recipients;  // canonical addresses, no duplicates
    enum class Body { None, Data, Bdat } body = Body::None;
    std::optional<ChunkChecker> chunks;  // RFC 3030: checks span all chunks of the message
    std::uint64_t chunk_count = 0;
    std::string data;
};

// Flags of the command table; the dispatcher applies them so handlers need not repeat them.
enum CommandFlag : unsigned {
    kNeedsHelo = 1u << 0,          // 503 before EHLO/HELO (RFC 5321 §4.1.4)
    kNeedsTransaction = 1u << 1,   // 503 before MAIL FROM (RFC 5321 §3.3)
    kResetsTransaction = 1u << 2,  // RSET, HELO, EHLO (RFC 5321 §4.1.1.1, §4.1.1.5)
    kHasChunk = 1u << 3,           // BDAT: its octets follow the line and are consumed even when
                                   // the command is refused (RFC 3030 §2)
};

struct CommandSpec {
    std::string_view name;
    unsigned flags;
};
const CommandSpec& command_spec(const Command& command);

struct Session::Impl {
    Impl(SessionConfig c, PeerInfo p) : config(std::move(c)), peer(std::move(p)) {}

    SessionConfig config;
    PeerInfo peer;
    State state = State::Greeting;
    std::string buffer;  // unprocessed input starts at `head`
    std::size_t head = 0;
    bool discarding = false;  // inside an over-long command line: drop bytes up to LF
    std::optional<std::string> helo;
    bool extended = false;
    std::optional<Transaction> txn;
    std::optional<DataDecoder> decoder;  // State::Data
    // State::Bdat: the chunk being consumed
    std::uint64_t chunk_size = 0;
    std::uint64_t chunk_remaining = 0;
    bool chunk_last = false;
    std::optional<Reply> chunk_refusal;  // the chunk is consumed but refused with this reply
    enum class Pending {
        None,
        Recipient,
        Commit,
        Auth,
        Sender,
        ScramLookup
    } pending = Pending::None;
    std::string pending_rcpt;              // the address as the client wrote it
    std::optional<MailFrom> pending_mail;  // MAIL FROM waiting for the sender check
    // TLS (RFC 3207) and AUTH (RFC 4954) state; STARTTLS resets everything but tls itself.
    std::optional<TlsInfo> tls;
    bool awaiting_tls = false;         // STARTTLS answered: input is ignored until on_tls_ready
    std::optional<std::string> login;  // the authenticated user
    enum class AuthStep {
        None,
        PlainResponse,
        LoginUsername,
        LoginPassword,
        ScramClientFirst,  // SCRAM: "AUTH SCRAM-SHA-256" without an initial response
        ScramClientFinal,  // server-first sent, waiting for client-final
        ScramFinalAck,     // server-final sent as a 334 challenge, waiting for the empty response
    };
    AuthStep auth_step = AuthStep::None;
    std::string auth_username;  // LOGIN: the username while the password is asked for
    std::string auth_subject;   // the username being verified, for the refusal's decision log
    // Port-25 detector (issue #5 part 3): the client tried AUTH on the MX listener, so it is a
    // mail client on the wrong port, and its relay refusals say so.
    bool mail_client_seen = false;
    // A SCRAM-SHA-256 exchange in progress (RFC 5802 §5); reset when it ends either way.
    struct ScramExchange {
        explicit ScramExchange(sasl::ScramCrypto& crypto) : server(crypto) {}
        sasl::ScramServer server;
        std::string login;           // canonical address from the lookup (empty: mock)
        std::string failure_cause;   // from the lookup, for the backend's log
        std::string server_final;    // "v=...", sent once the backend counted the success
        std::string verified_login;  // set when the proof verified and the backend agreed
    };
    std::optional<ScramExchange> scram;
    int errors = 0;
    std::string command;  // verb of the command being answered; copied into each reply for logs
    Step step;            // the step being built; take_step() hands it out

    // session.cpp: input loop, dispatcher, reply bookkeeping
    Step take_step();
    void pump();
    bool process_command_line();
    void dispatch(std::string_view line);
    void refuse_parse(std::string_view line, const ParseError& error);
    void emit(Reply reply);
    void refuse_relay(const RecipientVerdict& verdict);
    void close(Reply reply);
    std::string host() const { return config.hostname; }

    // one handler per command, in the file of its group
    void handle(const Helo& cmd);      // session_hello.cpp
    void handle(const MailFrom& cmd);  // session_mail.cpp
    void handle(const RcptTo& cmd);
    void resume_recipient(const RecipientVerdict& verdict);
    void handle(const Data& cmd);  // session_data.cpp
    void handle(const Bdat& cmd);
    void start_chunk(const Bdat& cmd, std::optional<Reply> refusal);
    bool process_data();
    bool process_chunk();
    void end_chunk();
    void finish_message(std::optional<BodyError> error);
    void resume_commit(const CommitVerdict& verdict);
    void handle(const Rset& cmd);  // session_misc.cpp
    void handle(const Noop& cmd);
    void handle(const Quit& cmd);
    void handle(const StartTls& cmd);  // session_tls.cpp
    void on_tls_ready(const TlsInfo& info);
    void handle(const Auth& cmd);  // session_auth.cpp
    bool auth_offered() const;
    void auth_response(std::string_view line);
    void finish_auth(std::string mechanism, std::string username, std::string password,
                     std::string authzid);
    void resume_auth(const AuthVerdict& verdict);
    void start_scram(const Auth& cmd);
    void scram_response(AuthStep at, std::string_view line);
    void scram_client_first(const std::string& message);
    void resume_scram_lookup(const ScramCredentialsVerdict& verdict);
    void scram_client_final(const std::string& message);
    void start_transaction(const MailFrom& cmd);  // session_mail.cpp
    void resume_sender(const SenderVerdict& verdict);
    std::string protocol_name(bool smtputf8) const;
    void handle(const Vrfy& cmd);
    void handle(const Expn& cmd);
    void handle(const Help& cmd);
};

}  // namespace mw::smtp
