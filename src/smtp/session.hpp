// smtp::Session: the server side of RFC 5321 as a pure state machine. It never touches a socket,
// a clock or a disk: the driver (net/smtp_connection) feeds it bytes, writes the replies it
// returns, performs the effect it asks for and calls resume() with the answer.
// Security: input is buffered only up to one command line (512 octets) beyond what the driver read;
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
};

struct PeerInfo {
    std::string ip;  // textual, no brackets
    std::uint16_t port = 0;
};

// What the spool keeps about how a message arrived (for Received: and logs).
struct TransactionFacts {
    std::string helo;
    std::string protocol;  // "SMTP", "ESMTP" (later "ESMTPS", "ESMTPSA"; RFC 3848)
    std::string peer_ip;
};

// ---- effects: the session asks, the driver answers with the matching result ----
struct CheckRecipient {
    Mailbox mailbox;
};
struct RecipientVerdict {
    enum class Kind { Accept, UnknownUser, NotLocal, TempFail } kind = Kind::TempFail;
    std::string canonical;  // the directory's canonical address when accepted
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

using Effect = std::variant<CheckRecipient, CommitMessage>;
using EffectResult = std::variant<RecipientVerdict, CommitVerdict>;

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
    Step on_timeout();

    bool effect_pending() const noexcept;
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
