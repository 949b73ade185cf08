// Local delivery end to end against a real spool: files land in new/ byte-exact, tmp/ stays
// empty, unsafe paths are never written, and a failure at any filesystem step leaves nothing
// behind and the message is offered again.
#include "delivery/local_delivery.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <thread>

#include "support/faulty_fs_ops.hpp"
#include "unit/spool/spool_test_util.hpp"

namespace mw::delivery {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::commit_sync;
using test::make_body;
using test::make_envelope;

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
    return out;
}

std::size_t files_under(const fs::path& root) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(root, ec))
        if (e.is_regular_file()) ++n;
    return n;
}

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

struct Fixture {
    test::TempDir spool_dir, mail_root;
    std::unique_ptr<spool::Spool> spool = test::open_spool(spool_dir.path());
    LocalDeliveryOptions options() const {
        LocalDeliveryOptions o;
        o.mail_root = mail_root.path();
        o.hostname = "mx.example.net";
        o.threads = 2;
        o.retry_delay = 20ms;
        o.poll = 10ms;
        return o;
    }
    fs::path mailbox(const std::string& local, const std::string& domain = "example.org") const {
        return mail_root.path() / domain / local;
    }
};

TEST(LocalDeliveryMaildir, WritesExactBytesAfterTraceHeaders) {
    Fixture fx;
    std::string data = "Subject: exact\r\n\r\nline one\r\n..leading dot kept\r\n\xff\x01\r\n";
    auto out =
        commit_sync(*fx.spool, make_envelope({"bob@example.org", "carol@example.org"}), data);
    ASSERT_TRUE(out.ok);
    LocalDelivery d(*fx.spool, fx.options(), real_fs_ops());
    d.start();
    ASSERT_TRUE(wait_for([&] { return d.stats().messages == 1; }));
    d.stop();
    for (std::string who : {"bob", "carol"}) {
        auto news = files_in(fx.mailbox(who) / "new");
        ASSERT_EQ(news.size(), 1u) << who;
        EXPECT_TRUE(files_in(fx.mailbox(who) / "tmp").empty());
        EXPECT_TRUE(fs::is_directory(fx.mailbox(who) / "cur"));
        EXPECT_EQ(fs::status(fx.mailbox(who)).permissions() & fs::perms::all, fs::perms::owner_all);
        std::string content = test::read_file(news[0]);
        spool::Envelope env = make_envelope();
        env.queue_id = out.queue_id;
        std::string rcpt = who + "@example.org";
        EXPECT_EQ(content, trace_headers(env, rcpt, "mx.example.net", "\r\n") + data);
        std::string name = news[0].filename().string();
        EXPECT_TRUE(name.ends_with(".mx.example.net,S=" + std::to_string(content.size()))) << name;
    }
    EXPECT_EQ(fx.spool->stats().pending, 0u);
}

TEST(LocalDeliveryMaildir, BatchesManyMessagesWithUniqueNames) {
    Fixture fx;
    constexpr int kMessages = 40;
    for (int i = 0; i < kMessages; ++i)
        ASSERT_TRUE(commit_sync(*fx.spool,
                                make_envelope({"u" + std::to_string(i % 3) + "@example.org"}),
                                make_body(i))
                        .ok);
    LocalDelivery d(*fx.spool, fx.options(), real_fs_ops());
    d.start();
    ASSERT_TRUE(wait_for([&] { return d.stats().messages == kMessages; }));
    d.stop();
    std::set<std::string> names, bodies;
    for (int u = 0; u < 3; ++u) {
        auto dir = fx.mailbox("u" + std::to_string(u));
        EXPECT_TRUE(files_in(dir / "tmp").empty());
        for (const auto& p : files_in(dir / "new")) {
            names.insert(p.filename().string());
            std::string c = test::read_file(p);
            bodies.insert(c.substr(c.find("Subject:")));
        }
    }
    EXPECT_EQ(names.size(), static_cast<std::size_t>(kMessages));
    EXPECT_EQ(bodies.size(), static_cast<std::size_t>(kMessages));
    auto st = d.stats();
    EXPECT_EQ(st.files, static_cast<std::uint64_t>(kMessages));
    EXPECT_LE(st.dir_syncs, static_cast<std::uint64_t>(kMessages));
    std::printf("maildir: %llu files, %llu new/ syncs\n", static_cast<unsigned long long>(st.files),
                static_cast<unsigned long long>(st.dir_syncs));
}

TEST(LocalDeliveryMaildir, UnsafePathIsNeverWrittenAndDeferred) {
    Fixture fx;
    auto out =
        commit_sync(*fx.spool, make_envelope({"..@example.org", "ok@example.org"}), make_body(1));
    LocalDeliveryOptions o = fx.options();
    o.retry_delay = 1h;
    LocalDelivery d(*fx.spool, o, real_fs_ops());
    d.start();
    ASSERT_TRUE(wait_for([&] { return d.stats().deferred == 1; }));
    d.stop();
    EXPECT_EQ(files_under(fx.mail_root.path()), 1u);  // only ok@, nothing outside a mailbox
    EXPECT_EQ(files_in(fx.mailbox("ok") / "new").size(), 1u);
    EXPECT_FALSE(fs::exists(fx.mail_root.path() / "example.org" / ".." / "new"));
    EXPECT_EQ(fx.spool->stats().pending, 1u);  // kept in the spool
}

// Runs one delivery attempt with the n-th FsOps call failing. Returns false once no fault fired.
bool fault_step(long n, int err) {
    SCOPED_TRACE("fault at call " + std::to_string(n));
    Fixture fx;
    std::string data = make_body(1);
    auto out = commit_sync(*fx.spool, make_envelope({"bob@example.org", "eve@example.org"}), data);
    auto faulty = std::make_shared<test::FaultyFsOps>();
    faulty->arm({n, err, false, true});
    std::uint64_t done_early = 0;
    {
        LocalDelivery d(*fx.spool, fx.options(), faulty);
        d.start();
        EXPECT_TRUE(wait_for([&] { return d.stats().messages + d.stats().deferred > 0; }));
        d.stop();
        if (!faulty->failed()) {
            EXPECT_EQ(d.stats().messages, 1u);
            return false;
        }
        EXPECT_GE(d.stats().deferred, 1u);
        // With the short test retry delay a busy machine may already have run the retry
        // before stop(); that retry is the one the second phase would run.
        done_early = d.stats().messages;
        EXPECT_LE(done_early, 1u);
    }
    if (done_early == 0) {
        std::size_t in_new = 0;
        for (std::string who : {"bob", "eve"}) {
            EXPECT_TRUE(files_in(fx.mailbox(who) / "tmp").empty()) << faulty->failed_op();
            in_new += files_in(fx.mailbox(who) / "new").size();
        }
        EXPECT_LE(in_new, 1u) << "only the recipient not hit by the fault may be done";
    }
    // Offered again after the retry delay; the retry completes without duplicating anyone.
    faulty->disarm();
    if (done_early == 0) {
        LocalDelivery again(*fx.spool, fx.options(), faulty);
        again.start();
        EXPECT_TRUE(wait_for([&] { return again.stats().messages == 1; }));
        again.stop();
    }
    for (std::string who : {"bob", "eve"}) {
        auto news = files_in(fx.mailbox(who) / "new");
        EXPECT_EQ(news.size(), 1u) << who << ": delivered once, never twice";
        if (!news.empty()) {
            EXPECT_TRUE(test::read_file(news[0]).ends_with(data));
        }
        EXPECT_TRUE(files_in(fx.mailbox(who) / "tmp").empty());
    }
    return true;
}

TEST(LocalDeliveryFailMatrix, EveryStepFailsCleanlyAndIsRetried) {
    long n = 0;
    while (n < 80 && fault_step(n, ENOSPC)) ++n;
    std::printf("maildir fail matrix: %ld failing steps\n", n);
    EXPECT_GE(n, 15);  // mkdirs, parent syncs, open, write, fsync, close, rename, sync new/
    EXPECT_LT(n, 80);
}

TEST(LocalDeliveryMaildir, PartialFailureRetriesOnlyTheMissingRecipient) {
    Fixture fx;
    auto out =
        commit_sync(*fx.spool, make_envelope({"bob@example.org", "eve@example.org"}), make_body(1));
    auto faulty = std::make_shared<test::FaultyFsOps>();
    LocalDeliveryOptions o = fx.options();
    o.threads = 1;
    LocalDelivery d(*fx.spool, o, faulty);
    // bob takes calls 0..12 (6 mkdir, 3 parent syncs, open, write, fsync, close); call 19 is
    // one of eve's mailbox-creation syncs, so only eve fails on the first attempt.
    faulty->arm({19, ENOSPC, false, false});
    d.start();
    ASSERT_TRUE(wait_for([&] { return d.stats().messages == 1; }));
    d.stop();
    EXPECT_TRUE(faulty->failed());
    EXPECT_EQ(d.stats().deferred, 1u);
    EXPECT_EQ(files_in(fx.mailbox("bob") / "new").size(), 1u);  // not twice
    EXPECT_EQ(files_in(fx.mailbox("eve") / "new").size(), 1u);
}

// The crash window of docs/spool.md: the file reached the mailbox (and a client already moved
// it to cur/), but the delivered record did not reach the spool. The next attempt must find the
// file by its per-message name and not deliver a second copy.
TEST(LocalDeliveryMaildir, RedeliveryAfterCrashFindsTheFileAndWritesNoCopy) {
    Fixture fx;
    std::string data = make_body(7);
    auto out = commit_sync(*fx.spool, make_envelope({"bob@example.org"}), data);
    ASSERT_TRUE(out.ok);
    spool::Envelope env = make_envelope({"bob@example.org"});
    env.queue_id = out.queue_id;
    std::string content =
        trace_headers(env, "bob@example.org", "mx.example.net", line_ending_of(data)) + data;
    std::string name = delivery_name(env, 0, escape_hostname("mx.example.net"), content.size());
    fs::create_directories(fx.mailbox("bob") / "cur");
    fs::create_directories(fx.mailbox("bob") / "new");
    fs::create_directories(fx.mailbox("bob") / "tmp");
    {
        std::ofstream f(fx.mailbox("bob") / "cur" / (name + ":2,S"), std::ios::binary);
        f << content;
    }
    LocalDelivery d(*fx.spool, fx.options(), real_fs_ops());
    d.start();
    ASSERT_TRUE(wait_for([&] { return fx.spool->stats().delivered == 1; }));
    d.stop();
    EXPECT_TRUE(files_in(fx.mailbox("bob") / "new").empty());
    EXPECT_EQ(files_in(fx.mailbox("bob") / "cur").size(), 1u);
    EXPECT_TRUE(files_in(fx.mailbox("bob") / "tmp").empty());
}

// Relayed recipients (issue #3) have no mailbox here: their copy waits in the spool for outbound
// delivery, the local copy is written, and nothing is ever written under the remote domain.
TEST(LocalDeliveryMaildir, RemoteRecipientsStayQueuedAndAreNeverWrittenLocally) {
    Fixture fx;
    auto out = commit_sync(*fx.spool, make_envelope({"bob@example.org", "carol@remote.example"}),
                           make_body(3));
    ASSERT_TRUE(out.ok);
    auto options = fx.options();
    options.is_local = [](std::string_view rcpt) { return rcpt.ends_with("@example.org"); };
    LocalDelivery d(*fx.spool, options, real_fs_ops());
    d.start();
    ASSERT_TRUE(wait_for([&] { return files_in(fx.mailbox("bob") / "new").size() == 1; }));
    ASSERT_TRUE(wait_for([&] { return d.stats().deferred >= 1; }));
    d.stop();
    EXPECT_EQ(fx.spool->stats().delivered, 0u);
    EXPECT_EQ(fx.spool->stats().pending, 1u);
    EXPECT_FALSE(fs::exists(fx.mail_root.path() / "remote.example"));
}

}  // namespace
}  // namespace mw::delivery
