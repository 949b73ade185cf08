// Commit, durability across reopen, hand-out, delivered markers, segment removal, group commit.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "unit/spool/spool_test_util.hpp"

namespace mw::spool {
namespace {

using namespace std::chrono_literals;
using test::commit_sync;
using test::make_body;
using test::make_envelope;

std::size_t count_segments(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().rfind("seg-", 0) == 0) ++n;
    return n;
}

TEST(SpoolDurability, CommittedMessagesSurviveReopen) {
    test::TempDir tmp;
    std::vector<std::string> ids;
    {
        auto s = test::open_spool(tmp.path());
        ASSERT_TRUE(s);
        for (int i = 0; i < 3; ++i) {
            auto out = commit_sync(*s, make_envelope(), make_body(i, 1000 * i));
            ASSERT_TRUE(out.ok) << out.error;
            ids.push_back(out.queue_id);
        }
        EXPECT_EQ(s->stats().commits, 3u);
        EXPECT_EQ(s->stats().pending, 3u);
    }
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 3u);
    for (const auto& id : ids) {
        EXPECT_EQ(id.size(), 17u);
        EXPECT_EQ(id.find_first_not_of("0123456789abcdefghjkmnpqrstvwxyz"), std::string::npos);
    }
    auto s = test::open_spool(tmp.path());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->stats().pending, 3u);
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) {  // recovered in commit order, body read back byte-exact
        EXPECT_EQ(got[i].envelope.queue_id, ids[i]);
        EXPECT_EQ(got[i].data, make_body(i, 1000 * i));
        EXPECT_EQ(got[i].envelope.recipients, make_envelope().recipients);
    }
}

TEST(SpoolDurability, OpenCreatesMissingParents) {
    test::TempDir tmp;
    auto s = test::open_spool(tmp.path() / "data" / "spool");
    ASSERT_TRUE(s);
    EXPECT_TRUE(commit_sync(*s, make_envelope(), make_body(1)).ok);
    EXPECT_TRUE(std::filesystem::is_directory(tmp.path() / "data" / "spool"));
}

TEST(SpoolHandOut, EachMessageOnceUntilDeferred) {
    test::TempDir tmp;
    auto s = test::open_spool(tmp.path());
    auto out = commit_sync(*s, make_envelope(), make_body(1));
    ASSERT_TRUE(out.ok);
    auto m = s->next_for_delivery(100ms);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->envelope.queue_id, out.queue_id);
    EXPECT_EQ(m->data, make_body(1));
    EXPECT_FALSE(s->next_for_delivery(30ms));  // handed out once
    s->defer(out.queue_id, 40ms);
    EXPECT_FALSE(s->next_for_delivery(0ms));  // not before the delay
    auto again = s->next_for_delivery(2000ms);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->envelope.queue_id, out.queue_id);
}

TEST(SpoolHandOut, WaiterWakesOnCommit) {
    test::TempDir tmp;
    auto s = test::open_spool(tmp.path());
    std::thread t([&] { commit_sync(*s, make_envelope(), make_body(7)); });
    auto m = s->next_for_delivery(5000ms);
    t.join();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, make_body(7));
}

TEST(SpoolDeliveredMarkers, RecoveryExcludesDelivered) {
    test::TempDir tmp;
    std::vector<std::string> ids;
    {
        auto s = test::open_spool(tmp.path());
        for (int i = 0; i < 4; ++i)
            ids.push_back(commit_sync(*s, make_envelope(), make_body(i)).queue_id);
        auto got = test::drain(*s);
        ASSERT_EQ(got.size(), 4u);
        s->mark_delivered(ids[0]);
        s->mark_delivered(ids[2]);
        s->shutdown();  // flushes the marker batch
        EXPECT_EQ(s->stats().delivered, 2u);
        EXPECT_EQ(s->stats().pending, 2u);
    }
    auto s = test::open_spool(tmp.path());
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].envelope.queue_id, ids[1]);
    EXPECT_EQ(got[1].envelope.queue_id, ids[3]);
}

TEST(SpoolSegments, FullyDeliveredSegmentsAreUnlinked) {
    test::TempDir tmp;
    SpoolOptions opts;
    opts.segment_bytes = 1;  // every group starts a new segment
    {
        auto s = test::open_spool(tmp.path(), opts);
        std::vector<std::string> ids;
        for (int i = 0; i < 5; ++i)
            ids.push_back(commit_sync(*s, make_envelope(), make_body(i)).queue_id);
        EXPECT_EQ(count_segments(tmp.path()), 5u);
        test::drain(*s);
        for (int i = 0; i < 4; ++i) s->mark_delivered(ids[i]);
        // A later commit makes the marker group's segment non-active, so it can go too.
        auto last = commit_sync(*s, make_envelope(), make_body(9));
        ASSERT_TRUE(last.ok);
        for (int i = 0; i < 400 && count_segments(tmp.path()) > 2; ++i)
            std::this_thread::sleep_for(5ms);
        // Left: the segment of ids[4] (pending) and the active one holding the last message. The
        // marker segment goes as soon as it is not active and the segments it names are gone.
        EXPECT_EQ(count_segments(tmp.path()), 2u);
    }
    auto s = test::open_spool(tmp.path(), opts);
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].data, make_body(4));
    EXPECT_EQ(got[1].data, make_body(9));
}

TEST(SpoolLimits, MaxBytesRefusesWithSpoolFull) {
    test::TempDir tmp;
    SpoolOptions opts;
    opts.max_bytes = 4000;
    auto s = test::open_spool(tmp.path(), opts);
    EXPECT_TRUE(commit_sync(*s, make_envelope(), make_body(1, 2000)).ok);
    auto out = commit_sync(*s, make_envelope(), make_body(2, 2000));
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error, "spool full");
    EXPECT_TRUE(commit_sync(*s, make_envelope(), make_body(3, 100)).ok);  // small ones still fit
}

TEST(SpoolLifecycle, CommitAfterShutdownFails) {
    test::TempDir tmp;
    auto s = test::open_spool(tmp.path());
    s->shutdown();
    s->shutdown();  // idempotent
    auto out = commit_sync(*s, make_envelope(), make_body(1));
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error, "shutting down");
    EXPECT_FALSE(s->next_for_delivery(10ms));
}

TEST(SpoolGroupCommit, ConcurrentCommitsShareSyncs) {
    test::TempDir tmp;
    SpoolOptions opts;
    opts.commit_window = 3ms;  // every group waits for the other 15 writers: no timing luck needed
    auto s = test::open_spool(tmp.path(), opts);
    constexpr int kThreads = 16, kEach = 50;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i)
                if (!commit_sync(*s, make_envelope(), make_body(t * 1000 + i)).ok) ++failures;
        });
    }
    for (auto& t : threads) t.join();
    auto st = s->stats();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(st.commits, static_cast<std::uint64_t>(kThreads * kEach));
    EXPECT_LT(st.syncs, st.commits / 2);
    std::printf("group commit: %llu commits, %llu syncs, %.3f syncs/commit\n",
                static_cast<unsigned long long>(st.commits),
                static_cast<unsigned long long>(st.syncs),
                static_cast<double>(st.syncs) / static_cast<double>(st.commits));
    EXPECT_EQ(test::drain(*s).size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(SpoolGroupCommit, LargeMessagesSplitIntoBoundedGroups) {
    test::TempDir tmp;
    SpoolOptions opts;
    opts.commit_window = std::chrono::milliseconds(20);
    std::vector<std::string> ids(3);
    {
        auto s = test::open_spool(tmp.path(), opts);
        std::vector<std::thread> threads;
        for (int i = 0; i < 3; ++i) {
            threads.emplace_back([&, i] {
                auto out = commit_sync(*s, make_envelope(), make_body(i, 9u << 20));
                EXPECT_TRUE(out.ok) << out.error;
                ids[i] = out.queue_id;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_GE(s->stats().syncs, 3u);  // 27 MiB cannot go in one 16 MiB group
    }
    auto s = test::open_spool(tmp.path());
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 3u);
    for (const auto& m : got) {
        auto i = std::find(ids.begin(), ids.end(), m.envelope.queue_id) - ids.begin();
        ASSERT_LT(i, 3);
        EXPECT_TRUE(m.data == make_body(static_cast<int>(i), 9u << 20));
    }
}

}  // namespace
}  // namespace mw::spool
