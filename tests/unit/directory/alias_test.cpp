// Aliases, catch-alls and send-as grants in the SQLite directory (issue #3 part 5), and the
// lookups the relay policy builds on (resolve_recipient, may_send_as, owned_addresses).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "directory/directory.hpp"

namespace mw::directory {
namespace {

namespace fs = std::filesystem;
using Kind = Resolution::Kind;
using Strings = std::vector<std::string>;

class DirectoryAliases : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("mw-alias-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_);
        auto d = open_sqlite_directory(sqlite_directory_file(root_));
        ASSERT_TRUE(d.ok()) << d.error();
        dir_ = std::move(d).value();
        ASSERT_TRUE(dir_->add_domain("example.org").ok());
        ASSERT_TRUE(dir_->add_domain("b.test").ok());
        ASSERT_TRUE(dir_->add_user("alice@example.org", "h").ok());
        ASSERT_TRUE(dir_->add_user("bob@example.org", "h").ok());
    }
    void TearDown() override {
        dir_.reset();
        fs::remove_all(root_);
    }

    fs::path root_;
    std::unique_ptr<Directory> dir_;
};

TEST_F(DirectoryAliases, AliasDeliversToSeveralMailboxes) {
    RecordProperty("rfc", "issue #3 part 5");
    auto a = dir_->add_alias("Team@Example.ORG.", {"bob@example.org", "ALICE@example.org"});
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->address, "team@example.org");
    EXPECT_EQ(a->targets, (Strings{"alice@example.org", "bob@example.org"}));
    auto r = dir_->resolve_recipient("TEAM@example.org");
    EXPECT_EQ(r.kind, Kind::Alias);
    EXPECT_EQ(r.targets, (Strings{"alice@example.org", "bob@example.org"}));
    // Adding again extends the alias; duplicates are ignored.
    a = dir_->add_alias("team@example.org", {"alice@example.org", "ext@other.test"});
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_EQ(a->targets, (Strings{"alice@example.org", "bob@example.org", "ext@other.test"}));
    ASSERT_EQ(dir_->list_aliases().size(), 1u);
    EXPECT_TRUE(dir_->remove_alias("team@EXAMPLE.org").ok());
    EXPECT_EQ(dir_->resolve_recipient("team@example.org").kind, Kind::Unknown);
    EXPECT_EQ(dir_->remove_alias("team@example.org").error(),
              "alias team@example.org does not exist");
}

TEST_F(DirectoryAliases, ResolveOrderUserAliasCatchAllUnknown) {
    RecordProperty("rfc", "issue #3 part 5");
    ASSERT_TRUE(dir_->add_alias("sales@example.org", {"bob@example.org"}).ok());
    ASSERT_TRUE(dir_->add_alias("@example.org", {"alice@example.org"}).ok());
    auto user = dir_->resolve_recipient("Bob@Example.org.");
    EXPECT_EQ(user.kind, Kind::User);
    EXPECT_EQ(user.targets, Strings{"bob@example.org"});
    EXPECT_EQ(dir_->resolve_recipient("sales@example.org").targets, Strings{"bob@example.org"});
    auto any = dir_->resolve_recipient("whoever@example.org");
    EXPECT_EQ(any.kind, Kind::CatchAll);
    EXPECT_EQ(any.targets, Strings{"alice@example.org"});
    EXPECT_EQ(dir_->resolve_recipient("x@b.test").kind, Kind::Unknown);  // no catch-all there
    EXPECT_EQ(dir_->resolve_recipient("x@other.test").kind, Kind::NotLocal);
    EXPECT_EQ(dir_->resolve_recipient("x@[127.0.0.1]").kind, Kind::NotLocal);
    EXPECT_EQ(dir_->resolve_recipient("no-at-sign").kind, Kind::NotLocal);
    // A local part that is not a valid mailbox name never reaches the catch-all.
    EXPECT_EQ(dir_->resolve_recipient("a/b@example.org").kind, Kind::Unknown);
    EXPECT_EQ(dir_->resolve_recipient("user@other.test@example.org").kind, Kind::Unknown);
    ASSERT_EQ(dir_->list_aliases("example.org").size(), 2u);
    EXPECT_EQ(dir_->list_aliases()[0].address, "@example.org");  // catch-all sorts first
}

TEST_F(DirectoryAliases, AliasRefusalsSayWhatToDo) {
    RecordProperty("rfc", "issue #3 part 5");
    EXPECT_EQ(dir_->add_alias("alice@example.org", {"bob@example.org"}).error(),
              "alice@example.org is an account: an alias may not have the name of a user (pick "
              "another name, or remove the user first)");
    EXPECT_EQ(dir_->add_alias("x@other.test", {"bob@example.org"}).error(),
              "domain other.test is not hosted here: add it first with 'mailwarden domain add "
              "other.test'");
    EXPECT_EQ(dir_->add_alias("x@example.org", {}).error(),
              "alias x@example.org needs at least one target: mailwarden alias add ALIAS "
              "TARGET...");
    EXPECT_EQ(dir_->add_alias("x@example.org", {"nobody@example.org"}).error(),
              "alias target nobody@example.org is not an account here: targets in a hosted "
              "domain must be users (no alias chains); create it with 'mailwarden user add "
              "nobody@example.org'");
    EXPECT_EQ(dir_->add_alias("x@example.org", {"not-an-address"}).error(),
              "alias target: 'not-an-address' is not an email address: expected "
              "local-part@domain");
    EXPECT_TRUE(dir_->list_aliases().empty());  // nothing half-created
    ASSERT_TRUE(dir_->add_alias("x@example.org", {"bob@example.org"}).ok());
    EXPECT_EQ(dir_->add_user("X@example.org", "h").error(),
              "x@example.org is an alias: remove it first with 'mailwarden alias remove "
              "x@example.org'");
    EXPECT_EQ(dir_->remove_domain("example.org").error(),
              "domain example.org still has 2 user(s) and 1 alias(es): remove them first "
              "(mailwarden user list --domain example.org; mailwarden alias list --domain "
              "example.org)");
}

TEST_F(DirectoryAliases, RemovedUserDropsOutOfAliases) {
    RecordProperty("rfc", "issue #3 part 5");
    ASSERT_TRUE(dir_->add_alias("team@example.org", {"alice@example.org", "bob@example.org"}).ok());
    ASSERT_TRUE(dir_->add_alias("solo@example.org", {"bob@example.org"}).ok());
    ASSERT_TRUE(dir_->remove_user("bob@example.org").ok());
    EXPECT_EQ(dir_->resolve_recipient("team@example.org").targets, Strings{"alice@example.org"});
    EXPECT_EQ(dir_->resolve_recipient("solo@example.org").kind, Kind::Unknown);
}

TEST_F(DirectoryAliases, SendAsGrantsAndOwnership) {
    RecordProperty("rfc", "issue #3 part 5");
    ASSERT_TRUE(dir_->add_alias("team@example.org", {"alice@example.org", "bob@example.org"}).ok());
    ASSERT_TRUE(dir_->add_alias("@example.org", {"alice@example.org"}).ok());
    ASSERT_TRUE(dir_->add_send_as("Alice@example.org", "Boss@Other.test").ok());
    EXPECT_EQ(dir_->add_send_as("alice@example.org", "boss@other.test").error(),
              "alice@example.org may already send as boss@other.test");
    EXPECT_EQ(dir_->add_send_as("nobody@example.org", "boss@other.test").error(),
              "user nobody@example.org does not exist");
    EXPECT_EQ(dir_->add_send_as("alice@example.org", "ALICE@example.org").error(),
              "alice@example.org is the user's own address: no grant needed");
    EXPECT_EQ(dir_->list_send_as("alice@example.org"), Strings{"boss@other.test"});

    EXPECT_TRUE(dir_->may_send_as("alice@example.org", "Alice@EXAMPLE.org."));
    EXPECT_TRUE(dir_->may_send_as("ALICE@example.org", "team@example.org"));
    EXPECT_TRUE(dir_->may_send_as("alice@example.org", "boss@other.test"));
    EXPECT_FALSE(dir_->may_send_as("bob@example.org", "boss@other.test"));
    EXPECT_FALSE(dir_->may_send_as("bob@example.org", "alice@example.org"));
    // The catch-all receives for the domain but grants no sender addresses.
    EXPECT_FALSE(dir_->may_send_as("alice@example.org", "random@example.org"));
    EXPECT_FALSE(dir_->may_send_as("nobody@example.org", "nobody@example.org"));
    EXPECT_EQ(dir_->owned_addresses("Alice@example.org"),
              (Strings{"alice@example.org", "boss@other.test", "team@example.org"}));
    EXPECT_TRUE(dir_->owned_addresses("nobody@example.org").empty());

    ASSERT_TRUE(dir_->remove_send_as("alice@example.org", "boss@other.test").ok());
    EXPECT_FALSE(dir_->may_send_as("alice@example.org", "boss@other.test"));
    EXPECT_EQ(dir_->remove_send_as("alice@example.org", "boss@other.test").error(),
              "alice@example.org has no send-as grant for boss@other.test (see mailwarden user "
              "send-as list alice@example.org)");
    ASSERT_TRUE(dir_->add_send_as("bob@example.org", "boss@other.test").ok());
    ASSERT_TRUE(dir_->remove_user("bob@example.org").ok());  // grants go with the user
    ASSERT_TRUE(dir_->add_user("bob@example.org", "h").ok());
    EXPECT_TRUE(dir_->list_send_as("bob@example.org").empty());
}

TEST_F(DirectoryAliases, SetPasswordHash) {
    ASSERT_TRUE(dir_->set_password_hash("ALICE@example.org", "$6$new").ok());
    EXPECT_EQ(dir_->find_user("alice@example.org")->password_hash, "$6$new");
    EXPECT_EQ(dir_->set_password_hash("zz@example.org", "x").error(),
              "user zz@example.org does not exist");
    EXPECT_EQ(dir_->set_password_hash("alice@example.org", "").error(), "empty password hash");
}

}  // namespace
}  // namespace mw::directory
