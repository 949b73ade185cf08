// UserNotices on a server-like setup: the real segment spool, the real SQLite directory and
// local delivery into a temporary Maildir. A notice must arrive in the account's Maildir exactly
// once per cause, however many refusals arrive at once and across a restart; nothing for an
// address that is not a user, for other causes, or when notices are off.
#include "notice/user_notices.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "delivery/local_delivery.hpp"
#include "unit/spool/spool_test_util.hpp"

namespace mw::notice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = 10'000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

std::vector<std::string> maildir_messages(const fs::path& mailbox) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(mailbox / "new", ec)) {
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream buf;
        buf << in.rdbuf();
        out.push_back(buf.str());
    }
    return out;
}

// The data directory of a small server: spool, directory with example.org and alice, Maildirs.
struct Server {
    test::TempDir data;
    std::unique_ptr<spool::Spool> spool;
    std::unique_ptr<directory::Directory> dir;
    std::unique_ptr<delivery::LocalDelivery> delivery;

    Server() {
        auto opened = spool::Spool::open(data.path() / "spool", {}, real_fs_ops());
        EXPECT_TRUE(opened.ok());
        spool = std::move(*opened);
        auto d = directory::open_sqlite_directory(data.path() / "directory.sqlite3");
        EXPECT_TRUE(d.ok());
        dir = std::move(*d);
        EXPECT_TRUE(dir->add_domain("example.org").ok());
        EXPECT_TRUE(dir->add_user("alice@example.org", "$argon2id$not-used-here").ok());
        delivery::LocalDeliveryOptions o;
        o.mail_root = data.path() / "mail";
        o.hostname = "mail.example.org";
        o.threads = 1;
        o.poll = 10ms;
        o.is_local = [this](std::string_view rcpt) {
            return dir->is_local_domain(rcpt.substr(rcpt.rfind('@') + 1));
        };
        delivery = std::make_unique<delivery::LocalDelivery>(*spool, o, real_fs_ops());
        delivery->start();
    }
    ~Server() {
        delivery->stop();
        spool->shutdown();
    }
    UserNoticesOptions options(bool enabled = true) const {
        UserNoticesOptions o;
        o.enabled = enabled;
        o.server = {"mail.example.org",
                    {{"mx", {25}}, {"submission", {587}}, {"submissions", {465}}},
                    std::chrono::seconds(86400)};
        o.store_file = data.path() / "notices.sqlite3";
        return o;
    }
    fs::path mailbox(const std::string& local) const {
        return data.path() / "mail" / "example.org" / local;
    }
    std::vector<std::string> alice() const { return maildir_messages(mailbox("alice")); }
};

Refusal refusal(std::string cause, std::string ref = "K7QF2",
                std::string account = "alice@example.org") {
    return {std::move(account), std::move(cause),
            Clock::now(),       "203.0.113.7",
            "submission",       true,
            std::move(ref),     ""};
}

TEST(UserNotices, ManyRefusalsAtOnceGiveOneNoticeInTheMaildir) {
    Server s;
    UserNotices notices(s.options(), *s.spool, *s.dir);
    notices.start();
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&notices, i] {
            for (int k = 0; k < 5; ++k)
                notices.offer(refusal("auth_failed", "R" + std::to_string(i * 5 + k)));
        });
    for (auto& t : threads) t.join();
    ASSERT_TRUE(notices.wait_idle(10s));
    ASSERT_TRUE(wait_for([&] { return s.alice().size() >= 1; })) << "no notice delivered";
    std::this_thread::sleep_for(100ms);  // a second one, if it existed, would be there by now
    auto messages = s.alice();
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_NE(messages[0].find("Return-Path: <>"), std::string::npos) << messages[0];
    EXPECT_NE(messages[0].find("\r\nAuto-Submitted: auto-generated\r\n"), std::string::npos);
    EXPECT_NE(messages[0].find("\r\nX-Mailwarden-Notice: auth_failed; ref=R"), std::string::npos);
    EXPECT_NE(messages[0].find("Sign-in refused: wrong password"), std::string::npos);
    auto st = notices.stats();
    EXPECT_EQ(st.offered, 40u);
    EXPECT_EQ(st.queued, 1u);
    EXPECT_EQ(st.repeated, 39u);
}

TEST(UserNotices, DifferentCausesGiveSeparateNotices) {
    Server s;
    UserNotices notices(s.options(), *s.spool, *s.dir);
    notices.start();
    notices.offer(refusal("auth_failed", "A1"));
    auto sender = refusal("sender_not_owned", "B2");
    sender.detail = "boss@example.org";
    notices.offer(sender);
    notices.offer(refusal("auth_failed", "A3"));
    ASSERT_TRUE(notices.wait_idle(10s));
    ASSERT_TRUE(wait_for([&] { return s.alice().size() >= 2; }));
    std::this_thread::sleep_for(100ms);
    auto messages = s.alice();
    ASSERT_EQ(messages.size(), 2u);
    std::string both = messages[0] + messages[1];
    EXPECT_NE(both.find("X-Mailwarden-Notice: auth_failed; ref=A1"), std::string::npos);
    EXPECT_NE(both.find("X-Mailwarden-Notice: sender_not_owned; ref=B2"), std::string::npos);
    EXPECT_EQ(both.find("ref=A3"), std::string::npos);
}

TEST(UserNotices, ARestartDoesNotSendTheSameNoticeAgain) {
    Server s;
    {
        UserNotices first(s.options(), *s.spool, *s.dir);
        first.start();
        first.offer(refusal("ip_banned", "Z1"));
        ASSERT_TRUE(first.wait_idle(10s));
        EXPECT_EQ(first.stats().queued, 1u);
    }
    UserNotices second(s.options(), *s.spool, *s.dir);
    second.start();
    second.offer(refusal("ip_banned", "Z2"));
    ASSERT_TRUE(second.wait_idle(10s));
    EXPECT_EQ(second.stats().queued, 0u);
    EXPECT_EQ(second.stats().repeated, 1u);
    ASSERT_TRUE(wait_for([&] { return s.alice().size() >= 1; }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(s.alice().size(), 1u);
}

TEST(UserNotices, TheAccountIsFoundWhateverItsCase) {
    Server s;
    UserNotices notices(s.options(), *s.spool, *s.dir);
    notices.start();
    notices.offer(refusal("auth_failed", "C1", "Alice@EXAMPLE.org"));
    ASSERT_TRUE(notices.wait_idle(10s));
    ASSERT_TRUE(wait_for([&] { return s.alice().size() >= 1; }));
    EXPECT_NE(s.alice()[0].find("To: <alice@example.org>"), std::string::npos);
}

TEST(UserNotices, AnAddressThatIsNotAUserGetsNothingAndNoMailbox) {
    Server s;
    UserNotices notices(s.options(), *s.spool, *s.dir);
    notices.start();
    notices.offer(refusal("auth_failed", "U1", "nobody@example.org"));
    notices.offer(refusal("mail_client_wrong_port", "U2", "someone@elsewhere.example"));
    ASSERT_TRUE(notices.wait_idle(10s));
    EXPECT_EQ(notices.stats().not_a_user, 2u);
    EXPECT_EQ(notices.stats().queued, 0u);
    std::this_thread::sleep_for(100ms);
    EXPECT_FALSE(fs::exists(s.mailbox("nobody")));
    EXPECT_FALSE(fs::exists(s.data.path() / "mail" / "elsewhere.example"));
}

TEST(UserNotices, OtherCausesAndDisabledNoticesSendNothing) {
    Server s;
    {
        UserNotices notices(s.options(), *s.spool, *s.dir);
        notices.start();
        notices.offer(refusal("relay_unauthenticated"));
        notices.offer(refusal("message_too_big"));
        ASSERT_TRUE(notices.wait_idle(10s));
        EXPECT_EQ(notices.stats().ignored, 2u);
    }
    fs::remove(s.data.path() / "notices.sqlite3");
    UserNotices off(s.options(false), *s.spool, *s.dir);
    off.start();
    off.offer(refusal("auth_failed"));
    ASSERT_TRUE(off.wait_idle(10s));
    EXPECT_EQ(off.stats().ignored, 1u);
    EXPECT_FALSE(fs::exists(s.data.path() / "notices.sqlite3"));
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(s.alice().empty());
}

TEST(UserNotices, AFailedCommitGivesTheClaimBack) {
    Server s;
    UserNotices notices(s.options(), *s.spool, *s.dir);
    notices.start();
    s.spool->shutdown();  // every commit now fails with "shutting down"
    notices.offer(refusal("auth_failed", "F1"));
    ASSERT_TRUE(notices.wait_idle(10s));
    EXPECT_EQ(notices.stats().failed, 1u);
    NoticeStore store(s.data.path() / "notices.sqlite3");
    EXPECT_FALSE(store.last_sent("alice@example.org", "auth_failed"));
    // And the next refusal tries again (and fails again here, but is not "repeated").
    notices.offer(refusal("auth_failed", "F2"));
    ASSERT_TRUE(notices.wait_idle(10s));
    EXPECT_EQ(notices.stats().failed, 2u);
    EXPECT_EQ(notices.stats().repeated, 0u);
}

TEST(UserNoticesOptions, ComeFromTheListenersHostnameAndInterval) {
    config::Settings settings = config::default_settings();
    settings.hostname = "mail.example.org";
    settings.notices.interval = "12h";
    settings.listeners[0].addresses = {"0.0.0.0:25", "[::]:25"};
    settings.listeners[2].enabled = false;
    auto o = user_notices_options(settings);
    ASSERT_TRUE(o.ok()) << o.error();
    EXPECT_TRUE(o->enabled);
    EXPECT_EQ(o->server.hostname, "mail.example.org");
    EXPECT_EQ(o->server.repeat_after, std::chrono::hours(12));
    ASSERT_EQ(o->server.listeners.size(), 2u);
    EXPECT_EQ(o->server.listeners[0].name, "mx");
    EXPECT_EQ(o->server.listeners[0].ports, std::vector<std::uint16_t>{25});
    EXPECT_EQ(o->server.listeners[1].name, "submission");
    EXPECT_EQ(o->store_file, settings.data_dir / "notices.sqlite3");
    settings.notices.interval = "soon";
    auto bad = user_notices_options(settings);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().find("notices.interval"), std::string::npos);
}

}  // namespace
}  // namespace mw::notice
