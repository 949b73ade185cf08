// Tests for auth::BanStore and FailureTracker persistence (issue #3 part 6: bans survive a
// restart): round trip, expired bans dropped on load, corrupt file -> clear error, atomic write
// with a failing filesystem.
#include "auth/ban_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

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
    const std::vector<Ban> bans = {{"192.0.2.1", now_ + 1h, "brute_force", now_ - 5s, 5},
                                   {"2001:db8::1", now_ + 10s, "manual \"quoted\""},
                                   {"2001:db8:1:2::/64", now_ + 1h, "brute_force", now_, 7},
                                   {"192.0.2.2", now_ - 1s, "old"}};
    const auto saved = store.save(bans);
    ASSERT_TRUE(saved.ok()) << saved.error();
    EXPECT_EQ(*saved, 4u);
    EXPECT_FALSE(fs::exists(dir() + "/bans.json.tmp"));
    const auto loaded = store.load(now_);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(loaded->size(), 3u);
    EXPECT_EQ((*loaded)[0], bans[0]);
    EXPECT_EQ((*loaded)[1], bans[1]);
    EXPECT_EQ((*loaded)[2], bans[2]);
    EXPECT_EQ(store.load(now_ + 10s)->size(), 2u);
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
    EXPECT_EQ(bans[0], (Ban{"198.51.100.4", now_ + 15min, "brute_force", now_, 5}));
    EXPECT_EQ(bans[1], (Ban{"198.51.100.5", now_ + 2h, "manual", now_, 0}));
    EXPECT_EQ(restarted.check_ip("198.51.100.4"), now_ + 15min);
    now_ += 15min;
    FailureTracker later({}, clock(), store);
    EXPECT_FALSE(later.check_ip("198.51.100.4").has_value()) << "expired while down";
    EXPECT_TRUE(later.check_ip("198.51.100.5").has_value());
}

TEST_F(BanPersistence, OlderFilesWithIpAndWithoutSinceStillLoad) {
    write_file(R"({"bans": [{"ip": "::ffff:192.0.2.1", "until": 1800000000, "reason": "x"}]})");
    const auto loaded = BanStore(dir()).load(now_);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    ASSERT_EQ(loaded->size(), 1u);
    EXPECT_EQ((*loaded)[0], (Ban{"192.0.2.1", TimePoint{1800000000s}, "x"}));
}

TEST_F(BanPersistence, ServerPicksUpBansAnotherProcessWritesAndKeepsThemOnItsOwnWrites) {
    // Issue #3: `mailwarden ban add|remove` edits the file while the server runs. Another
    // BanStore on the same directory stands for the CLI process (flock conflicts between
    // separate open()s even inside one process).
    auto server_store = std::make_shared<BanStore>(dir());
    FailureTracker server({}, clock(), server_store);
    BanStore cli(dir());
    auto added = cli.update(
        now_, [&](std::vector<Ban>& bans) { bans.push_back({"203.0.113.9", now_ + 1h, "cli"}); },
        false);
    ASSERT_TRUE(added.ok()) << added.error();
    // Before the server looks again, its own ban must not wipe the CLI's from the file.
    for (int i = 0; i < 5; ++i) server.record_failure("198.51.100.4", "user@example.org");
    auto on_disk = cli.load(now_);
    ASSERT_TRUE(on_disk.ok());
    ASSERT_EQ(on_disk->size(), 2u) << "the server's write lost the CLI's ban";
    EXPECT_EQ((*on_disk)[0].network, "198.51.100.4");
    EXPECT_EQ((*on_disk)[1].network, "203.0.113.9");
    EXPECT_TRUE(server.check_ip("203.0.113.9").has_value()) << "merged on the server's write";

    // A removal by the CLI is noticed at the next refresh (at most once per second).
    ASSERT_TRUE(cli.update(
                       now_,
                       [](std::vector<Ban>& bans) {
                           std::erase_if(bans, [](const Ban& b) { return b.network == "203.0.113.9"; });
                       },
                       false)
                    .ok());
    server.refresh_from_store();
    EXPECT_FALSE(server.check_ip("203.0.113.9").has_value());
    ASSERT_TRUE(cli.update(
                       now_,
                       [&](std::vector<Ban>& bans) {
                           bans.push_back({"2001:db8::/32", now_ + 1h, "cli"});
                       },
                       false)
                    .ok());
    server.refresh_from_store();
    EXPECT_FALSE(server.check_ip("2001:db8:5::1").has_value()) << "looked less than 1 s ago";
    now_ += 1s;
    server.refresh_from_store();
    EXPECT_TRUE(server.check_ip("2001:db8:5::1").has_value());
    EXPECT_TRUE(server.check_ip("198.51.100.4").has_value());
}

TEST_F(BanPersistence, ConcurrentWritersFromTwoStoresLoseNothing) {
    // Many threads, each its own BanStore (its own lock file descriptor), add bans at once.
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n) {
        threads.emplace_back([this, n] {
            BanStore store(dir());
            for (int i = 0; i < 10; ++i) {
                const std::string ip =
                    "192.0.2." + std::to_string(n * 10 + i + 1);
                auto r = store.update(
                    now_, [&](std::vector<Ban>& bans) { bans.push_back({ip, now_ + 1h, "t"}); },
                    false);
                EXPECT_TRUE(r.ok()) << r.error();
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(BanStore(dir()).load(now_)->size(), 40u);
}

TEST_F(BanPersistence, UpdateRefusesToOverwriteACorruptFileUnlessAsked) {
    write_file("{\"bans\": [");
    BanStore store(dir());
    auto refused = store.update(now_, [](std::vector<Ban>&) {}, false);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error(), store.path() + ": not valid JSON");
    auto replaced = store.update(now_, [](std::vector<Ban>&) {}, true);
    ASSERT_TRUE(replaced.ok()) << replaced.error();
    EXPECT_EQ(replaced->replaced_corrupt, "not valid JSON");
    EXPECT_TRUE(store.load(now_).ok());
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
