#include "delivery/maildir.hpp"

#include <gtest/gtest.h>

#include <set>

#include "unit/spool/spool_test_util.hpp"

namespace mw::delivery {
namespace {

TEST(MaildirPathSafety, RefusesComponentsThatLeaveTheRoot) {
    using namespace std::string_literals;
    for (std::string bad :
         {"..@example.org"s, ".@example.org"s, "@example.org"s, "bob@"s, "bob@.."s, "bob@."s,
          "a/b@example.org"s, "bob@ex/ample.org"s, "../../etc@example.org"s, "bob"s,
          "b\0b@example.org"s, "bob@exa\0mple.org"s})
        EXPECT_FALSE(mailbox_for(bad)) << bad;
    auto mb = mailbox_for("first.last+tag@example.org");
    ASSERT_TRUE(mb);
    EXPECT_EQ(mb->local, "first.last+tag");
    EXPECT_EQ(mb->domain, "example.org");
    auto quoted = mailbox_for("\"a@b\"@example.org");  // split at the last '@'
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->local, "\"a@b\"");
}

TEST(MaildirUniqueNames, DeliveryNamesAreStablePerMessageAndRecipient) {
    EXPECT_EQ(escape_hostname("mx:1/a"), "mx\\0721\\057a");
    spool::Envelope e = test::make_envelope({"a@example.org", "b@example.org"});
    e.queue_id = "001k10sdk5xg393c1";
    std::string host = escape_hostname("mx:1");
    EXPECT_EQ(delivery_name(e, 0, host, 42), "1700000000.Q001k10sdk5xg393c1R0.mx\\0721,S=42");
    // Same message and recipient: same name on every attempt (a retry can find it).
    EXPECT_EQ(delivery_name(e, 1, host, 42), delivery_name(e, 1, host, 42));
    std::set<std::string> names;
    for (int q = 0; q < 50; ++q) {
        e.queue_id = "q" + std::to_string(q);
        for (std::size_t r = 0; r < 2; ++r) names.insert(delivery_name(e, r, host, 42));
    }
    EXPECT_EQ(names.size(), 100u);
    for (const auto& n : names) EXPECT_EQ(n.find('/'), std::string::npos) << n;
}

TEST(MaildirUniqueNames, ContainsFindsNewAndClientMovedCurFiles) {
    test::TempDir root;
    Maildir md(root.path(), real_fs_ops());
    std::string dir;
    ASSERT_EQ(md.ensure(MailboxPath{"example.org", "bob"}, dir), 0);
    EXPECT_FALSE(md.contains(dir, "1.Qabc", true));
    ASSERT_EQ(md.write_tmp(dir, "1.Qabc", "x"), 0);
    EXPECT_FALSE(md.contains(dir, "1.Qabc", true));  // tmp/ does not count
    ASSERT_EQ(md.publish(dir, "1.Qabc"), 0);
    EXPECT_TRUE(md.contains(dir, "1.Qabc", false));
    std::filesystem::rename(dir + "/new/1.Qabc", dir + "/cur/1.Qabc:2,S");
    EXPECT_FALSE(md.contains(dir, "1.Qabc", false));
    EXPECT_TRUE(md.contains(dir, "1.Qabc", true));
    EXPECT_FALSE(md.contains(dir, "1.Qab", true));  // a prefix of another name is not a match
}

TEST(MaildirQuota, MailboxBytesCountsNewAndCurButNotTmp) {
    test::TempDir root;
    Maildir md(root.path(), real_fs_ops());
    EXPECT_EQ(mailbox_bytes(root.path(), "bob@example.org"), 0u);  // no mailbox yet
    std::string dir;
    ASSERT_EQ(md.ensure(MailboxPath{"example.org", "bob"}, dir), 0);
    ASSERT_EQ(md.write_tmp(dir, "1.Qa.mx,S=1000", "x"), 0);  // the name's size is trusted
    ASSERT_EQ(md.publish(dir, "1.Qa.mx,S=1000"), 0);
    ASSERT_EQ(md.write_tmp(dir, "2.Qb.mx,S=500", "y"), 0);
    ASSERT_EQ(md.publish(dir, "2.Qb.mx,S=500"), 0);
    std::filesystem::rename(dir + "/new/2.Qb.mx,S=500", dir + "/cur/2.Qb.mx,S=500:2,S");
    ASSERT_EQ(md.write_tmp(dir, "3.other", std::string(77, 'z')), 0);  // no S=: stat
    ASSERT_EQ(md.publish(dir, "3.other"), 0);
    ASSERT_EQ(md.write_tmp(dir, "4.Qd.mx,S=9999", "in flight"), 0);  // tmp/ does not count
    EXPECT_EQ(mailbox_bytes(root.path(), "bob@example.org"), 1577u);
    EXPECT_EQ(mailbox_bytes(root.path(), "../escape@example.org"), 0u);
}

TEST(MaildirUniqueNames, StaleTmpFilesOfThisHostAreRemoved) {
    test::TempDir root;
    Maildir md(root.path(), real_fs_ops());
    std::string dir;
    ASSERT_EQ(md.ensure(MailboxPath{"example.org", "bob"}, dir), 0);
    ASSERT_EQ(md.write_tmp(dir, "1.Qa.mx,S=10", "partial"), 0);
    ASSERT_EQ(md.write_tmp(dir, "1.M1P1.otherhost,S=10", "not ours"), 0);
    EXPECT_EQ(md.remove_stale_tmp("mx"), 1u);
    EXPECT_FALSE(std::filesystem::exists(dir + "/tmp/1.Qa.mx,S=10"));
    EXPECT_TRUE(std::filesystem::exists(dir + "/tmp/1.M1P1.otherhost,S=10"));
}

TEST(MaildirTraceHeaders, Rfc5322DateIsUtcAndLocaleFree) {
    EXPECT_EQ(rfc5322_date(1700000000), "Tue, 14 Nov 2023 22:13:20 +0000");
    EXPECT_EQ(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
}

TEST(MaildirTraceHeaders, FollowTheMessageLineEnding) {
    EXPECT_EQ(line_ending_of("a\r\nb\n"), "\r\n");
    EXPECT_EQ(line_ending_of("a\nb\r\n"), "\n");
    EXPECT_EQ(line_ending_of("no line end"), "\r\n");
}

TEST(MaildirTraceHeaders, ReturnPathAndFoldedReceived) {
    spool::Envelope e = test::make_envelope();
    e.queue_id = "0123456789abcdefg";
    std::string h = trace_headers(e, "bob@example.org", "mx.example.net", "\r\n");
    EXPECT_EQ(h,
              "Return-Path: <alice@example.com>\r\n"
              "Received: from client.example.com ([203.0.113.5])\r\n"
              "\tby mx.example.net (mailwarden) with ESMTP id 0123456789abcdefg\r\n"
              "\tfor <bob@example.org>; Tue, 14 Nov 2023 22:13:20 +0000\r\n");
    e.sender = "";
    e.helo = "evil\r\nX-Injected: 1";
    std::string lf = trace_headers(e, "bob@example.org", "mx", "\n");
    EXPECT_EQ(lf.rfind("Return-Path: <>\n", 0), 0u);
    EXPECT_EQ(lf.find("\r"), std::string::npos);  // no header injection, one line-end style
    EXPECT_EQ(lf.find("\nX-Injected"), std::string::npos);
    for (std::size_t start = 0, end; (end = lf.find('\n', start)) != std::string::npos;
         start = end + 1)
        EXPECT_LE(end - start, 78u) << lf;
}

}  // namespace
}  // namespace mw::delivery
