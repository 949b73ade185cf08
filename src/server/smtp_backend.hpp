// Performs smtp::Session effects against the real services: RCPT checks against the directory
// (on the blocking pool), message commits against the durable spool (group commit).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "auth/failure_tracker.hpp"
#include "auth/scram_crypto.hpp"
#include "decision/decision_log.hpp"
#include "delivery/mx_resolver.hpp"
#include "directory/directory.hpp"
#include "net/smtp_connection.hpp"
#include "policy/send_rate.hpp"
#include "spool/spool.hpp"

namespace mw::server {

// Issue #5: where refusals are recorded, and the per-user limits behind two of their causes.
struct RefusalServices {
    decision::DecisionLog* log = nullptr;  // null: tokens are still given, nothing is written
    // A refusal attributed to a hosted account (Decision::account set): the user notices hook.
    // Called on the I/O thread: must not block.
    std::function<void(const decision::Decision&)> on_attributed;
    std::size_t max_messages_per_hour = 0;  // 0: no limit
    std::uint64_t mailbox_quota = 0;        // bytes; 0: no limit
    std::filesystem::path mail_root;        // where the Maildirs are (mailbox.quota)
    // The port-25 detector's admin alert: mail from a server for a domain whose MX is this
    // host (server.hostname) but which is not set up gets 451 4.3.5, not a relay refusal.
    // Null (a relay host is configured, so no MX lookups): the check is off.
    delivery::MxResolver* resolver = nullptr;
    std::string hostname;
};

class SmtpBackendImpl final : public net::SmtpBackend {
public:
    // trusted_networks: relay.trusted_networks, parsed (clients there relay without AUTH).
    // blocking: directory lookups (RCPT, MAIL, SCRAM). password_checks: argon2id/crypt
    // verification only, a pool of its own so a burst of logins (each ~100 ms of CPU and 64 MiB)
    // can never queue the RCPT checks of incoming mail behind it (bench/RESULTS.md measured MX
    // RCPT latency going from 2 ms to seconds on a shared pool).
    SmtpBackendImpl(directory::Directory& directory, spool::Spool& spool,
                    boost::asio::thread_pool& blocking, boost::asio::thread_pool& password_checks,
                    auth::FailureTracker& failures, std::vector<auth::Cidr> trusted_networks = {},
                    RefusalServices refusals = {})
        : directory_(directory),
          spool_(spool),
          blocking_(blocking),
          password_checks_(password_checks),
          failures_(failures),
          trusted_networks_(std::move(trusted_networks)),
          refusals_(std::move(refusals)),
          send_rate_(refusals_.max_messages_per_hour) {}

    boost::asio::awaitable<smtp::EffectResult> perform(smtp::Effect effect,
                                                       const net::ConnectionInfo& info) override;
    void record_refusal(smtp::Reply& reply, const net::ConnectionInfo& info,
                        const net::SessionFacts& facts) override;

private:
    boost::asio::awaitable<smtp::EffectResult> check_recipient(smtp::CheckRecipient check,
                                                               const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> verify_credentials(smtp::VerifyCredentials request,
                                                                  const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> lookup_scram(smtp::LookupScramCredentials request,
                                                            const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> scram_proof_checked(smtp::ScramProofChecked result,
                                                                   const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> check_sender(smtp::CheckSender request,
                                                            const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> commit(smtp::CommitMessage message,
                                                      const net::ConnectionInfo& info);
    // Blocking (directory, Maildir sizes): the port-25 detector and mailbox.quota.
    void refine_recipient_verdict(const smtp::CheckRecipient& check,
                                  smtp::RecipientVerdict& verdict);
    // An unauthenticated relay refusal on MX for a domain whose MX points at this host
    // (server.hostname)? Cached (10 min; 1 min when DNS failed); waits at most 3 s, on a timer.
    boost::asio::awaitable<bool> forgotten_domain(const smtp::CheckRecipient& check,
                                                  const net::ConnectionInfo& info,
                                                  const smtp::RecipientVerdict& verdict);

    directory::Directory& directory_;
    spool::Spool& spool_;
    boost::asio::thread_pool& blocking_;
    boost::asio::thread_pool& password_checks_;
    auth::FailureTracker& failures_;
    const std::vector<auth::Cidr> trusted_networks_;
    const RefusalServices refusals_;
    policy::SendRateLimiter send_rate_;
    struct MxVerdict {
        bool here = false;
        std::chrono::steady_clock::time_point expires;
    };
    std::mutex mx_cache_mu_;
    std::unordered_map<std::string, MxVerdict> mx_cache_;
    auth::OpensslScramCrypto scram_crypto_;  // stateless: safe from the blocking pool threads
};

// "2026-11-24 15:30 UTC": when a ban ends, for replies and logs.
std::string format_utc(std::chrono::system_clock::time_point when);

// The SCRAM-SHA-256 credentials to run the exchange on: the user's own, or mock ones (derived
// from the directory's secret and the lower-cased username, so a probe sees the same salt every
// time and for every spelling, like for a real user) for an unknown user, a user whose password
// was imported as a hash, or a damaged record. Blocking (directory): call it off the I/O threads.
smtp::ScramCredentialsVerdict find_scram_credentials(const std::string& username,
                                                     directory::Directory& directory,
                                                     sasl::ScramCrypto& crypto);

}  // namespace mw::server
