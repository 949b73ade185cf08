// mailwarden's table of metric families (src/metrics/metrics.hpp): it builds a valid registry,
// its label value sets agree with the sources they copy (listener names, reply reasons), the
// process registry moves through the compile-time checked calls, and docs/metrics.md matches it.
#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/setting_table.hpp"
#include "smtp/reply.hpp"

namespace mw::metrics {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
    if (const char* env = std::getenv("MW_SOURCE_DIR")) return env;
    return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
}

std::string_view label_set_name(LabelValues set) {
    switch (set) {
        case LabelValues::Listener: return "Listener";
        case LabelValues::RefusalReason: return "RefusalReason";
        case LabelValues::Mechanism: return "Mechanism";
        case LabelValues::AuthResult: return "AuthResult";
        case LabelValues::AuthCause: return "AuthCause";
        case LabelValues::TlsResult: return "TlsResult";
        case LabelValues::DeliveryChannel: return "DeliveryChannel";
        case LabelValues::DeliveryResult: return "DeliveryResult";
    }
    return "?";
}

// docs/metrics.md: every family with its labels, then the values each label can take.
std::string render_metrics_markdown() {
    std::ostringstream out;
    out << "# mailwarden metrics\n\n"
        << "Generated from `src/metrics/metrics.hpp` by `tests/unit/metrics/metrics_test.cpp`; do "
           "not edit by hand.\nRegenerate: `MW_WRITE_DOCS=1 metrics_tests "
           "--gtest_filter='*DocsMetrics*'`.\n\n"
        << "The server exposes these at `GET /metrics` on its HTTP listener, in the Prometheus "
           "text format 0.0.4. A labelled series appears once it has moved (or, for each "
           "configured listener, from the start at 0). Label values come from the fixed sets "
           "below; any other value is counted as `other`, so a client can never create series.\n\n"
        << "| Metric | Type | Labels | Meaning |\n|---|---|---|---|\n";
    std::set<LabelValues> used;
    for (const auto& m : kMetrics) {
        std::string labels;
        for (std::size_t i = 0; i < m.label_count; ++i) {
            if (i) labels += ", ";
            labels += "`" + std::string(m.labels[i].name) + "` (" +
                      std::string(label_set_name(m.labels[i].values)) + ")";
            used.insert(m.labels[i].values);
        }
        out << "| `" << m.name << "` | " << (m.type == Type::Counter ? "counter" : "gauge")
            << " | " << (labels.empty() ? "-" : labels) << " | " << m.help << " |\n";
    }
    out << "\n## Label values\n";
    for (auto set : used) {
        out << "\n**" << label_set_name(set) << "**: ";
        if (set == LabelValues::RefusalReason) {
            // Listed in docs/replies.md; repeating them here would make every new reply a change
            // to this page too.
            out << "the reason key of every reply with a code of 400 or more in "
                   "[replies.md](replies.md), and `other`.\n";
            continue;
        }
        auto values = label_values(set);
        for (std::size_t i = 0; i < values.size(); ++i)
            out << (i ? ", " : "") << "`" << values[i] << "`";
        out << ", `other`.\n";
    }
    return out.str();
}

TEST(MetricsTable, EntriesAreInEnumOrderWithUnusedLabelSlotsEmpty) {
    for (std::size_t i = 0; i < kMetrics.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(kMetrics[i].id), i) << kMetrics[i].name;
        EXPECT_LE(kMetrics[i].label_count, kMaxLabels);
        for (std::size_t l = 0; l < kMaxLabels; ++l)
            EXPECT_EQ(kMetrics[i].labels[l].name.empty(), l >= kMetrics[i].label_count)
                << kMetrics[i].name << " label " << l;
    }
}

TEST(MetricsTable, BuildsARegistryWhosePageNamesEveryFamilyInOrder) {
    Registry r(family_specs());  // throws on any invalid name, duplicate or oversized family
    auto page = r.render();
    std::size_t last = 0;
    for (const auto& m : kMetrics) {
        auto at = page.find("# TYPE " + std::string(m.name) + " ");
        ASSERT_NE(at, std::string::npos) << m.name;
        EXPECT_GE(at, last) << m.name;
        last = at;
    }
}

TEST(MetricsTable, ListenerValuesAreTheConfiguredListenerNames) {
    auto values = label_values(LabelValues::Listener);
    std::vector<std::string> config(std::begin(config::kListenerNames),
                                    std::end(config::kListenerNames));
    EXPECT_EQ(values, config);
}

TEST(MetricsTable, RefusalReasonsAreEveryReplyOf400OrMore) {
    auto values = label_values(LabelValues::RefusalReason);
    std::set<std::string> reasons(values.begin(), values.end());
    EXPECT_EQ(reasons.size(), values.size());
    for (const auto& e : smtp::reply_table())
        EXPECT_EQ(reasons.contains(std::string(e.reason)), e.code >= 400) << e.reason;
    EXPECT_TRUE(reasons.contains("auth_failed"));
}

TEST(MetricsProcess, CompileTimeCheckedCallsMoveTheProcessRegistry) {
    auto& r = process_registry();
    const auto refusals = static_cast<std::size_t>(Metric::SmtpRefusals);
    const auto before = r.value(refusals, {"mx", "unknown_user"});
    count<Metric::SmtpRefusals>(std::string("mx"), "unknown_user");
    count_n<Metric::SmtpRefusals>(2, "mx", std::string_view("unknown_user"));
    EXPECT_EQ(r.value(refusals, {"mx", "unknown_user"}), before + 3);

    const auto queue = static_cast<std::size_t>(Metric::OutboundQueueMessages);
    set<Metric::OutboundQueueMessages>(42);
    EXPECT_EQ(r.value(queue, {}), 42);

    std::int64_t spool = 5;
    auto handle = sample<Metric::SpoolMessages>([&spool] { return spool; });
    EXPECT_NE(r.render().find("\nmailwarden_spool_messages 5\n"), std::string::npos);
    EXPECT_EQ(r.misuse_count(), 0u);
}

TEST(MetricsDocs, DocsMetricsMdIsUpToDate) {
    auto path = source_dir() / "docs" / "metrics.md";
    auto expected = render_metrics_markdown();
    if (std::getenv("MW_WRITE_DOCS")) std::ofstream(path, std::ios::binary) << expected;
    std::ifstream in(path, std::ios::binary);
    std::stringstream actual;
    actual << in.rdbuf();
    EXPECT_TRUE(actual.str() == expected)
        << path << " is out of date: run MW_WRITE_DOCS=1 metrics_tests --gtest_filter='*DocsMetrics*'";
}

}  // namespace
}  // namespace mw::metrics
