// The fail matrix (STYLE.md §9.4): fail the n-th filesystem call of a commit, for every n. The
// commit is then either acknowledged and recovered exactly once, or refused and never recovered,
// and the next commit succeeds.
#include <gtest/gtest.h>

#include "support/faulty_fs_ops.hpp"
#include "unit/spool/spool_test_util.hpp"

namespace mw::spool {
namespace {

using test::commit_sync;
using test::make_body;
using test::make_envelope;

struct MatrixCase {
    const char* name;
    test::FaultPlan plan;  // fail_at is set per step
    const char* error;
    std::uint64_t segment_bytes = 64ull << 20;  // 1: every group starts a new segment
};

// Returns how many steps failed; stops at the first step that injected no fault.
int run_matrix(const MatrixCase& c) {
    int failing_steps = 0;
    for (long n = 0; n < 64; ++n) {
        SCOPED_TRACE(std::string(c.name) + " fault at call " + std::to_string(n));
        test::TempDir tmp;
        auto fs = std::make_shared<test::FaultyFsOps>();
        std::string id0, id1, id2;
        bool ok1 = false;
        {
            SpoolOptions opts;
            opts.segment_bytes = c.segment_bytes;
            auto s = test::open_spool(tmp.path(), opts, fs);
            if (!s) return -1;
            id0 = commit_sync(*s, make_envelope(), make_body(0)).queue_id;
            test::FaultPlan plan = c.plan;
            plan.fail_at = n;
            fs->arm(plan);
            auto out1 = commit_sync(*s, make_envelope(), make_body(1, 300));
            bool injected = fs->failed();
            fs->disarm();
            ok1 = out1.ok;
            id1 = out1.queue_id;
            if (!injected) {
                EXPECT_TRUE(ok1);
                return failing_steps;
            }
            ++failing_steps;
            if (!ok1) {
                EXPECT_EQ(out1.error, c.error);
            }
            auto out2 = commit_sync(*s, make_envelope(), make_body(2));
            EXPECT_TRUE(out2.ok) << out2.error;  // the server keeps going once the disk is fine
            id2 = out2.queue_id;
        }
        auto s = test::open_spool(tmp.path());
        auto got = test::drain(*s);
        std::map<std::string, std::string> by_id;
        for (auto& m : got) EXPECT_TRUE(by_id.emplace(m.envelope.queue_id, m.data).second);
        EXPECT_EQ(by_id[id0], make_body(0));
        EXPECT_EQ(by_id[id2], make_body(2));
        if (ok1) {
            EXPECT_EQ(by_id[id1], make_body(1, 300));
        } else {
            EXPECT_EQ(by_id.count(id1), 0u) << "a refused message came back";
        }
        EXPECT_EQ(got.size(), ok1 ? 3u : 2u);
    }
    ADD_FAILURE() << "the matrix never reached a fault-free run";
    return failing_steps;
}

TEST(SpoolFailMatrix, SingleFaultDiskFull) {
    EXPECT_GT(run_matrix({"enospc", {-1, ENOSPC, false, false}, "disk full"}), 0);
}

TEST(SpoolFailMatrix, SingleFaultIoErrorWithTornWrite) {
    EXPECT_GT(
        run_matrix({"eio-partial", {-1, EIO, false, true}, "write error: Input/output error"}), 0);
}

TEST(SpoolFailMatrix, DiskStaysFullUntilFreed) {
    // Every call from the n-th on fails, so the cut-back fails too and the spool must roll over
    // and write an Aborted record before it can accept the next message.
    EXPECT_GT(run_matrix({"sticky-enospc", {-1, EDQUOT, true, true}, "disk full"}), 0);
}

TEST(SpoolFailMatrix, FaultWhileStartingANewSegment) {
    // Covers the segment roll-over steps too: create the file, fsync the directory.
    EXPECT_GE(run_matrix({"rollover", {-1, ENOSPC, false, true}, "disk full", 1}), 4);
    EXPECT_GE(run_matrix(
                  {"rollover-sticky", {-1, EIO, true, true}, "write error: Input/output error", 1}),
              4);
}

TEST(SpoolFailMatrix, DeliveredMarkerFailureMeansRedeliveryNotLoss) {
    test::TempDir tmp;
    auto fs = std::make_shared<test::FaultyFsOps>();
    std::string id;
    {
        auto s = test::open_spool(tmp.path(), {}, fs);
        id = commit_sync(*s, make_envelope(), make_body(0)).queue_id;
        ASSERT_TRUE(s->next_for_delivery(std::chrono::milliseconds(100)));
        fs->arm({0, ENOSPC, true, false});
        s->mark_delivered(id);
        s->shutdown();  // the marker write fails: the message stays in the spool
        EXPECT_TRUE(fs->failed());
        fs->disarm();
    }
    auto s = test::open_spool(tmp.path());
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].envelope.queue_id, id);
}

}  // namespace
}  // namespace mw::spool
