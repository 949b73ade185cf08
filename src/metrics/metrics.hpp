// mailwarden's metrics: the one table of every family the server exposes at GET /metrics, and the
// calls the rest of the code makes to move them. docs/metrics.md is generated from this table
// (tests/unit/metrics/metrics_test.cpp checks it is up to date).
//
// The registry is process-wide (process_registry()): the counters are facts about the process,
// and passing a registry through every constructor would touch many signatures for nothing.
// Tests that need a private one build a Registry from their own specs.
//
// Label values come from fixed sets (LabelValues below), never from client input: listener names,
// reply reason keys from smtp/replies.cpp, SASL mechanism names. Anything else is counted as
// "other", so the number of series is fixed when the process starts.
//
// Call sites name the family at compile time, which checks its type and label count:
//   metrics::count<metrics::Metric::SmtpRefusals>(info.listener, reply.reason);
//   metrics::set<metrics::Metric::OutboundQueueMessages>(queued.size());
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "metrics/registry.hpp"

namespace mw::metrics {

enum class Metric : std::size_t {
    ConnectionsAccepted,
    ConnectionsRefused,
    ConnectionsOpen,
    TlsHandshakes,
    SmtpRefusals,
    AuthAttempts,
    MessagesAccepted,
    DeliveryRecipients,
    OutboundQueueMessages,
    SpoolMessages,
    SpoolBytes,
    Count_,  // keep last
};
inline constexpr std::size_t kMetricCount = static_cast<std::size_t>(Metric::Count_);

// The fixed value sets labels draw from (values listed in metrics.cpp and docs/metrics.md).
enum class LabelValues {
    Listener,         // mx, submission, submissions (config::kListenerNames)
    RefusalReason,    // reason key of every reply with code >= 400 (smtp/replies.cpp)
    Mechanism,        // PLAIN, LOGIN, SCRAM-SHA-256
    AuthResult,       // ok, failed, error
    AuthCause,        // none, wrong_password, unknown_user, ip_banned, ...
    TlsResult,        // ok, failed
    DeliveryChannel,  // local, remote
    DeliveryResult,   // delivered, deferred, bounced
};

struct LabelDef {
    std::string_view name;
    LabelValues values;
};

inline constexpr std::size_t kMaxLabels = 4;

struct MetricDef {
    Metric id;
    std::string_view name;
    Type type;
    std::string_view help;
    std::size_t label_count = 0;
    std::array<LabelDef, kMaxLabels> labels{};
};

// clang-format off
inline constexpr std::array<MetricDef, kMetricCount> kMetrics{{
    {Metric::ConnectionsAccepted, "mailwarden_connections_accepted_total", Type::Counter,
     "TCP connections that got an SMTP session, by listener.",
     1, {{{"listener", LabelValues::Listener}}}},
    {Metric::ConnectionsRefused, "mailwarden_connections_refused_total", Type::Counter,
     "TCP connections answered with one refusal and closed before any session (ban, connection "
     "limits), by listener and the reply's reason key.",
     2, {{{"listener", LabelValues::Listener}, {"reason", LabelValues::RefusalReason}}}},
    {Metric::ConnectionsOpen, "mailwarden_connections_open", Type::Gauge,
     "SMTP sessions open now, all listeners.",
     0, {}},
    {Metric::TlsHandshakes, "mailwarden_tls_handshakes_total", Type::Counter,
     "Server-side TLS handshakes (STARTTLS and implicit TLS), by listener and result.",
     2, {{{"listener", LabelValues::Listener}, {"result", LabelValues::TlsResult}}}},
    {Metric::SmtpRefusals, "mailwarden_smtp_refusals_total", Type::Counter,
     "SMTP replies with a code of 400 or more sent to clients, by listener and the reply's reason "
     "key (docs/replies.md).",
     2, {{{"listener", LabelValues::Listener}, {"reason", LabelValues::RefusalReason}}}},
    {Metric::AuthAttempts, "mailwarden_auth_attempts_total", Type::Counter,
     "SMTP AUTH credential checks, by listener, SASL mechanism, result (ok, failed: refused "
     "credentials, error: the server could not check) and cause (none when it succeeded).",
     4, {{{"listener", LabelValues::Listener}, {"mechanism", LabelValues::Mechanism},
          {"result", LabelValues::AuthResult}, {"cause", LabelValues::AuthCause}}}},
    {Metric::MessagesAccepted, "mailwarden_messages_accepted_total", Type::Counter,
     "Messages made durable in the spool and answered 250 after DATA or BDAT LAST, by listener.",
     1, {{{"listener", LabelValues::Listener}}}},
    {Metric::DeliveryRecipients, "mailwarden_delivery_recipients_total", Type::Counter,
     "Delivery outcomes, one per recipient per attempt: delivered into a local Maildir or sent "
     "to a remote server, deferred for a later attempt, or bounced to the sender.",
     2, {{{"channel", LabelValues::DeliveryChannel}, {"result", LabelValues::DeliveryResult}}}},
    {Metric::OutboundQueueMessages, "mailwarden_outbound_queue_messages", Type::Gauge,
     "Messages waiting for delivery to other servers (outbound queue).",
     0, {}},
    {Metric::SpoolMessages, "mailwarden_spool_messages", Type::Gauge,
     "Messages in the spool not yet delivered everywhere (local and outbound).",
     0, {}},
    {Metric::SpoolBytes, "mailwarden_spool_bytes", Type::Gauge,
     "Bytes of spool segment files on disk.",
     0, {}},
}};
// clang-format on

constexpr const MetricDef& def(Metric m) { return kMetrics[static_cast<std::size_t>(m)]; }

// The values of a label set, without the implicit "other".
std::vector<std::string> label_values(LabelValues set);
// The registry specs built from kMetrics (one FamilySpec per entry, same order).
std::vector<FamilySpec> family_specs();
// The process-wide registry, built from kMetrics on first use.
Registry& process_registry();
// Shows a listener's own counters at 0 from the start (connections and messages accepted), so
// the first event is a visible increase to rate() and the page lists every configured listener.
void show_listener(std::string_view listener);

template <Metric M, class... Labels>
void count_n(std::int64_t n, const Labels&... labels) noexcept {
    static_assert(def(M).type == Type::Counter, "count() is for counters");
    static_assert(sizeof...(Labels) == def(M).label_count, "one value per declared label");
    process_registry().add(static_cast<std::size_t>(M), {std::string_view(labels)...}, n);
}

template <Metric M, class... Labels>
void count(const Labels&... labels) noexcept {
    count_n<M>(1, labels...);
}

template <Metric M, class... Labels>
void set(std::int64_t value, const Labels&... labels) noexcept {
    static_assert(def(M).type == Type::Gauge, "set() is for gauges");
    static_assert(sizeof...(Labels) == def(M).label_count, "one value per declared label");
    process_registry().set(static_cast<std::size_t>(M), {std::string_view(labels)...}, value);
}

// A gauge read from `sample` at every scrape while the handle lives (spool size, open sessions).
template <Metric M>
[[nodiscard]] SampleHandle sample(std::function<std::int64_t()> sample) {
    static_assert(def(M).type == Type::Gauge && def(M).label_count == 0, "sample() is for plain gauges");
    return process_registry().sample(static_cast<std::size_t>(M), {}, std::move(sample));
}

// Shows a labelled series at 0 before its first event (e.g. each configured listener at start),
// so rate() sees the first increment.
template <Metric M, class... Labels>
void touch(const Labels&... labels) noexcept {
    static_assert(sizeof...(Labels) == def(M).label_count, "one value per declared label");
    process_registry().touch(static_cast<std::size_t>(M), {std::string_view(labels)...});
}

}  // namespace mw::metrics
