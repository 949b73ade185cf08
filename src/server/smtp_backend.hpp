// Performs smtp::Session effects against the real services: RCPT checks against the directory
// (on the blocking pool), message commits against the durable spool (group commit).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "auth/failure_tracker.hpp"
#include "auth/scram_crypto.hpp"
#include "directory/directory.hpp"
#include "net/smtp_connection.hpp"
#include "spool/spool.hpp"

namespace mw::server {

class SmtpBackendImpl final : public net::SmtpBackend {
public:
    // trusted_networks: relay.trusted_networks, parsed (clients there relay without AUTH).
    // blocking: directory lookups (RCPT, MAIL, SCRAM). password_checks: argon2id/crypt
    // verification only, a pool of its own so a burst of logins (each ~100 ms of CPU and 64 MiB)
    // can never queue the RCPT checks of incoming mail behind it (bench/RESULTS.md measured MX
    // RCPT latency going from 2 ms to seconds on a shared pool).
    SmtpBackendImpl(directory::Directory& directory, spool::Spool& spool,
                    boost::asio::thread_pool& blocking, boost::asio::thread_pool& password_checks,
                    auth::FailureTracker& failures, std::vector<auth::Cidr> trusted_networks = {})
        : directory_(directory),
          spool_(spool),
          blocking_(blocking),
          password_checks_(password_checks),
          failures_(failures),
          trusted_networks_(std::move(trusted_networks)) {}

    boost::asio::awaitable<smtp::EffectResult> perform(smtp::Effect effect,
                                                       const net::ConnectionInfo& info) override;

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

    directory::Directory& directory_;
    spool::Spool& spool_;
    boost::asio::thread_pool& blocking_;
    boost::asio::thread_pool& password_checks_;
    auth::FailureTracker& failures_;
    const std::vector<auth::Cidr> trusted_networks_;
    auth::OpensslScramCrypto scram_crypto_;  // stateless: safe from the blocking pool threads
};

// "2026-11-24 15:30 UTC": when a ban ends, for replies and logs.
std::string format_utc(std::chrono::system_clock::time_point when);

// The password check: a user that does not exist costs the same hash verification as one that
// does, so response times do not reveal which accounts exist.
struct PasswordCheck {
    smtp::AuthVerdict verdict;
    bool user_exists = false;  // for the log only: the reply never tells
};
PasswordCheck check_password(const std::string& username, const std::string& password,
                             directory::Directory& directory);

// The SCRAM-SHA-256 credentials to run the exchange on: the user's own, or mock ones (derived
// from the directory's secret and the lower-cased username, so a probe sees the same salt every
// time and for every spelling, like for a real user) for an unknown user, a user whose password
// was imported as a hash, or a damaged record. Blocking (directory): call it off the I/O threads.
smtp::ScramCredentialsVerdict find_scram_credentials(const std::string& username,
                                                     directory::Directory& directory,
                                                     sasl::ScramCrypto& crypto);

}  // namespace mw::server
