// `mailwarden alias ...`, `user send-as ...`, `user passwd` and `user add --hash` (issue #3
// parts 2 and 5), in-process against a temporary data directory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/password_hash.hpp"
#include "cli_fixture.hpp"
#include "directory/directory.hpp"

namespace mw::cli {
namespace {

using testing::Cli;

// crypt(3) hashes of "secret" (Python crypt with libxcrypt).
constexpr std::string_view kSha512 =
    "$6$abcdefgh12345678$8qry.al/7S2fAQnDPL..k3GVAXostN0YvxqwHlKr6Jsf/74.qDax5ahH0CISuJF."
    "P2fnhZoX0.4l8IwZUur9t1";
constexpr std::string_view kBcrypt = "$2y$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW";
constexpr std::string_view kYescrypt =
    "$y$j9T$abcdefghijklmnop$3dL1LkYnZM.OVXuVdnnaKVDlLYT92dRwOzDZ5XiVCe.";

class CliAccounts : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        ASSERT_EQ(run({"domain", "add", "example.org"}), 0) << err();
        ASSERT_EQ(run({"user", "add", "alice@example.org", "--hash", std::string(kSha512)}), 0)
            << err();
        ASSERT_EQ(run({"user", "add", "bob@example.org", "--hash", std::string(kSha512)}), 0)
            << err();
    }
    std::unique_ptr<directory::Directory> open_dir() {
        auto d = directory::open_sqlite_directory(root_ / "data" / "directory.sqlite3");
        EXPECT_TRUE(d.ok());
        return std::move(d).value();
    }
};

TEST_F(CliAccounts, AliasAddListRemove) {
    RecordProperty("rfc", "issue #3 part 5");
    EXPECT_EQ(run({"alias", "add", "Team@example.org", "bob@example.org", "alice@example.org"}), 0)
        << err();
    EXPECT_EQ(out(), "alias team@example.org -> alice@example.org, bob@example.org\n");
    EXPECT_EQ(run({"alias", "add", "@example.org", "alice@example.org"}), 0) << err();
    EXPECT_EQ(out(), "alias @example.org -> alice@example.org\n");
    EXPECT_EQ(run({"alias", "list"}), 0);
    EXPECT_EQ(out(),
              "@example.org -> alice@example.org\n"
              "team@example.org -> alice@example.org, bob@example.org\n");
    EXPECT_EQ(run({"alias", "list", "--json", "--domain", "EXAMPLE.org"}), 0);
    EXPECT_EQ(nlohmann::json::parse(out()), nlohmann::json::parse(R"([
                {"address":"@example.org","catch_all":true,"targets":["alice@example.org"]},
                {"address":"team@example.org","catch_all":false,
                 "targets":["alice@example.org","bob@example.org"]}])"));
    EXPECT_EQ(run({"alias", "remove", "TEAM@example.org"}), 0) << err();
    EXPECT_EQ(out(), "removed alias team@example.org\n");
    EXPECT_EQ(run({"alias", "remove", "@Example.org"}), 0) << err();
    EXPECT_EQ(out(), "removed alias @example.org\n");
    EXPECT_EQ(run({"alias", "remove", "team@example.org"}), 1);
    EXPECT_EQ(err(), "mailwarden: alias team@example.org does not exist\n");
}

TEST_F(CliAccounts, AliasRefusals) {
    RecordProperty("rfc", "issue #3 part 5");
    EXPECT_EQ(run({"alias", "add", "alice@example.org", "bob@example.org"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: alice@example.org is an account: an alias may not have the name of a "
              "user (pick another name, or remove the user first)\n");
    EXPECT_EQ(run({"alias", "add", "x@example.org"}), 1);  // no target
    EXPECT_TRUE(err().starts_with("mailwarden: ")) << err();
    EXPECT_EQ(run({"alias", "add", "x@nowhere.test", "bob@example.org"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: domain nowhere.test is not hosted here: add it first with 'mailwarden "
              "domain add nowhere.test'\n");
}

TEST_F(CliAccounts, SendAsAddListRemove) {
    RecordProperty("rfc", "issue #3 part 5");
    ASSERT_EQ(run({"alias", "add", "team@example.org", "alice@example.org"}), 0) << err();
    EXPECT_EQ(run({"user", "send-as", "add", "Alice@example.org", "Boss@Other.test"}), 0) << err();
    EXPECT_EQ(out(), "alice@example.org may now send as boss@other.test\n");
    EXPECT_EQ(run({"user", "send-as", "list", "alice@example.org"}), 0);
    EXPECT_EQ(out(), "boss@other.test\n");
    EXPECT_EQ(run({"user", "send-as", "list", "alice@example.org", "--json"}), 0);
    EXPECT_EQ(nlohmann::json::parse(out()), nlohmann::json::parse(R"({
        "user":"alice@example.org","send_as":["boss@other.test"],
        "may_send_as":["alice@example.org","boss@other.test","team@example.org"]})"));
    EXPECT_EQ(run({"user", "send-as", "add", "nobody@example.org", "x@other.test"}), 1);
    EXPECT_EQ(err(), "mailwarden: user nobody@example.org does not exist\n");
    EXPECT_EQ(run({"user", "send-as", "remove", "alice@example.org", "boss@other.test"}), 0);
    EXPECT_EQ(out(), "alice@example.org may no longer send as boss@other.test\n");
    EXPECT_EQ(run({"user", "send-as", "list", "alice@example.org"}), 0);
    EXPECT_EQ(out(), "");
}

TEST_F(CliAccounts, UserAddImportsCryptHashes) {
    RecordProperty("rfc", "issue #3 part 2 (import from Dovecot/cPanel)");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"a1@example.org", "{SHA512-CRYPT}" + std::string(kSha512)},
        {"a2@example.org", "{BLF-CRYPT}" + std::string(kBcrypt)},
        {"a3@example.org", std::string(kYescrypt)},
        {"a4@example.org", "{CRYPT}" + std::string(kBcrypt)},
    };
    for (const auto& [address, hash] : cases) {
        EXPECT_EQ(run({"user", "add", address, "--hash", hash}), 0) << address << ": " << err();
        EXPECT_EQ(out(), "added user " + address +
                             " (imported hash stored as given; PLAIN and LOGIN work, "
                             "SCRAM-SHA-256 only after a password is set with 'mailwarden user "
                             "passwd')\n");
        EXPECT_EQ(open_dir()->find_user(address)->scram_sha256, "") << "no password, no SCRAM";
        EXPECT_TRUE(auth::verify_password("secret", open_dir()->find_user(address)->password_hash))
            << address;
    }
}

TEST_F(CliAccounts, UserAddRefusesUnknownOrBrokenHashes) {
    RecordProperty("rfc", "issue #3 part 2");
    const std::string accepted =
        "accepted are {SHA512-CRYPT}$6$..., {BLF-CRYPT}$2y$..., yescrypt $y$... and "
        "$argon2id$... (with or without the {SCHEME} prefix). Other schemes cannot be "
        "imported: set a new password with 'mailwarden user passwd ADDRESS'\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{PLAIN}secret", "scheme {PLAIN}"},
        {"{SHA512-CRYPT$6$x", "a '{' prefix without '}'"},
        {"{MD5-CRYPT}$1$abc$def", "scheme {MD5-CRYPT}"},
        {"$1$abcdefgh$0123456789012345678901", "unknown hash format"},
        {"$5$abcdefgh$0123456789012345678901", "unknown hash format"},
        {"{SHA512-CRYPT}" + std::string(kBcrypt),
         "{SHA512-CRYPT} prefix on a hash of another "
         "scheme"},
        {std::string(kSha512.substr(0, 40)), "the hash is truncated or malformed (copy it whole)"},
        {"$6$abcdefgh12345678", "the hash is truncated or malformed (copy it whole)"},
        {"$argon2id$v=19$m=65536,t=2,p=1$broken",
         "the hash is truncated or malformed (copy it "
         "whole)"},
    };
    for (const auto& [hash, why] : cases) {
        EXPECT_EQ(run({"user", "add", "c@example.org", "--hash", hash}), 1) << hash;
        EXPECT_EQ(err(), "mailwarden: unsupported password hash: " + why + "; " + accepted) << hash;
    }
    EXPECT_EQ(run({"user", "add", "c@example.org", "--hash", "x", "--password-stdin"}), 1);
    EXPECT_EQ(run({"user", "list"}), 0);
    EXPECT_EQ(out(), "alice@example.org\nbob@example.org\n");
}

TEST_F(CliAccounts, UserAddImportsArgon2id) {
    RecordProperty("rfc", "issue #3 part 2");
    auto hash = auth::hash_password("secret");  // the only argon2id run in this file
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(run({"user", "add", "d@example.org", "--hash", *hash}), 0) << err();
    EXPECT_EQ(open_dir()->find_user("d@example.org")->password_hash, *hash);
}

TEST_F(CliAccounts, UserPasswdReplacesTheHash) {
    RecordProperty("rfc", "issue #3 part 2 (mailwarden user passwd)");
    EXPECT_EQ(run({"user", "passwd", "ALICE@example.org", "--hash", std::string(kYescrypt)}), 0)
        << err();
    EXPECT_EQ(out(),
              "changed the password of alice@example.org (imported hash stored as given; PLAIN "
              "and LOGIN work, SCRAM-SHA-256 only after a password is set with 'mailwarden user "
              "passwd')\n");
    EXPECT_EQ(open_dir()->find_user("alice@example.org")->password_hash, kYescrypt);
    EXPECT_EQ(run({"user", "passwd", "zz@example.org", "--password-stdin"}, "x\n"), 1);
    EXPECT_EQ(err(), "mailwarden: user zz@example.org does not exist (see mailwarden user list)\n");
    EXPECT_EQ(run({"user", "passwd", "alice@example.org"}), 1);  // no TTY, no --password-stdin
    EXPECT_EQ(err(),
              "mailwarden: no terminal to ask for the password: pipe it in with "
              "--password-stdin, e.g. printf '%s\\n' \"$PASSWORD\" | mailwarden user passwd "
              "ADDRESS --password-stdin\n");
    EXPECT_EQ(run({"user", "passwd", "alice@example.org", "--password-stdin"}, "\n"), 1);
    EXPECT_EQ(err(), "mailwarden: empty password; nothing changed\n");
    read_secret_ = [n = 0](std::string_view) mutable -> std::optional<std::string> {
        return ++n == 1 ? "one" : "two";
    };
    EXPECT_EQ(run({"user", "passwd", "alice@example.org"}), 1);
    EXPECT_EQ(err(), "mailwarden: the two passwords differ; nothing changed\n");
    EXPECT_EQ(open_dir()->find_user("alice@example.org")->password_hash, kYescrypt);
}

TEST_F(CliAccounts, UserPasswdFromStdinHashesWithArgon2id) {
    RecordProperty("rfc", "issue #3 part 2 (mailwarden user passwd)");
    EXPECT_EQ(run({"user", "passwd", "bob@example.org", "--password-stdin"}, "new pw\r\n"), 0)
        << err();
    EXPECT_EQ(out(),
              "changed the password of bob@example.org (password stored as an argon2id hash and "
              "SCRAM-SHA-256 credentials)\n");
    const auto hash = open_dir()->find_user("bob@example.org")->password_hash;
    EXPECT_TRUE(
        open_dir()->find_user("bob@example.org")->scram_sha256.starts_with("SCRAM-SHA-256$4096:"));
    // An imported hash replaces the password: the SCRAM credentials of the old one go with it.
    EXPECT_EQ(run({"user", "passwd", "bob@example.org", "--hash", std::string(kYescrypt)}), 0)
        << err();
    EXPECT_EQ(open_dir()->find_user("bob@example.org")->scram_sha256, "");
    EXPECT_TRUE(hash.starts_with("$argon2id$"));
    EXPECT_TRUE(auth::verify_password("new pw", hash));
}

TEST_F(CliAccounts, HelpListsTheNewSubcommands) {
    EXPECT_EQ(run_raw({"--help"}), 0);
    EXPECT_NE(out().find("alias"), std::string::npos) << out();
    EXPECT_EQ(run_raw({"user", "--help"}), 0);
    EXPECT_NE(out().find("passwd"), std::string::npos) << out();
    EXPECT_NE(out().find("send-as"), std::string::npos) << out();
}

}  // namespace
}  // namespace mw::cli
