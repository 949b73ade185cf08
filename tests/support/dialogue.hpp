// Dialogue harness: drives smtp::Session in-process, with FakeServices answering its effects.
// Used two ways: scripted (.dlg files in tests/dialogues/, run by dialogue_test.cpp) and
// programmatic (Dialogue d; d.client("EHLO x").expect_final(250); in session_test.cpp).
//
// .dlg script format (line oriented, so the e2e runner can replay the same files over TCP):
//
//   # text            comment; blank lines are ignored
//   @key value...     fixture, only before the first C/S line:
//                       @listener mx|submission|submissions     (default mx)
//                       @hostname NAME        our name (default mx.example.test)
//                       @peer IP              the client's address (default 192.0.2.10)
//                       @domain DOMAIN        a local domain: unknown users there get 550 5.1.1
//                       @user ADDR [CANON]    a known user (its domain becomes local too);
//                                             RCPT answers with CANON (default ADDR)
//                       @tempfail ADDR        checking ADDR fails temporarily (451 4.3.0)
//                       @max-recipients N / @max-size N / @max-errors N   session limits
//                       @commit-fails [storage|local]   the spool refuses every message
//                       @tls available        a certificate is loaded (STARTTLS offered)
//                       @tls active           implicit TLS (RFC 8314, port 465): secure from the
//                       start
//                       @auth-on-mx           AUTH is offered on the MX listener too
//                       @plaintext-auth       AUTH allowed without TLS (loopback switch)
//                       @password ADDR PW     ADDR logs in with PW (and is a known user)
//                       @owns LOGIN ADDR      LOGIN may use ADDR as MAIL FROM (send-as)
//                       @auth-tempfail        every password check fails temporarily (454)
//                       @banned UNTIL...      every password check: the IP is banned until UNTIL
//                       @imported ADDR PW     ADDR logs in with PW through PLAIN/LOGIN, but has
//                                             no SCRAM credentials (password imported as a hash)
//                       @scram-nonce NONCE    the SCRAM server nonce (random over TCP), so the
//                                             script can hold the client-final message; SCRAM
//                                             salts are the user's address, 4096 iterations
//   C: text           the client sends text + CRLF
//   C~ text           the client sends text exactly, with escapes: \r \n \t \0 \\ \xHH
//                     (no CRLF is added; use it for smuggling tests and BDAT chunks)
//                     In C: and C~ lines {N*c} stands for N copies of the character c.
//   S: pattern        the next reply line must match; a trailing * matches any rest
//   S... pattern      skip continuation lines ("250-...") up to the final line, match it
//   R: reason         the reply of the last matched line has this reason key (in-process only;
//                     a TCP runner skips R: lines)
//   !timeout          the read deadline expires (the driver calls on_timeout())
//   !closed           the server has closed the connection
//   !tls              the TLS handshake that STARTTLS asked for completed (on_tls_ready)
//
// Consecutive C lines are sent as one write (that is how pipelining, RFC 2920, is tested).
// The greeting is read like any other reply: scripts start with "S: 220 *".
// At the end of a script every reply line must have been matched.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "auth/scram_crypto.hpp"
#include "smtp/session.hpp"

namespace mw::test {

// The real OpenSSL SCRAM primitives; only the server nonce is fixed, like an injected clock:
// a scripted client-final message depends on it (@scram-nonce), and the runner compares the
// transcripts of every feed mode, so even scripts that never use it need a deterministic one.
class ScriptScramCrypto final : public auth::OpensslScramCrypto {
public:
    std::string fixed_nonce = "InProcessServerNonce0123";  // empty: random, as in production
    std::string random_nonce() override {
        return fixed_nonce.empty() ? OpensslScramCrypto::random_nonce() : fixed_nonce;
    }
};
// The key of the fake's mock SCRAM credentials (the server keeps one in the directory).
inline constexpr std::string_view kScriptScramSecret = "dialogue-scram-secret";

struct Fixture {
    smtp::SessionConfig config = default_config();
    smtp::PeerInfo peer{"192.0.2.10", 40000};
    std::map<std::string, std::string> users;            // lower-cased address -> canonical address
    std::set<std::string> domains;                       // lower-cased local domains
    std::set<std::string> tempfail;                      // lower-cased addresses
    std::set<std::string> full;                          // @mailbox-full: over their quota
    std::optional<smtp::SenderVerdict::RateLimit> rate_limit;  // @rate-limited COUNT LIMIT UNTIL
    std::map<std::string, std::string> passwords;        // lower-cased address -> password
    std::set<std::string> imported;                      // lower-cased: no SCRAM credentials
    std::set<std::pair<std::string, std::string>> owns;  // (login, address), lower-cased
    std::optional<smtp::AuthVerdict> auth_override;      // every AUTH gets this verdict
    std::optional<smtp::CommitVerdict::Failure> commit_failure;

    static smtp::SessionConfig default_config();
    // Applies one "@key value" line (without the @). Returns an error text, or "" when applied.
    std::string apply(std::string_view line);
};

// Answers the session's effects from the fixture, like the directory and the spool would.
class FakeServices {
public:
    explicit FakeServices(const Fixture& fixture) : fixture_(&fixture) {}
    smtp::EffectResult answer(const smtp::Effect& effect);
    const std::vector<smtp::CommitMessage>& commits() const { return commits_; }
    std::size_t recipient_checks() const { return recipient_checks_; }
    // The failure causes the session handed back in ScramProofChecked, in order.
    const std::vector<std::string>& scram_failures() const { return scram_failures_; }

private:
    const Fixture* fixture_;
    auth::OpensslScramCrypto crypto_;
    std::vector<std::string> scram_failures_;
    std::vector<smtp::CommitMessage> commits_;
    std::size_t recipient_checks_ = 0;
};

// A session plus fake services plus the queue of replies not yet checked.
class Dialogue {
public:
    explicit Dialogue(Fixture fixture = {});

    Dialogue& client(std::string_view line);  // line + CRLF
    Dialogue& raw(std::string_view bytes);    // exactly these bytes, in one on_input()
    Dialogue& timeout();
    // Pop the next reply and check it (GoogleTest failures say "got X, want Y").
    Dialogue& expect(std::uint16_t code, smtp::EnhancedCode esc, std::string_view reason);
    Dialogue& expect_final(std::uint16_t code);  // any reply with this code
    Dialogue& expect_nothing();                  // no unchecked reply is left

    bool closed() const { return closed_; }
    smtp::Session& session() { return session_; }
    const FakeServices& services() const { return services_; }
    std::deque<smtp::Reply>& pending_replies() { return replies_; }

    // Feed bytes and resolve every effect; used by the script runner with split input.
    void feed(std::string_view bytes);
    void absorb(smtp::Step step);

private:
    std::unique_ptr<Fixture> fixture_;  // stable address for services_
    FakeServices services_;
    smtp::Session session_;
    std::deque<smtp::Reply> replies_;
    bool closed_ = false;
};

// ---- scripts ----
enum class Feed { Whole, ByteByByte, OddChunks };

struct ScriptResult {
    std::vector<std::string> failures;  // "line 12: got X, want Y"
    std::string transcript;             // every reply as rendered, for comparing feed modes
};

// Expand \r \n \t \0 \\ \xHH and {N*c} (see the format above).
std::string unescape(std::string_view text);
std::string expand_repeats(std::string_view text);
ScriptResult run_script(std::string_view script, Feed feed);

}  // namespace mw::test
