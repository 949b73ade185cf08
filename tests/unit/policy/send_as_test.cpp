// Sender ownership (issue #3 part 5): an authenticated login may use as MAIL FROM only its own
// address, an alias pointing to it, or a send-as grant; the null sender is always allowed.
#include "policy/send_as.hpp"

#include "policy_fixture.hpp"

namespace mw::policy {
namespace {

using Strings = std::vector<std::string>;

class Issue3SenderOwnership : public testing::PolicyFixture {
protected:
    SenderDecision as_alice(std::string_view path) {
        return decide_sender("alice@example.org", parsed_sender(path), *dir_);
    }
};

TEST_F(Issue3SenderOwnership, OwnAddressInAnyCase) {
    RecordProperty("rfc", "issue #3 part 5; RFC 5321 §2.4 (domain case)");
    EXPECT_TRUE(as_alice("<alice@example.org>").allowed);
    EXPECT_TRUE(as_alice("<ALICE@Example.ORG>").allowed);
    EXPECT_TRUE(
        decide_sender("Alice@EXAMPLE.org", parsed_sender("<alice@example.org>"), *dir_).allowed);
}

TEST_F(Issue3SenderOwnership, AliasPointingToTheLogin) {
    RecordProperty("rfc", "issue #3 part 5 (alias)");
    ASSERT_TRUE(dir_->add_alias("team@example.org", {"alice@example.org", "bob@example.org"}).ok());
    EXPECT_TRUE(as_alice("<team@example.org>").allowed);
    EXPECT_FALSE(
        decide_sender("zed@zeta.test", parsed_sender("<team@example.org>"), *dir_).allowed);
}

TEST_F(Issue3SenderOwnership, SendAsGrant) {
    RecordProperty("rfc", "issue #3 part 5 (mailwarden user send-as add)");
    EXPECT_FALSE(as_alice("<boss@other.test>").allowed);
    ASSERT_TRUE(dir_->add_send_as("alice@example.org", "boss@other.test").ok());
    EXPECT_TRUE(as_alice("<Boss@OTHER.test>").allowed);
}

TEST_F(Issue3SenderOwnership, SomeoneElsesAddressIsRefusedWithTheOwnedList) {
    RecordProperty("rfc", "issue #3 part 5 (553 5.7.1 names the usable addresses)");
    ASSERT_TRUE(dir_->add_alias("info@example.org", {"alice@example.org"}).ok());
    auto d = as_alice("<bob@example.org>");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.owned, (Strings{"alice@example.org", "info@example.org"}));
}

TEST_F(Issue3SenderOwnership, NullSenderIsAllowedWhenAuthenticated) {
    RecordProperty("rfc", "RFC 5321 §4.5.5 (null reverse-path for notifications)");
    EXPECT_TRUE(as_alice("<>").allowed);
    EXPECT_FALSE(decide_sender("", parsed_sender("<>"), *dir_).allowed);
}

TEST_F(Issue3SenderOwnership, CatchAllGrantsNoSenderAddress) {
    RecordProperty("rfc", "issue #3 part 5 (catch-all receives only)");
    ASSERT_TRUE(dir_->add_alias("@example.org", {"alice@example.org"}).ok());
    EXPECT_FALSE(as_alice("<anything@example.org>").allowed);
}

TEST_F(Issue3SenderOwnership, AddressLiteralIsNeverOwned) {
    RecordProperty("rfc", "RFC 5321 §4.1.3");
    EXPECT_FALSE(as_alice("<alice@[127.0.0.1]>").allowed);
}

TEST_F(Issue3SenderOwnership, RoutingTricksInTheSenderAreNotOwned) {
    RecordProperty("rfc", "issue #3 part 4/5 (percent, bang, quoted '@')");
    EXPECT_FALSE(as_alice("<alice%example.org@other.test>").allowed);
    EXPECT_FALSE(as_alice("<example.org!alice@other.test>").allowed);
    EXPECT_FALSE(as_alice("<\"alice@example.org\"@other.test>").allowed);
    // A source route is ignored: the mailbox after it is what counts.
    EXPECT_TRUE(as_alice("<@other.test:alice@example.org>").allowed);
}

TEST_F(Issue3SenderOwnership, UnknownOrEmptyLoginOwnsNothing) {
    RecordProperty("rfc", "issue #3 part 5");
    EXPECT_FALSE(decide_sender("", parsed_sender("<alice@example.org>"), *dir_).allowed);
    auto d = decide_sender("ghost@example.org", parsed_sender("<ghost@example.org>"), *dir_);
    EXPECT_FALSE(d.allowed);
    EXPECT_TRUE(d.owned.empty());
}

TEST_F(Issue3SenderOwnership, VerdictForTheSmtpSession) {
    RecordProperty("rfc", "issue #3 part 5 (553 5.7.1 names the usable addresses)");
    ASSERT_TRUE(dir_->add_alias("info@example.org", {"alice@example.org"}).ok());
    smtp::CheckSender request;
    request.login = "alice@example.org";
    request.mailbox = parsed("<bob@example.org>");
    auto refused = check_sender(request, *dir_);
    EXPECT_FALSE(refused.ok);
    EXPECT_EQ(refused.allowed, "alice@example.org, info@example.org");
    request.mailbox = parsed("<Info@example.org>");
    EXPECT_TRUE(check_sender(request, *dir_).ok);
    request.null_sender = true;
    request.mailbox = {};
    EXPECT_TRUE(check_sender(request, *dir_).ok);
}

}  // namespace
}  // namespace mw::policy
