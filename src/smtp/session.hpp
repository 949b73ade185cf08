// smtp::Session: the server side of RFC 5321 as a pure state machine. It never touches a socket,
// a clock or a disk: the driver (net/smtp_connection) feeds it bytes, writes the replies it
// returns, performs the effect it asks for and calls resume() with the answer.
// Security: input is buffered only up to one command line (512 octets; 12288 for AUTH, RFC 4954
// §4) beyond what the driver read;
// after STARTTLS the buffered plaintext is discarded (RFC 3207 §4.2, CVE-2011-0411).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sasl/scram.hpp"
#include "smtp/command.hpp"
#include "smtp/reply.hpp"

namespace mw::smtp {

enum class ListenerKind : std::uint8_t { Mx, Submission, Submissions };

struct SessionLimits {
    std::size_t max_recipients = 100;              // 452 4.5.3 beyond
    std::uint64_t max_message_size = 50ull << 20;  // SIZE, 552 5.3.4
    int max_errors = 10;                           // then 421 4.7.0 and close
    std::chrono::seconds command_timeout{300};     // RFC 5321 §4.5.3.2.7 (server: 5 min)
    std::chrono::seconds data_timeout{600};        // waiting for body bytes
};

struct SessionConfig {
    ListenerKind listener = ListenerKind::Mx;
    std::string hostname = "localhost";  // our name in the greeting, EHLO and Received:
    SessionLimits limits;
    bool tls_available = false;           // a certificate is loaded: STARTTLS may be offered
    bool tls_on_connect = false;          // implicit TLS (RFC 8314): secure before the greeting
    bool auth_on_mx = false;              // offer AUTH on the MX listener too (config switch)
    bool plaintext_auth_allowed = false;  // AUTH without TLS (loopback peers, config switch)
    // SCRAM-SHA-256 (RFC 7677) is offered with PLAIN and LOGIN when set. The driver supplies the
    // OpenSSL implementation (auth::OpensslScramCrypto), so the session stays free of OpenSSL;
    // it must be usable from several threads at once (it is shared by all sessions).
    std::shared_ptr<sasl::ScramCrypto> scram_crypto;
};

// What the TLS handshake negotiated (for Received: and logs).
struct TlsInfo {
    std::string version;  // "TLSv1.3"
    std::string cipher;   // "TLS_AES_256_GCM_SHA384"
};

struct PeerInfo {
    std::string ip;  // textual, no brackets
    std::uint16_t port = 0;
};

// What the spool keeps about how a message arrived (for Received: and logs).
struct TransactionFacts {
    std::string helo;
    std::string protocol;  // "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" (RFC 3848)
    std::string peer_ip;
    std::string tls_version;  // "TLSv1.3", empty without TLS
    std::string tls_cipher;   // "TLS_AES_256_GCM_SHA384", empty without TLS
    std::string login;        // the authenticated user, empty without AUTH
};

// ---- effects: the session asks, the driver answers with the matching result ----
struct CheckRecipient {
    Mailbox mailbox;
    std::string login;   // the authenticated user; empty when the session is not authenticated
    std::string sender;  // MAIL FROM address ("" for the null sender): the port-25 detector
};
struct RecipientVerdict {
    // AcceptRelay: not hosted here, accepted for an authenticated user (outbound delivery).
    // DomainNotHosted: not hosted, but its MX points here (set-up forgotten: admin alert).
    // MailboxFull: a local mailbox over its quota (temporary: the sender retries).
    enum class Kind {
        Accept,
        UnknownUser,
        NotLocal,
        TempFail,
        AcceptRelay,
        DomainNotHosted,
        MailboxFull
    } kind = Kind::TempFail;
    std::string canonical;  // the directory's canonical address when accepted
    // An alias with several mailboxes: every one of them gets the message (canonical unused).
    std::vector<std::string> targets;
    // NotLocal on the MX listener: MAIL FROM is in a hosted domain, so this is a mail client on
    // the wrong port (issue #5 part 3); sender_account is that sender's account when it exists.
    bool sender_hosted = false;
    std::string sender_account;
    std::string account;  // MailboxFull: the full account (user notices, decision log)
};

// SMTP AUTH (RFC 4954): check a username and password. The session has already refused
// usernames without '@' and authzid != authcid, so the backend only verifies.
struct VerifyCredentials {
    std::string mechanism;  // "PLAIN", "LOGIN"
    std::string username;
    std::string password;
};

// SCRAM-SHA-256 (RFC 5802 §5, RFC 7677), between the client-first and the server-first
// message: the user's stored credentials. The session has already refused usernames without
// '@' and authzid != authcid. The backend checks the IP ban first, and answers an unknown user
// (or one without SCRAM credentials: imported hash) with deterministic mock credentials, so
// the exchange looks the same and fails at the proof (RFC 5802 §5.1: no user enumeration).
struct LookupScramCredentials {
    std::string username;
};
struct ScramCredentialsVerdict {
    enum class Kind { Ok, TempFail, Banned } kind = Kind::TempFail;
    sasl::ScramCredentials credentials;  // real or mock: the session cannot tell, by design
    std::string login;                   // canonical address; empty with mock credentials
    // Why a failed proof failed, for the backend's log line ("wrong_password", "unknown_user",
    // "scram_no_credentials"); the session hands it back in ScramProofChecked untouched.
    std::string failure_cause;
    std::string banned_until;  // human time when Banned
};
// The session verified (or refused) the client proof: the backend counts it like a PLAIN
// attempt (FailureTracker: failure per IP and account, or success) and answers AuthVerdict.
struct ScramProofChecked {
    std::string username;
    std::string login;  // from ScramCredentialsVerdict
    bool proof_ok = false;
    std::string failure_cause;  // from ScramCredentialsVerdict
};
struct AuthVerdict {
    enum class Kind { Ok, BadCredentials, TempFail, Banned } kind = Kind::TempFail;
    std::string login;         // canonical address when Ok
    std::string banned_until;  // human time when Banned ("2026-11-24 15:30 UTC")
    // On failure: the existing account whose password was wrong ("" for an unknown user), and
    // the finer cause for the decision log ("wrong_password", "unknown_user", ...). The reply
    // text is the same either way (no account enumeration).
    std::string account;
    std::string cause;
};

// MAIL FROM of an authenticated session: may this login use this sender address?
struct CheckSender {
    std::string login;
    Mailbox mailbox;
    bool null_sender = false;
};
struct SenderVerdict {
    bool ok = false;
    std::string allowed;  // what the login may use, for the refusal text
    // Set instead when the login reached its hourly sending limit (451 4.7.1, issue #5).
    struct RateLimit {
        std::size_t count = 0, limit = 0;
        std::string until;  // human time when the next message is allowed
    };
    std::optional<RateLimit> rate_limited;
};

struct CommitMessage {
    std::string reverse_path;             // "" for the null sender
    std::vector<std::string> recipients;  // canonical addresses, in RCPT order, no duplicates
    MailParams params;
    TransactionFacts facts;
    std::string data;  // the message exactly as received (unstuffed), CRLF line ends
};
struct CommitVerdict {
    bool ok = false;
    std::string queue_id;  // set when ok
    // Why it failed (when !ok): 452 4.3.1 for storage, 451 4.3.0 for anything else.
    enum class Failure { InsufficientStorage, LocalError } failure = Failure::InsufficientStorage;
};

using Effect = std::variant<CheckRecipient, CommitMessage, VerifyCredentials, CheckSender,
                            LookupScramCredentials, ScramProofChecked>;
using EffectResult = std::variant<RecipientVerdict, CommitVerdict, AuthVerdict, SenderVerdict,
                                  ScramCredentialsVerdict>;

// What to do after on_input/resume/greet/on_timeout. When `effect` is set, the session has
// stopped in the middle of the input; perform the effect and call resume() (which continues
// with the rest of the buffered input, RFC 2920 pipelining).
struct Step {
    std::vector<Reply> replies;    // write these in order
    std::optional<Effect> effect;  // perform, then call resume()
    enum class Io { None, StartTls, Close } io = Io::None;
};

enum class State { Greeting, Command, Data, Bdat, Closed };

class Session {
public:
    Session(SessionConfig config, PeerInfo peer);
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    Step greet();
    // Raw bytes from the client. Processes as much as possible; stops at an effect.
    // Must not be called while an effect is pending.
    Step on_input(std::string_view bytes);
    Step resume(const EffectResult& result);
    // After the TLS handshake that Step::Io::StartTls asked for (RFC 3207 §4.2: all state is
    // forgotten; the client starts again with EHLO), or right after greet() on an implicit-TLS
    // port to record what was negotiated.
    Step on_tls_ready(const TlsInfo& tls);
    Step on_timeout();

    bool effect_pending() const noexcept;
    // The authenticated user ("" before AUTH), for the decision log of refusals.
    const std::string& login() const noexcept;
    State state() const noexcept;
    // How long the driver may wait for the next bytes in the current state.
    std::chrono::seconds read_timeout() const noexcept;
    // Bytes held in the input buffer (tests check it stays bounded).
    std::size_t buffered_bytes() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mw::smtp
