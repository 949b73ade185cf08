// `mailwarden diagnose` input checks (issue #5 part 6): each bad option is a usage error (exit 1)
// that names it, before any connection is made. The probing itself is covered by
// tests/unit/diagnose (recorded dialogues) and tests/e2e/test_diagnose.py (the real server).
// Every host here is 127.0.0.1, so even a check that wrongly let a command through stays local.
#include <gtest/gtest.h>

#include "cli_fixture.hpp"

namespace mw::cli {
namespace {

using testing::Cli;

class CliDiagnose : public Cli {
protected:
    int diagnose(std::vector<std::string> extra, const std::string& input = "secret\n") {
        std::vector<std::string> args = {"diagnose", "127.0.0.1", "--user", "alice@example.org",
                                         "--password-stdin"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_raw(args, input);
    }
};

TEST_F(CliDiagnose, BadPortsAreUsageErrors) {
    EXPECT_EQ(diagnose({"--ports", "2465,2587"}), 1);
    EXPECT_NE(err().find("write three port numbers"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--ports", "465,five,25"}), 1);
    EXPECT_NE(err().find("--ports '465,five,25'"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--ports", "465,587,70000"}), 1);
    EXPECT_NE(err().find("70000 is not a port number"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--ports", "0,0,0"}), 1);
    EXPECT_NE(err().find("nothing to probe"), std::string::npos) << err();
}

TEST_F(CliDiagnose, AddressesSmtpCannotCarryAreRefused) {
    EXPECT_EQ(diagnose({"--to", "nobody"}), 1);
    EXPECT_NE(err().find("--to 'nobody' is not an email address"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--from", "a b@example.org"}), 1);
    EXPECT_NE(err().find("contains a space"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--to", "<x@example.org>"}), 1);
    EXPECT_NE(err().find("angle brackets"), std::string::npos) << err();
}

TEST_F(CliDiagnose, TimeoutAndPasswordAndCaFile) {
    EXPECT_EQ(diagnose({"--timeout", "0"}), 1);
    EXPECT_NE(err().find("--timeout must be 1 to 300 seconds"), std::string::npos) << err();
    EXPECT_EQ(diagnose({}, ""), 1);
    EXPECT_NE(err().find("no password on standard input"), std::string::npos) << err();
    EXPECT_EQ(diagnose({"--ca-file", (root_ / "missing.pem").string()}), 1);
    EXPECT_NE(err().find("cannot read the CA file"), std::string::npos) << err();
    EXPECT_TRUE(out().empty()) << out();
}

TEST_F(CliDiagnose, HostAndUserAreRequired) {
    EXPECT_EQ(run_raw({"diagnose", "--user", "alice@example.org"}), 1);
    EXPECT_NE(err().find("host"), std::string::npos) << err();
    EXPECT_EQ(run_raw({"diagnose", "127.0.0.1"}), 1);
    EXPECT_NE(err().find("--user"), std::string::npos) << err();
}

}  // namespace
}  // namespace mw::cli
