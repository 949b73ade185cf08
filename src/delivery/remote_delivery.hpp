// Outbound delivery (issue #4): takes the recipients of spooled messages that live on other
// servers, finds their mail exchangers (MxResolver) or sends everything through a relay host,
// runs one SMTP transaction per destination domain (net::run_outbound_smtp), records every
// recipient's outcome in the queue state, retries temporary failures on the RetryPolicy schedule
// and sends the sender an RFC 3464 bounce for permanent ones. A message leaves the spool when
// every recipient is sent or bounced. docs/queue.md describes the whole flow.
// Threads: one I/O thread of its own; everything below runs on it. The queue state (SQLite) is
// written from it too; those are short transactions.
// At-least-once: a restart between the remote server's 250 and our record of it sends the
// message to those recipients again. That window is one SQLite commit wide.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/mx_resolver.hpp"
#include "net/smtp_client_connection.hpp"
#include "queue/queue_state.hpp"
#include "smtp/client/client.hpp"
#include "spool/retry.hpp"
#include "spool/spool.hpp"

namespace mw::delivery {

// Everything to another domain goes to this host ("smarthost"), for servers whose port 25 is
// blocked or that send through a provider.
struct RelayHost {
    enum class Security { StartTls, ImplicitTls, None };
    std::string host;  // name or IP address
    std::uint16_t port = 587;
    Security security = Security::StartTls;
    std::string username;  // empty: no AUTH
    std::string password;
    bool verify_certificate = true;
};

// A fixed next hop for one domain, instead of its MX records (a partner's gateway, an internal
// server). Takes precedence over the relay host for that domain.
struct DomainRoute {
    std::string host;  // name or IP address
    std::uint16_t port = 25;
    smtp::client::TlsPolicy tls = smtp::client::TlsPolicy::Opportunistic;
    bool verify_certificate = false;  // with Required: chain and host name must check
};

struct RemoteDeliveryOptions {
    std::string hostname;  // EHLO name, Received: "by", Reporting-MTA of bounces
    spool::RetryPolicy retry;
    smtp::client::TlsPolicy tls = smtp::client::TlsPolicy::Opportunistic;
    std::optional<RelayHost> relay;
    std::map<std::string, DomainRoute> routes;  // lower-case domain -> next hop
    std::size_t max_connections = 16;     // concurrent outbound transactions, all destinations
    std::size_t max_per_destination = 4;  // concurrent transactions to one domain (or the relay)
    std::size_t max_addresses = 10;       // addresses tried per destination and attempt
    net::OutboundTimeouts timeouts;
    std::chrono::milliseconds request_poll{1000};  // how often `mailwarden queue` requests are read
};

struct RemoteDeliveryStats {
    std::uint64_t attempts = 0;  // transactions started (per destination)
    std::uint64_t sent = 0;      // recipients
    std::uint64_t deferred = 0;  // recipient-attempts that will be retried
    std::uint64_t bounced = 0;   // recipients
    std::uint64_t notices = 0;   // bounce and delay notices queued
};

class RemoteDelivery {
public:
    // `resolver` may be null when a relay host is configured (no MX lookups then).
    RemoteDelivery(spool::Spool& spool, queue::QueueState& state, MxResolver* resolver,
                   RemoteDeliveryOptions options);
    ~RemoteDelivery();
    RemoteDelivery(const RemoteDelivery&) = delete;
    RemoteDelivery& operator=(const RemoteDelivery&) = delete;

    void start();
    // Attempts in flight are abandoned (their recipients stay pending on disk). Idempotent.
    void stop();

    // A message whose local recipients are all in their mailboxes; `remote` are the indices of
    // the envelope recipients on other servers. Thread-safe; the message is ours from here on.
    void submit(spool::SpooledMessage message, std::vector<std::size_t> remote);

    RemoteDeliveryStats stats() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace mw::delivery
