// Tests for auth::BanStore and FailureTracker persistence (issue #3 part 6: bans survive a
// restart): round trip, expired bans dropped on load, corrupt file -> clear error, atomic write
// with a failing filesystem.
#include "auth/ban_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "auth/failure_tracker.hpp"
#include "support/faulty_fs_ops.hpp"

namespace mw::auth {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class BanPersistence : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("mw-bans-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    void write_file(const std::string& text) { std::ofstream(dir_ / "bans.json") << text; }
    std::string dir() const { return dir_.string(); }

    TimePoint now_{std::chrono::seconds(1'700'000'000)};
    Clock clock() const {
        return [this] { return now_; };
    }

private:
    fs::path dir_;
};

TEST_F(BanPersistence, MissingFileIsNoBans) {
    BanStore store(dir());
    const auto bans = store.load(now_);
    ASSERT_TRUE(bans.ok()) << bans.error();
    EXPECT_TRUE(bans->empty());
}

TEST_F(BanPersistence, RoundTripDropsExpired) {
    BanStore store(dir());
    const std::vector<Ban> bans = {{"192.0.2.1", now_ + 1h, "brute_force"},
                                   {"2001:db8::1", now_ + 10s, "manual \"quoted\""},
                                   {"192.0.2.2", now_ - 1s, "old"}};
    const auto saved = store.save(bans);
    ASSERT_TRUE(saved.ok()) << saved.error();
    EXPECT_EQ(*saved, 3u);
    EXPECT_FALSE(fs::exists(dir() + "/bans.json.tmp"));
    const auto loaded = store.load(now_);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(loaded->size(), 2u);
    EXPECT_EQ((*loaded)[0], bans[0]);
    EXPECT_EQ((*loaded)[1], bans[1]);
    EXPECT_EQ(store.load(now_ + 10s)->size(), 1u);
}

TEST_F(BanPersistence, BansSurviveARestart) {
    auto store = std::make_shared<BanStore>(dir());
    {
        FailureTracker t({}, clock(), store);
        for (int i = 0; i < 5; ++i) t.record_failure("198.51.100.4", "user@example.org");
        EXPECT_TRUE(t.ban("198.51.100.5", now_ + 2h, "manual"));
        EXPECT_TRUE(t.ban("198.51.100.6", now_ + 2h, "manual"));
        EXPECT_TRUE(t.unban("198.51.100.6"));
    }
    FailureTracker restarted({}, clock(), store);
    const auto bans = restarted.list();
    ASSERT_EQ(bans.size(), 2u);
    EXPECT_EQ(bans[0], (Ban{"198.51.100.4", now_ + 15min, "brute_force"}));
    EXPECT_EQ(bans[1], (Ban{"198.51.100.5", now_ + 2h, "manual"}));
    EXPECT_EQ(restarted.check_ip("198.51.100.4"), now_ + 15min);
    now_ += 15min;
    FailureTracker later({}, clock(), store);
    EXPECT_FALSE(later.check_ip("198.51.100.4").has_value()) << "expired while down";
    EXPECT_TRUE(later.check_ip("198.51.100.5").has_value());
}

TEST_F(BanPersistence, CorruptFileIsAClearErrorAndTrackerStartsEmpty) {
    const std::pair<std::string, std::string> cases[] = {
        {"{\"bans\": [", "not valid JSON"},
        {"[]", "\"bans\" array"},
        {"{\"bans\": [{\"ip\": \"192.0.2.1\"}]}", "bad ban entry"},
        {"{\"bans\": [{\"ip\": \"300.1.1.1\", \"until\": 1800000000, \"reason\": \"x\"}]}",
         "bad IP"},
        {"{\"bans\": [{\"ip\": \"192.0.2.1\", \"until\": \"soon\", \"reason\": \"x\"}]}",
         "bad ban entry"},
    };
    auto store = std::make_shared<BanStore>(dir());
    for (const auto& [text, want] : cases) {
        write_file(text);
        const auto r = store->load(now_);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_NE(r.error().find(want), std::string::npos)
            << "got " << r.error() << ", want it to mention " << want;
        FailureTracker t({}, clock(), store);
        EXPECT_TRUE(t.list().empty());
    }
    // The next change replaces the corrupt file with a valid one.
    FailureTracker t({}, clock(), store);
    EXPECT_TRUE(t.ban("192.0.2.3", now_ + 1h, "manual"));
    EXPECT_EQ(store->load(now_)->size(), 1u);
}

TEST_F(BanPersistence, FailedWriteAtAnyStepKeepsTheOldFile) {
    // STYLE.md §10 habit 7: fail each filesystem call of save() in turn; the previous file
    // stays intact and loadable, and no temporary file is left behind (except after a failed
    // directory fsync, when the new file is already in place).
    auto faulty = std::make_shared<test::FaultyFsOps>();
    BanStore store(dir(), faulty);
    const std::vector<Ban> old_bans = {{"192.0.2.1", now_ + 1h, "old"}};
    ASSERT_TRUE(store.save(old_bans).ok());
    const std::vector<Ban> new_bans = {{"192.0.2.2", now_ + 1h, "new"}};
    for (long step = 0;; ++step) {
        faulty->arm(test::FaultPlan{step, EIO, false, true});
        const auto r = store.save(new_bans);
        const std::string failed_op = faulty->failed_op();
        const bool failed = faulty->failed();
        faulty->disarm();
        if (r.ok()) {
            EXPECT_FALSE(failed) << "step " << step;
            break;
        }
        EXPECT_TRUE(failed) << "step " << step;
        const auto loaded = store.load(now_);
        ASSERT_TRUE(loaded.ok()) << "step " << step << ": " << loaded.error();
        if (failed_op == "fsync_dir") {
            EXPECT_EQ(*loaded, new_bans) << "step " << step;
        } else {
            EXPECT_EQ(*loaded, old_bans) << "step " << step << " (" << failed_op << ")";
        }
        EXPECT_FALSE(fs::exists(dir() + "/bans.json.tmp")) << "step " << step;
        ASSERT_LT(step, 20);
    }
}

}  // namespace
}  // namespace mw::auth
