#include "directory/directory.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace mw::directory {
namespace {

namespace fs = std::filesystem;

class SqliteDirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("mw-directory-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<Directory> open() {
        auto d = open_sqlite_directory(sqlite_directory_file(dir_));
        EXPECT_TRUE(d.ok()) << d.error();
        return std::move(d).value();
    }

    fs::path dir_;
};

TEST_F(SqliteDirectoryTest, AddFindListRemove) {
    auto d = open();
    EXPECT_TRUE(d->list_domains().empty());
    ASSERT_TRUE(d->add_domain("Example.Test").ok());
    ASSERT_TRUE(d->add_domain("b.test").ok());
    EXPECT_EQ(d->list_domains(), (std::vector<std::string>{"b.test", "example.test"}));

    auto u = d->add_user("Alice@EXAMPLE.test", "$argon2id$x");
    ASSERT_TRUE(u.ok()) << u.error();
    EXPECT_EQ(u->address, "alice@example.test");
    ASSERT_TRUE(d->add_user("zed@b.test", "h2").ok());

    auto found = d->find_user("alice@example.test");
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->password_hash, "$argon2id$x");
    EXPECT_EQ(found->local_part, "alice");
    EXPECT_EQ(found->domain, "example.test");
    EXPECT_FALSE(d->find_user("bob@example.test").has_value());

    EXPECT_EQ(d->list_users().size(), 2u);
    auto only = d->list_users("B.TEST.");
    ASSERT_EQ(only.size(), 1u);
    EXPECT_EQ(only[0].address, "zed@b.test");

    ASSERT_TRUE(d->remove_user("ALICE@example.test").ok());
    EXPECT_FALSE(d->find_user("alice@example.test").has_value());
    ASSERT_TRUE(d->remove_domain("example.test").ok());
    EXPECT_FALSE(d->is_local_domain("example.test"));
}

TEST_F(SqliteDirectoryTest, LookupsIgnoreCaseAndTrailingDot) {
    auto d = open();
    ASSERT_TRUE(d->add_domain("example.test").ok());
    ASSERT_TRUE(d->add_user("J\xc3\x9crgen@example.test", "h").ok());
    EXPECT_TRUE(d->is_local_domain("EXAMPLE.test."));
    EXPECT_TRUE(d->find_user("j\xc3\x9crgen@Example.Test.").has_value());
    EXPECT_TRUE(d->find_user("J\xc3\x9crgen@example.test").has_value());
    // Non-ASCII letters are not case-folded: U+00FC is not U+00DC.
    EXPECT_FALSE(d->find_user("j\xc3\xbcrgen@example.test").has_value());
    EXPECT_FALSE(d->find_user("not an address").has_value());
}

TEST_F(SqliteDirectoryTest, ValidationErrorsSayWhatIsWrong) {
    auto d = open();
    ASSERT_TRUE(d->add_domain("example.test").ok());
    EXPECT_EQ(d->add_domain("EXAMPLE.test").error(), "domain example.test is already hosted here");
    EXPECT_EQ(d->add_domain("bad_domain").error(),
              "'bad_domain' is not a valid domain: label 'bad_domain' may only contain letters, "
              "digits and '-'");
    EXPECT_EQ(d->add_user("a@other.test", "h").error(),
              "domain other.test is not hosted here: add it first with 'mailwarden domain add "
              "other.test'");
    ASSERT_TRUE(d->add_user("a@example.test", "h").ok());
    EXPECT_EQ(d->add_user("A@example.test", "h").error(), "user a@example.test already exists");
    EXPECT_EQ(d->add_user("b@example.test", "").error(), "empty password hash");
    EXPECT_EQ(d->add_user("../x@example.test", "h").error(),
              "local part '../x' contains a character that is not allowed (allowed: letters, "
              "digits, UTF-8 and !#$%&'*+-=?^_`{|}~.)");
    EXPECT_EQ(d->remove_domain("example.test").error(),
              "domain example.test still has 1 user(s): remove them first (mailwarden user list "
              "--domain example.test)");
    EXPECT_TRUE(d->is_local_domain("example.test"));
    EXPECT_EQ(d->remove_domain("nope.test").error(), "domain nope.test is not hosted here");
    EXPECT_EQ(d->remove_user("zz@example.test").error(), "user zz@example.test does not exist");
}

TEST_F(SqliteDirectoryTest, PersistsAcrossReopenInWalMode) {
    {
        auto d = open();
        ASSERT_TRUE(d->add_domain("example.test").ok());
        ASSERT_TRUE(d->add_user("a@example.test", "h").ok());
    }
    auto d = open();  // migrations must be a no-op the second time
    EXPECT_TRUE(d->find_user("a@example.test").has_value());
    EXPECT_TRUE(fs::exists(dir_ / "directory.sqlite3"));
}

TEST_F(SqliteDirectoryTest, TwoConnectionsShareOneFile) {
    // The CLI adds a user while the server has the same file open.
    auto server = open();
    auto cli = open();
    ASSERT_TRUE(cli->add_domain("example.test").ok());
    EXPECT_TRUE(server->is_local_domain("example.test"));
    ASSERT_TRUE(cli->add_user("a@example.test", "h").ok());
    EXPECT_TRUE(server->find_user("a@example.test").has_value());
    EXPECT_EQ(server->add_domain("example.test").error(),
              "domain example.test is already hosted here");
    ASSERT_TRUE(server->remove_user("a@example.test").ok());
    EXPECT_FALSE(cli->find_user("a@example.test").has_value());
}

TEST_F(SqliteDirectoryTest, ConcurrentThreadsOnOneConnectionAndTwoConnections) {
    auto a = open();
    auto b = open();
    ASSERT_TRUE(a->add_domain("example.test").ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        Directory* d = (t % 2 == 0) ? a.get() : b.get();
        threads.emplace_back([d, t] {
            for (int i = 0; i < 25; ++i) {
                const auto addr =
                    "u" + std::to_string(t) + "-" + std::to_string(i) + "@example.test";
                EXPECT_TRUE(d->add_user(addr, "h").ok()) << addr;
                EXPECT_TRUE(d->find_user(addr).has_value()) << addr;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(a->list_users().size(), 100u);
}

TEST_F(SqliteDirectoryTest, MigratesAVersionOneFileAndKeepsItsUsers) {
    // A file written before aliases existed (schema v1, as released with issue #2).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(sqlite_directory_file(dir_).c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE domains (name TEXT PRIMARY KEY NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE users (address TEXT PRIMARY KEY NOT NULL, local_part TEXT NOT NULL,"
        " domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,"
        " password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE INDEX users_by_domain ON users(domain, local_part);"
        "INSERT INTO domains VALUES ('example.test', 0);"
        "INSERT INTO users VALUES ('a@example.test', 'a', 'example.test', 'h', 0);";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    auto d = open();
    EXPECT_TRUE(d->find_user("a@example.test").has_value());
    ASSERT_TRUE(d->add_alias("team@example.test", {"a@example.test"}).ok());
    EXPECT_EQ(d->resolve_recipient("team@example.test").targets,
              std::vector<std::string>{"a@example.test"});
    d.reset();
    EXPECT_TRUE(open()->may_send_as("a@example.test", "team@example.test"));  // v2 is kept
}

TEST_F(SqliteDirectoryTest, MigratesAVersionTwoFileToScramCredentials) {
    // A file written before SCRAM-SHA-256 (schema v2: users, aliases, send-as grants).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(sqlite_directory_file(dir_).c_str(), &db), SQLITE_OK);
    const char* v2 =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1); INSERT INTO schema_version VALUES (2);"
        "CREATE TABLE domains (name TEXT PRIMARY KEY NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE TABLE users (address TEXT PRIMARY KEY NOT NULL, local_part TEXT NOT NULL,"
        " domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,"
        " password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);"
        "CREATE INDEX users_by_domain ON users(domain, local_part);"
        "CREATE TABLE aliases (address TEXT PRIMARY KEY NOT NULL, local_part TEXT NOT NULL,"
        " domain TEXT NOT NULL REFERENCES domains(name) ON DELETE RESTRICT,"
        " created_at INTEGER NOT NULL);"
        "CREATE TABLE alias_targets (alias TEXT NOT NULL REFERENCES aliases(address)"
        " ON DELETE CASCADE, target TEXT NOT NULL, PRIMARY KEY (alias, target));"
        "CREATE TABLE send_as (login TEXT NOT NULL REFERENCES users(address) ON DELETE CASCADE,"
        " address TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (login, address));"
        "INSERT INTO domains VALUES ('example.test', 0);"
        "INSERT INTO users VALUES ('a@example.test', 'a', 'example.test', '$argon2id$old', 0);"
        "INSERT INTO aliases VALUES ('team@example.test', 'team', 'example.test', 0);"
        "INSERT INTO alias_targets VALUES ('team@example.test', 'a@example.test');"
        "INSERT INTO send_as VALUES ('a@example.test', 'boss@example.test', 0);";
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    auto d = open();
    auto old = d->find_user("a@example.test");
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->password_hash, "$argon2id$old");
    EXPECT_EQ(old->scram_sha256, "") << "a v2 user has no SCRAM credentials until passwd";
    EXPECT_TRUE(d->may_send_as("a@example.test", "team@example.test"));  // v2 is kept
    EXPECT_TRUE(d->may_send_as("a@example.test", "boss@example.test"));
    const std::string secret = d->scram_mock_secret();
    EXPECT_EQ(secret.size(), 32u);

    ASSERT_TRUE(d->set_password_hash("a@example.test", "$argon2id$new", "SCRAM-SHA-256$x").ok());
    d.reset();
    d = open();  // reopening a v3 file migrates nothing and keeps the secret
    EXPECT_EQ(d->scram_mock_secret(), secret);
    EXPECT_EQ(d->find_user("A@example.test")->scram_sha256, "SCRAM-SHA-256$x");
    EXPECT_EQ(d->list_users()[0].scram_sha256, "SCRAM-SHA-256$x");
    d.reset();
    ASSERT_EQ(sqlite3_open(sqlite_directory_file(dir_).c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT MAX(version), COUNT(*) FROM schema_version", -1, &st,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 3);
    EXPECT_EQ(sqlite3_column_int(st, 1), 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_F(SqliteDirectoryTest, ScramCredentialsFollowThePassword) {
    auto d = open();
    ASSERT_TRUE(d->add_domain("example.test").ok());
    auto u = d->add_user("a@example.test", "$argon2id$1", "SCRAM-SHA-256$1");
    ASSERT_TRUE(u.ok()) << u.error();
    EXPECT_EQ(u->scram_sha256, "SCRAM-SHA-256$1");
    EXPECT_EQ(d->find_user("a@example.test")->scram_sha256, "SCRAM-SHA-256$1");
    // An imported hash replaces the password: the old SCRAM credentials must not keep working.
    ASSERT_TRUE(d->set_password_hash("a@example.test", "{SHA512-CRYPT}$6$x").ok());
    EXPECT_EQ(d->find_user("a@example.test")->scram_sha256, "");
    ASSERT_TRUE(d->add_user("b@example.test", "$6$imported").ok());
    EXPECT_EQ(d->find_user("b@example.test")->scram_sha256, "");
    // Two directories never share a mock secret.
    const auto other_dir = dir_ / "other";
    fs::create_directories(other_dir);
    auto other = open_sqlite_directory(sqlite_directory_file(other_dir));
    ASSERT_TRUE(other.ok());
    EXPECT_NE((*other)->scram_mock_secret(), d->scram_mock_secret());
}

TEST_F(SqliteDirectoryTest, OpenFailsWithThePathWhenTheFolderIsMissing) {
    auto d = open_sqlite_directory(dir_ / "missing" / "directory.sqlite3");
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().find("cannot open directory " + (dir_ / "missing").string()),
              std::string::npos)
        << d.error();
}

}  // namespace
}  // namespace mw::directory
