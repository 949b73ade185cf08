#include "metrics/metrics.hpp"

#include "smtp/reply.hpp"

namespace mw::metrics {

namespace {

std::vector<std::string> strings(std::initializer_list<std::string_view> values) {
    return {values.begin(), values.end()};
}

}  // namespace

std::vector<std::string> label_values(LabelValues set) {
    switch (set) {
        case LabelValues::Listener:
            // config::kListenerNames (metrics_test checks they agree; mw_metrics does not link
            // the config loader for one list).
            return strings({"mx", "submission", "submissions"});
        case LabelValues::RefusalReason: {
            std::vector<std::string> reasons;
            for (const auto& entry : smtp::reply_table())
                if (entry.code >= 400) reasons.emplace_back(entry.reason);
            return reasons;
        }
        case LabelValues::Mechanism:
            // What smtp/session_auth.cpp accepts.
            return strings({"PLAIN", "LOGIN", "SCRAM-SHA-256"});
        case LabelValues::AuthResult:
            return strings({"ok", "failed", "error"});
        case LabelValues::AuthCause:
            // The causes server/smtp_backend.cpp logs with event=auth.
            return strings({"none", "wrong_password", "unknown_user", "ip_banned",
                            "scram_no_credentials", "scram_damaged_record", "directory_error"});
        case LabelValues::TlsResult:
            return strings({"ok", "failed"});
        case LabelValues::DeliveryChannel:
            return strings({"local", "remote"});
        case LabelValues::DeliveryResult:
            return strings({"delivered", "deferred", "bounced"});
    }
    return {};
}

std::vector<FamilySpec> family_specs() {
    std::vector<FamilySpec> specs;
    for (const auto& m : kMetrics) {
        FamilySpec spec{std::string(m.name), std::string(m.help), m.type, {}};
        for (std::size_t i = 0; i < m.label_count; ++i)
            spec.labels.push_back({std::string(m.labels[i].name), label_values(m.labels[i].values)});
        specs.push_back(std::move(spec));
    }
    return specs;
}

void show_listener(std::string_view listener) {
    touch<Metric::ConnectionsAccepted>(listener);
    touch<Metric::MessagesAccepted>(listener);
}

Registry& process_registry() {
    // Built on first use (thread-safe static initialisation); never destroyed, so counters can
    // be moved from threads that outlive main's locals during shutdown.
    static Registry* registry = new Registry(family_specs());
    return *registry;
}

}  // namespace mw::metrics
