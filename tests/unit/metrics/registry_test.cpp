// The registry and its text exposition (Prometheus format 0.0.4): exact page layout, escaping,
// ordering, folding of unknown label values, misuse that is ignored but counted, sampled gauges,
// and spec validation.
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mw::metrics {
namespace {

std::vector<FamilySpec> two_families() {
    return {
        {"test_requests_total", "Requests served.", Type::Counter,
         {{"listener", {"mx", "submission"}}, {"result", {"ok", "failed"}}}},
        {"test_queue_messages", "Messages waiting.", Type::Gauge, {}},
    };
}

TEST(MetricsExposition, PageHasHelpTypeAndOneSampleLinePerShownSeries) {
    Registry r(two_families());
    r.add(0, {"submission", "failed"}, 3);
    r.add(0, {"mx", "ok"});
    r.set(1, {}, 7);
    EXPECT_EQ(r.render(),
              "# HELP test_requests_total Requests served.\n"
              "# TYPE test_requests_total counter\n"
              "test_requests_total{listener=\"mx\",result=\"ok\"} 1\n"
              "test_requests_total{listener=\"submission\",result=\"failed\"} 3\n"
              "# HELP test_queue_messages Messages waiting.\n"
              "# TYPE test_queue_messages gauge\n"
              "test_queue_messages 7\n");
}

TEST(MetricsExposition, SeriesFollowDeclaredValueOrderNotUpdateOrder) {
    Registry r(two_families());
    r.add(0, {"submission", "ok"});
    r.add(0, {"mx", "failed"});
    r.add(0, {"mx", "ok"});
    auto page = r.render();
    auto mx_ok = page.find("listener=\"mx\",result=\"ok\"");
    auto mx_failed = page.find("listener=\"mx\",result=\"failed\"");
    auto sub_ok = page.find("listener=\"submission\",result=\"ok\"");
    ASSERT_NE(mx_ok, std::string::npos);
    ASSERT_NE(mx_failed, std::string::npos);
    ASSERT_NE(sub_ok, std::string::npos);
    EXPECT_LT(mx_ok, mx_failed);  // first label slowest, then the second label's declared order
    EXPECT_LT(mx_failed, sub_ok);
}

TEST(MetricsExposition, UnlabelledFamilyShowsZeroLabelledFamilyShowsOnlyMovedSeries) {
    Registry r(two_families());
    EXPECT_EQ(r.render(),
              "# HELP test_requests_total Requests served.\n"
              "# TYPE test_requests_total counter\n"
              "# HELP test_queue_messages Messages waiting.\n"
              "# TYPE test_queue_messages gauge\n"
              "test_queue_messages 0\n");
    r.touch(0, {"mx", "ok"});
    EXPECT_NE(r.render().find("test_requests_total{listener=\"mx\",result=\"ok\"} 0\n"),
              std::string::npos);
}

TEST(MetricsExposition, LabelValuesEscapeBackslashQuoteAndNewline) {
    Registry r({{"test_odd_total", "Odd values.", Type::Counter,
                 {{"value", {"a\"b", "c\\d", "e\nf", "plain"}}}}});
    r.add(0, {"a\"b"});
    r.add(0, {"c\\d"});
    r.add(0, {"e\nf"});
    auto page = r.render();
    EXPECT_NE(page.find("test_odd_total{value=\"a\\\"b\"} 1\n"), std::string::npos) << page;
    EXPECT_NE(page.find("test_odd_total{value=\"c\\\\d\"} 1\n"), std::string::npos) << page;
    EXPECT_NE(page.find("test_odd_total{value=\"e\\nf\"} 1\n"), std::string::npos) << page;
    EXPECT_EQ(escape_label_value("x\\\"\n"), "x\\\\\\\"\\n");
}

TEST(MetricsExposition, HelpEscapesBackslashAndNewlineButNotQuotes) {
    Registry r({{"test_help_total", "line one\nback\\slash \"quoted\"", Type::Counter, {}}});
    EXPECT_EQ(r.render().substr(0, r.render().find('\n') + 1),
              "# HELP test_help_total line one\\nback\\\\slash \"quoted\"\n");
}

TEST(MetricsLabels, UnknownValuesFoldIntoOtherSoSeriesStayBounded) {
    Registry r(two_families());
    for (int i = 0; i < 1000; ++i) r.add(0, {"client-" + std::to_string(i), "ok"});
    EXPECT_EQ(r.value(0, {"other", "ok"}), 1000);
    EXPECT_EQ(r.value(0, {"never-seen", "ok"}), 1000);  // reads fold the same way
    auto page = r.render();
    EXPECT_NE(page.find("test_requests_total{listener=\"other\",result=\"ok\"} 1000\n"),
              std::string::npos);
    EXPECT_EQ(page.find("client-"), std::string::npos);
    EXPECT_EQ(std::count(page.begin(), page.end(), '\n'), 2 + 1 + 3);
}

TEST(MetricsLabels, DeclaredOtherIsNotAddedTwice) {
    Registry r({{"test_x_total", "X.", Type::Counter, {{"kind", {"a", "other"}}}}});
    r.add(0, {"zzz"});
    r.add(0, {"other"});
    EXPECT_EQ(r.value(0, {"other"}), 2);
    auto page = r.render();
    EXPECT_EQ(page.find("kind=\"other\""), page.rfind("kind=\"other\""));
}

TEST(MetricsMisuse, CounterNeverGoesDownAndCannotBeSet) {
    Registry r(two_families());
    r.add(0, {"mx", "ok"}, 5);
    r.add(0, {"mx", "ok"}, -2);
    r.set(0, {"mx", "ok"}, 1);
    EXPECT_EQ(r.value(0, {"mx", "ok"}), 5);
    EXPECT_EQ(r.misuse_count(), 2u);
}

TEST(MetricsMisuse, WrongLabelCountOrFamilyIsIgnoredAndCounted) {
    Registry r(two_families());
    r.add(0, {"mx"});
    r.add(0, {"mx", "ok", "extra"});
    r.add(7, {});
    r.set(1, {"label"}, 3);
    EXPECT_EQ(r.misuse_count(), 4u);
    EXPECT_EQ(r.value(1, {}), 0);
}

TEST(MetricsGauges, GaugeMovesBothWays) {
    Registry r(two_families());
    r.add(1, {}, 5);
    r.add(1, {}, -3);
    EXPECT_EQ(r.value(1, {}), 2);
    r.set(1, {}, -4);
    EXPECT_EQ(r.value(1, {}), -4);
    EXPECT_NE(r.render().find("test_queue_messages -4\n"), std::string::npos);
}

TEST(MetricsGauges, SampledGaugeIsReadAtEachScrapeUntilItsHandleGoes) {
    Registry r(two_families());
    std::int64_t source = 11;
    {
        auto handle = r.sample(1, {}, [&source] { return source; });
        EXPECT_NE(r.render().find("test_queue_messages 11\n"), std::string::npos);
        source = 12;
        EXPECT_NE(r.render().find("test_queue_messages 12\n"), std::string::npos);
        SampleHandle moved = std::move(handle);  // still registered through the new owner
        source = 13;
        EXPECT_NE(r.render().find("test_queue_messages 13\n"), std::string::npos);
    }
    source = 99;  // the handle is gone: the source is no longer read
    EXPECT_NE(r.render().find("test_queue_messages 13\n"), std::string::npos);
    EXPECT_THROW((void)r.sample(0, {"mx", "ok"}, [] { return 0; }), std::invalid_argument);
    EXPECT_THROW((void)r.sample(1, {"x"}, [] { return 0; }), std::invalid_argument);
}

TEST(MetricsConcurrency, IncrementsFromManyThreadsAreAllCounted) {
    Registry r(two_families());
    constexpr int kThreads = 4;
    constexpr int kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&r, t] {
            for (int i = 0; i < kEach; ++i) r.add(0, {t % 2 ? "mx" : "submission", "ok"});
        });
    std::string page;
    for (int i = 0; i < 10; ++i) page = r.render();  // scrapes while counting
    for (auto& th : threads) th.join();
    EXPECT_EQ(r.value(0, {"mx", "ok"}) + r.value(0, {"submission", "ok"}), kThreads * kEach);
}

struct BadSpec {
    const char* why;
    FamilySpec spec;
    const char* message;
};

TEST(MetricsSpecs, BadSpecsAreRefusedNamingFamilyAndProblem) {
    const std::vector<BadSpec> cases = {
        {"name", {"1abc_total", "h", Type::Counter, {}}, "not a valid metric name"},
        {"dash", {"a-b_total", "h", Type::Counter, {}}, "not a valid metric name"},
        {"counter", {"test_requests", "h", Type::Counter, {}}, "ends in _total"},
        {"gauge", {"test_size_total", "h", Type::Gauge, {}}, "only counters"},
        {"help", {"test_a_total", "", Type::Counter, {}}, "help text is empty"},
        {"label", {"test_a_total", "h", Type::Counter, {{"a:b", {"x"}}}}, "label name"},
        {"reserved", {"test_a_total", "h", Type::Counter, {{"__x", {"x"}}}}, "label name"},
        {"twice", {"test_a_total", "h", Type::Counter, {{"x", {"a"}}, {"x", {"b"}}}},
         "declared twice"},
        {"novalues", {"test_a_total", "h", Type::Counter, {{"x", {}}}}, "has no values"},
        {"empty", {"test_a_total", "h", Type::Counter, {{"x", {"a", ""}}}}, "empty value"},
        {"dup", {"test_a_total", "h", Type::Counter, {{"x", {"a", "a"}}}}, "lists \"a\" twice"},
        {"cardinality",
         {"test_a_total",
          "h",
          Type::Counter,
          {{"a", std::vector<std::string>(64, "")}, {"b", std::vector<std::string>(64, "")}}},
         "label combinations"},
    };
    for (auto c : cases) {
        // Unique values for the cardinality case: (64 + other) squared > kMaxSeriesPerFamily.
        for (auto& label : c.spec.labels)
            for (std::size_t i = 0; i < label.values.size(); ++i)
                if (label.values[i].empty() && std::string(c.why) != "empty")
                    label.values[i] = "v" + std::to_string(i);
        try {
            Registry r({c.spec});
            ADD_FAILURE() << c.why << ": accepted";
        } catch (const std::invalid_argument& e) {
            std::string what = e.what();
            EXPECT_NE(what.find(c.spec.name), std::string::npos) << c.why << ": " << what;
            EXPECT_NE(what.find(c.message), std::string::npos) << c.why << ": " << what;
        }
    }
    EXPECT_THROW(Registry({{"test_a_total", "h", Type::Counter, {}},
                           {"test_a_total", "h", Type::Counter, {}}}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace mw::metrics
