// The subcommands run in-process against a temporary data directory, with fake streams and a
// fake server (the e2e suite runs the real binary).
#include "cli/cli.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/password_hash.hpp"
#include "auth/scram_crypto.hpp"
#include "cli_fixture.hpp"

namespace mw::cli {
namespace {

using testing::Cli;
namespace fs = std::filesystem;

TEST_F(Cli, DomainAddListRemove) {
    EXPECT_EQ(run({"domain", "add", "Example.ORG"}), 0) << err();
    EXPECT_EQ(out(), "added domain example.org\n");
    EXPECT_EQ(run({"domain", "add", "b.test"}), 0) << err();
    EXPECT_EQ(run({"domain", "list"}), 0);
    EXPECT_EQ(out(), "b.test\nexample.org\n");
    EXPECT_EQ(run({"domain", "list", "--json"}), 0);
    EXPECT_EQ(
        nlohmann::json::parse(out()),
        nlohmann::json::parse(R"([{"name":"b.test","users":0},{"name":"example.org","users":0}])"));
    EXPECT_EQ(run({"domain", "remove", "b.test"}), 0) << err();
    EXPECT_EQ(out(), "removed domain b.test\n");
    EXPECT_EQ(run({"domain", "remove", "b.test"}), 1);
    EXPECT_EQ(err(), "mailwarden: domain b.test is not hosted here\n");
    EXPECT_EQ(run({"domain", "add", "bad_name"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: 'bad_name' is not a valid domain: label 'bad_name' may only "
              "contain letters, digits and '-'\n");
}

TEST_F(Cli, UserAddWithPasswordStdinThenListAndRemove) {
    ASSERT_EQ(run({"domain", "add", "example.org"}), 0) << err();
    EXPECT_EQ(run({"user", "add", "Alice@example.org", "--password-stdin"}, "pa ss\n"), 0) << err();
    EXPECT_EQ(out(),
              "added user alice@example.org (password stored as an argon2id hash and SCRAM-SHA-256 "
              "credentials)\n");

    // The stored hash verifies the line without its newline, and nothing else.
    auto dir = directory::open_sqlite_directory(root_ / "data" / "directory.sqlite3");
    ASSERT_TRUE(dir.ok()) << dir.error();
    auto user = (*dir)->find_user("alice@example.org");
    ASSERT_TRUE(user.has_value());
    EXPECT_TRUE(auth::verify_password("pa ss", user->password_hash));
    EXPECT_FALSE(auth::verify_password("pa ss\n", user->password_hash));
    // SCRAM-SHA-256 credentials of the same password (RFC 5802 §3), never the password.
    auto scram = sasl::parse_scram_record(user->scram_sha256);
    ASSERT_TRUE(scram.ok()) << user->scram_sha256;
    auth::OpensslScramCrypto crypto;
    const auto expect = sasl::compute_scram_credentials(crypto, "pa ss", scram->salt, 4096);
    EXPECT_EQ(scram->stored_key, expect.stored_key);
    EXPECT_EQ(scram->server_key, expect.server_key);
    EXPECT_EQ(user->scram_sha256.find("pa ss"), std::string::npos);

    EXPECT_EQ(run({"user", "list", "--domain", "EXAMPLE.org", "--json"}), 0) << err();
    EXPECT_EQ(
        nlohmann::json::parse(out()),
        nlohmann::json::parse(
            R"([{"address":"alice@example.org","local_part":"alice","domain":"example.org"}])"));
    EXPECT_EQ(run({"user", "list"}), 0);
    EXPECT_EQ(out(), "alice@example.org\n");
    EXPECT_EQ(run({"domain", "remove", "example.org"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: domain example.org still has 1 user(s): remove them first "
              "(mailwarden user list --domain example.org)\n");
    EXPECT_EQ(run({"user", "remove", "ALICE@example.org"}), 0) << err();
    EXPECT_EQ(out(), "removed user alice@example.org (the mailbox on disk is kept)\n");
    EXPECT_EQ(run({"user", "list"}), 0);
    EXPECT_EQ(out(), "");
}

TEST_F(Cli, UserAddRefusalsComeBeforeThePassword) {
    // No hashing happens in this test: every case fails before the password is read.
    EXPECT_EQ(run({"user", "add", "a@nowhere.test", "--password-stdin"}, "x\n"), 1);
    EXPECT_EQ(err(),
              "mailwarden: domain nowhere.test is not hosted here: add it first with "
              "'mailwarden domain add nowhere.test'\n");
    ASSERT_EQ(run({"domain", "add", "example.org"}), 0);
    EXPECT_EQ(run({"user", "add", "a/b@example.org", "--password-stdin"}, "x\n"), 1);
    EXPECT_TRUE(err().starts_with("mailwarden: local part 'a/b' contains a character")) << err();
    EXPECT_EQ(run({"user", "add", "a@example.org"}), 1);  // no TTY, no --password-stdin
    EXPECT_EQ(err(),
              "mailwarden: no terminal to ask for the password: pipe it in with "
              "--password-stdin, e.g. printf '%s\\n' \"$PASSWORD\" | mailwarden user add "
              "ADDRESS --password-stdin\n");
    EXPECT_EQ(run({"user", "add", "a@example.org", "--password-stdin"}, "\n"), 1);
    EXPECT_EQ(err(), "mailwarden: empty password; nothing changed\n");
    EXPECT_EQ(run({"user", "add", "a@example.org", "--password-stdin"}, ""), 1);
    EXPECT_EQ(err(),
              "mailwarden: no password on standard input (--password-stdin reads one line)\n");
    read_secret_ = [n = 0](std::string_view) mutable -> std::optional<std::string> {
        return ++n == 1 ? "one" : "two";
    };
    EXPECT_EQ(run({"user", "add", "a@example.org"}), 1);
    EXPECT_EQ(err(), "mailwarden: the two passwords differ; nothing changed\n");
    EXPECT_EQ(run({"user", "list"}), 0);
    EXPECT_EQ(out(), "");
}

TEST_F(Cli, UserAddPromptsTwiceOnATerminal) {
    ASSERT_EQ(run({"domain", "add", "example.org"}), 0);
    std::vector<std::string> prompts;
    read_secret_ = [&](std::string_view p) -> std::optional<std::string> {
        prompts.emplace_back(p);
        return "same secret";
    };
    EXPECT_EQ(run({"user", "add", "bob@example.org"}), 0) << err();
    EXPECT_EQ(prompts, (std::vector<std::string>{"Password: ", "Repeat password: "}));
    EXPECT_EQ(run({"user", "add", "bob@example.org", "--password-stdin"}, "x\n"), 1);
    EXPECT_EQ(err(), "mailwarden: user bob@example.org already exists\n");
}

TEST_F(Cli, ServeCreatesTheDemoAccountOnceAndRunsTheServer) {
    EXPECT_EQ(run({"serve"}), 0) << err();
    EXPECT_EQ(served_data_dir_, root_ / "data");
    EXPECT_EQ(served_domains_, std::vector<std::string>{"example.test"});
    const std::string first = out();
    EXPECT_NE(first.find("  login:    demo@example.test\n"), std::string::npos) << first;
    const auto at = first.find("  password: ");
    ASSERT_NE(at, std::string::npos);
    const std::string password = first.substr(at + 12, 16);

    auto dir = directory::open_sqlite_directory(root_ / "data" / "directory.sqlite3");
    ASSERT_TRUE(dir.ok());
    EXPECT_TRUE(
        auth::verify_password(password, (*dir)->find_user("demo@example.test")->password_hash));
    // The demo account can log in with SCRAM-SHA-256 too.
    auto scram = sasl::parse_scram_record((*dir)->find_user("demo@example.test")->scram_sha256);
    ASSERT_TRUE(scram.ok());
    auth::OpensslScramCrypto crypto;
    EXPECT_EQ(sasl::compute_scram_credentials(crypto, password, scram->salt, 4096).stored_key,
              scram->stored_key);

    EXPECT_EQ(run({"serve"}), 0) << err();  // second start: no new account, nothing printed
    EXPECT_EQ(out(), "");
}

TEST_F(Cli, ConfigDefaultsCheckAndShow) {
    EXPECT_EQ(run_raw({"config", "--defaults"}), 0);
    EXPECT_NE(out().find("[listeners.mx]\n"), std::string::npos);
    const auto good = root_ / "good.toml";
    std::ofstream(good) << out();
    EXPECT_EQ(run_raw({"config", "--check", "--config", good.string()}), 0) << err();
    EXPECT_EQ(out(), good.string() + ": ok\n");

    const auto bad = root_ / "bad.toml";
    std::ofstream(bad) << "[limits]\nmax_errors = 0\n";
    EXPECT_EQ(run_raw({"--config", bad.string(), "config", "--check"}), 1);
    EXPECT_EQ(err(), "mailwarden: " + bad.string() +
                         ":2:14: limits.max_errors = 0 is out of range (allowed 1..1000)\n");
    EXPECT_EQ(run_raw({"config", "--check"}), 1);
    EXPECT_EQ(err(), "mailwarden: config --check needs the file: --config FILE\n");

    EXPECT_EQ(run({"config", "--show"}), 0) << err();
    EXPECT_NE(out().find("data_dir = \"" + (root_ / "data").string() + "\"\n"), std::string::npos)
        << out();
}

TEST_F(Cli, UsageErrorsExitOneWithOneLine) {
    EXPECT_EQ(run_raw({}), 1);
    EXPECT_EQ(run_raw({"frobnicate"}), 1);
    EXPECT_EQ(run_raw({"user", "add"}), 1);
    const std::string message = err();
    EXPECT_TRUE(message.starts_with("mailwarden: ")) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
    EXPECT_EQ(run_raw({"user", "add", "a@b.test", "--password", "x"}), 1);
    EXPECT_EQ(run_raw({"--help"}), 0);
    EXPECT_NE(out().find("serve"), std::string::npos);
}

TEST_F(Cli, BrokenDataDirectoryIsARuntimeError) {
    std::ofstream(root_ / "data") << "a file, not a folder";
    EXPECT_EQ(run({"domain", "list"}), 2);
    EXPECT_TRUE(err().starts_with("mailwarden: cannot open directory ")) << err();
}

}  // namespace
}  // namespace mw::cli
