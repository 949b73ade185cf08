// What `mailwarden diagnose` concludes from the probes: per knowledge-base cause a verdict (ok,
// problem, not checked), what was seen and the fix in plain words, and the client settings that
// work. PURE: PortReports in, text out; unit tests feed it recorded server replies.
// Servers are read by reply code and RFC 3463 enhanced status code, never by their wording, so
// the verdicts hold for any SMTP server: 535 / 5.7.8 wrong credentials, 530 / 5.7.0 login
// required, 538 / 5.7.11 encryption required, 421 / 4.7.x blocked, 5.7.1 relay or sender
// refused (told apart by the command: MAIL is the sender, RCPT the relay), 5.1.x / 5.7.27 a
// recipient refused for its own sake. A `ref=TOKEN` in a reply is shown for support.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnose/probe.hpp"

namespace mw::diagnose {

enum class Cause : std::uint8_t {
    WrongPort,
    NoTls,
    Certificate,
    AuthOff,
    ShortUsername,
    WrongPassword,
    SenderNotOwned,
    BlockedIp,
    RelayRefused,
};
std::string_view to_string(Cause cause);  // "wrong port", "no TLS", ...

enum class Verdict : std::uint8_t { Ok, Problem, NotChecked };
std::string_view to_string(Verdict verdict);  // "ok", "problem", "not checked"

struct CauseVerdict {
    Cause cause;
    Verdict verdict = Verdict::NotChecked;
    std::string seen;  // what the probes showed (codes, ports), one or more sentences
    std::string fix;   // plain words for the user; empty when there is nothing to do
};

struct WorkingSetting {
    std::string server;
    std::uint16_t port = 0;
    PortRole role = PortRole::ImplicitTls;
    std::string mechanism;  // "PLAIN" / "LOGIN"
    std::string username;
};

// Everything the CLI learnt; ports in the order they were probed.
struct Findings {
    std::string host;
    std::vector<std::string> addresses;  // what HOST resolved to
    std::string resolve_error;           // when it did not resolve
    std::string username;
    std::string mail_from;
    std::string rcpt_to;
    std::optional<std::uint16_t> current_port;  // the port the user's client uses now
    std::vector<PortReport> ports;
};

// Exit codes of `mailwarden diagnose` (docs/diagnose.md); 1 stays the CLI's usage error.
inline constexpr int kExitWorking = 0;      // a working setting was found
inline constexpr int kExitUnreachable = 2;  // HOST did not resolve, or no port answered
inline constexpr int kExitNoSetting = 3;    // the server answered, but nothing worked

struct Diagnosis {
    std::vector<CauseVerdict> verdicts;  // one per Cause, in enum order
    std::optional<WorkingSetting> working;
    int exit_code = kExitNoSetting;

    const CauseVerdict& verdict(Cause cause) const;
};

Diagnosis diagnose(const Findings& findings);

// The `ref=TOKEN` a server put in its reply (mailwarden's support reference), or "".
std::string reference_token(const RemoteReply& reply);

// The human report: addresses, one block per port, the verdicts, the working settings.
// With `transcript`, each port's dialogue (password hidden) follows its block.
std::string render(const Findings& findings, const Diagnosis& diagnosis, bool transcript);

}  // namespace mw::diagnose
