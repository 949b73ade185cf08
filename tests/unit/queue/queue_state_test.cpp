// The outbound queue's state: a restart resumes where it stopped, final statuses stay final,
// the history is bounded, and the CLI (a second connection) sees what the server wrote.
#include "queue/queue_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mw::queue {
namespace {

namespace fs = std::filesystem;

class QueueStateTest : public ::testing::Test {
protected:
    fs::path dir_ = fs::temp_directory_path() /
                    ("mw-queue-test-" + std::to_string(::getpid()) + "-" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::path file_ = dir_ / "queue.sqlite";
    void SetUp() override {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static MessageState message(std::string id, std::int64_t next) {
        MessageState m;
        m.queue_id = std::move(id);
        m.sender = "alice@example.test";
        m.received_at = 1000;
        m.size = 4096;
        m.next_attempt_at = next;
        m.recipients = {{1, "bob@remote.test", RecipientStatus::Pending, 0, "", "", 0},
                        {3, "carol@other.test", RecipientStatus::Pending, 0, "", "", 0}};
        return m;
    }
};

TEST_F(QueueStateTest, TrackIsIdempotentAndSurvivesReopen) {
    {
        auto q = QueueState::open(file_);
        auto stored = q->track(message("q1", 1000));
        EXPECT_EQ(stored.pending(), 2u);
        q->record_attempt("q1", 1010,
                          {{1, RecipientStatus::Sent, "250 2.0.0 ok", "mx.remote.test [127.0.0.9]"},
                           {3, RecipientStatus::Pending, "451 4.3.0 try later", "mx.other.test"}},
                          1310);
        // A second track (a restart handing the message out again) keeps the stored progress.
        auto again = q->track(message("q1", 9999));
        EXPECT_EQ(again.attempts, 1);
        EXPECT_EQ(again.next_attempt_at, 1310);
        EXPECT_EQ(again.pending(), 1u);
    }
    auto q = QueueState::open(file_);
    auto s = q->find("q1");
    ASSERT_TRUE(s);
    ASSERT_EQ(s->recipients.size(), 2u);
    EXPECT_EQ(s->recipients[0].status, RecipientStatus::Sent);
    EXPECT_EQ(s->recipients[0].last_host, "mx.remote.test [127.0.0.9]");
    EXPECT_EQ(s->recipients[1].status, RecipientStatus::Pending);
    EXPECT_EQ(s->recipients[1].last_reply, "451 4.3.0 try later");
    EXPECT_EQ(s->recipients[1].attempts, 1);
    EXPECT_EQ(s->last_attempt_at, 1010);
}

TEST_F(QueueStateTest, AFinalStatusNeverGoesBackToPending) {
    auto q = QueueState::open(file_);
    q->track(message("q1", 0));
    q->record_attempt("q1", 10, {{1, RecipientStatus::Bounced, "550 5.1.1 no such user", "mx"}}, 20);
    q->record_attempt("q1", 20, {{1, RecipientStatus::Pending, "421 4.4.2 timeout", "mx"}}, 30);
    auto s = q->find("q1");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->recipients[0].status, RecipientStatus::Bounced);
    EXPECT_EQ(s->attempts, 2);
}

TEST_F(QueueStateTest, ResultsForUnknownRecipientsOrMessagesAreNotRecorded) {
    auto q = QueueState::open(file_);
    q->track(message("q1", 0));
    q->record_attempt("q1", 10, {{7, RecipientStatus::Sent, "250 ok", "mx"}}, 20);
    EXPECT_TRUE(q->history("q1").empty());
    EXPECT_THROW(q->record_attempt("nope", 10, {}, 20), sqlite::Error);
}

TEST_F(QueueStateTest, HistoryIsNewestFirstAndBounded) {
    auto q = QueueState::open(file_);
    q->track(message("q1", 0));
    for (int i = 0; i < 130; ++i)
        q->record_attempt("q1", i, {{3, RecipientStatus::Pending, "451 " + std::to_string(i), "mx"}},
                          i + 1);
    auto h = q->history("q1");
    ASSERT_EQ(h.size(), QueueState::kHistoryPerMessage);
    EXPECT_EQ(h.front().reply, "451 129");
    EXPECT_EQ(h.front().status, "deferred");
    EXPECT_EQ(h.front().address, "carol@other.test");
    EXPECT_EQ(h.back().reply, "451 30");
}

TEST_F(QueueStateTest, ListIsSoonestFirstAndForgetRemovesEverything) {
    auto q = QueueState::open(file_);
    q->track(message("late", 500));
    q->track(message("soon", 100));
    q->record_attempt("late", 1, {{1, RecipientStatus::Pending, "451", "mx"}}, 50);
    auto all = q->list();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].queue_id, "late");  // rescheduled to 50
    EXPECT_EQ(all[1].queue_id, "soon");
    q->forget("late");
    EXPECT_FALSE(q->find("late"));
    EXPECT_TRUE(q->history("late").empty());
    EXPECT_EQ(q->forget_all_except({"other"}), 1u);
    EXPECT_TRUE(q->list().empty());
}

TEST_F(QueueStateTest, RequestsFromASecondConnectionAreTakenOnceInOrder) {
    auto server = QueueState::open(file_);
    server->track(message("q1", 100));
    {
        auto cli = QueueState::open(file_);  // what `mailwarden queue` does while serve runs
        auto seen = cli->find("q1");
        ASSERT_TRUE(seen);
        EXPECT_EQ(seen->pending(), 2u);
        cli->request("q1", Action::Bounce, 5);
        cli->request("*", Action::Retry, 6);
    }
    auto taken = server->take_requests();
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[0].queue_id, "q1");
    EXPECT_EQ(taken[0].action, Action::Bounce);
    EXPECT_EQ(taken[1].queue_id, "*");
    EXPECT_EQ(taken[1].action, Action::Retry);
    EXPECT_TRUE(server->take_requests().empty());
}

TEST_F(QueueStateTest, AFileFromANewerVersionIsRefusedWithTheFix) {
    { QueueState::open(file_); }
    {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(file_.c_str(), &raw), SQLITE_OK);
        sqlite::Database db(raw);
        sqlite::exec(db.get(), "test", "INSERT INTO schema_version (version) VALUES (99)");
    }
    try {
        QueueState::open(file_);
        FAIL() << "a newer schema must be refused";
    } catch (const sqlite::Error& e) {
        EXPECT_NE(std::string(e.what()).find("upgrade mailwarden"), std::string::npos) << e.what();
    }
}

TEST_F(QueueStateTest, ActionNamesRoundTrip) {
    for (auto a : {Action::Retry, Action::Delete, Action::Bounce})
        EXPECT_EQ(parse_action(to_string(a)), a);
    EXPECT_FALSE(parse_action("flush"));
}

}  // namespace
}  // namespace mw::queue
