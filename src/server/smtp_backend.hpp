// Performs smtp::Session effects against the real services: RCPT checks against the directory
// (on the blocking pool), message commits against the durable spool (group commit).
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "directory/directory.hpp"
#include "net/smtp_connection.hpp"
#include "spool/spool.hpp"

namespace mw::server {

class SmtpBackendImpl final : public net::SmtpBackend {
public:
    SmtpBackendImpl(directory::Directory& directory, spool::Spool& spool,
                    boost::asio::thread_pool& blocking)
        : directory_(directory), spool_(spool), blocking_(blocking) {}

    boost::asio::awaitable<smtp::EffectResult> perform(smtp::Effect effect,
                                                       const net::ConnectionInfo& info) override;

private:
    boost::asio::awaitable<smtp::EffectResult> check_recipient(smtp::CheckRecipient check,
                                                               const net::ConnectionInfo& info);
    boost::asio::awaitable<smtp::EffectResult> commit(smtp::CommitMessage message,
                                                      const net::ConnectionInfo& info);

    directory::Directory& directory_;
    spool::Spool& spool_;
    boost::asio::thread_pool& blocking_;
};

// The recipient decision as a pure function of what the directory says (unit-tested).
smtp::RecipientVerdict decide_recipient(const smtp::Mailbox& mailbox,
                                        directory::Directory& directory);

}  // namespace mw::server
