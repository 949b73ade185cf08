// `mailwarden ban list|add|remove` (issue #3 part 6), in-process against a temporary data
// directory; the file they write is read back with BanStore and with a FailureTracker standing
// in for the running server.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "auth/ban_store.hpp"
#include "auth/failure_tracker.hpp"
#include "cli/commands.hpp"
#include "cli_fixture.hpp"

namespace mw::cli {
namespace {

using namespace std::chrono_literals;
using testing::Cli;

class CliBans : public Cli {
protected:
    std::vector<auth::Ban> on_disk() {
        auto bans = auth::BanStore((root_ / "data").string()).load(std::chrono::system_clock::now());
        EXPECT_TRUE(bans.ok()) << (bans.ok() ? "" : bans.error());
        return bans.ok() ? *bans : std::vector<auth::Ban>{};
    }
};

TEST_F(CliBans, AddListRemove) {
    RecordProperty("rfc", "issue #3 part 6");
    const auto before = std::chrono::system_clock::now();
    EXPECT_EQ(run({"ban", "list"}), 0) << err();
    EXPECT_EQ(out(), "no active bans\n");
    EXPECT_EQ(run({"ban", "add", "192.0.2.7", "--for", "2h", "--reason", "abuse report"}), 0)
        << err();
    EXPECT_TRUE(out().starts_with("banned 192.0.2.7 until ")) << out();
    EXPECT_EQ(run({"ban", "add", "2001:DB8:1:2::/64"}), 0) << err();
    auto bans = on_disk();
    ASSERT_EQ(bans.size(), 2u);
    EXPECT_EQ(bans[0].network, "192.0.2.7");
    EXPECT_EQ(bans[0].reason, "abuse report");
    EXPECT_NEAR(std::chrono::duration<double>(bans[0].until - before).count(), 7200, 5);
    EXPECT_EQ(bans[1].network, "2001:db8:1:2::/64");
    EXPECT_NEAR(std::chrono::duration<double>(bans[1].until - before).count(), 86400, 5)
        << "default: auth.ban_max_duration";

    EXPECT_EQ(run({"ban", "list"}), 0) << err();
    EXPECT_TRUE(out().starts_with("NETWORK            SINCE                    UNTIL"))
        << out();
    EXPECT_NE(out().find("\n192.0.2.7          "), std::string::npos) << out();
    EXPECT_NE(out().find("abuse report\n"), std::string::npos) << out();
    EXPECT_EQ(run({"ban", "list", "--json"}), 0) << err();
    const auto json = nlohmann::json::parse(out());
    ASSERT_EQ(json.size(), 2u);
    EXPECT_EQ(json[1]["network"], "2001:db8:1:2::/64");
    EXPECT_EQ(json[1]["failures"], 0);
    EXPECT_EQ(json[1]["reason"], "manual");
    EXPECT_TRUE(json[1]["until"].get<std::string>().ends_with(" UTC"));
    EXPECT_GT(json[1]["until_epoch"].get<long long>(), json[1]["since_epoch"].get<long long>());

    // The running server sees the file's bans (a tracker loading it stands in for the server).
    auth::FailureTracker server({}, std::chrono::system_clock::now,
                                std::make_shared<auth::BanStore>((root_ / "data").string()));
    EXPECT_EQ(server.find_ban("2001:db8:1:2::99")->network, "2001:db8:1:2::/64");

    // An address inside a banned network lifts the ban that covers it.
    EXPECT_EQ(run({"ban", "remove", "2001:db8:1:2::99"}), 0) << err();
    EXPECT_EQ(out(), "removed ban 2001:db8:1:2::/64\n");
    EXPECT_EQ(run({"ban", "remove", "192.0.2.7"}), 0) << err();
    EXPECT_EQ(out(), "removed ban 192.0.2.7\n");
    EXPECT_TRUE(on_disk().empty());
    EXPECT_EQ(run({"ban", "remove", "192.0.2.7"}), 1);
    EXPECT_EQ(err(), "mailwarden: no ban covers 192.0.2.7 (mailwarden ban list shows them)\n");
}

TEST_F(CliBans, BadInputIsAClearError) {
    EXPECT_EQ(run({"ban", "add", "mail.example.org"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: 'mail.example.org' is not an IP address or CIDR network (not an IP "
              "address: mail.example.org); write e.g. 192.0.2.7, 192.0.2.0/24 or "
              "2001:db8:1:2::/64\n");
    EXPECT_EQ(run({"ban", "add", "192.0.2.7/24"}), 1);
    EXPECT_NE(err().find("host bits set in 192.0.2.7/24 (the network is 192.0.2.0/24)"),
              std::string::npos)
        << err();
    EXPECT_EQ(run({"ban", "remove", "10.0.0.0/33"}), 1);
    EXPECT_NE(err().find("bad prefix length: /33 (allowed /0../32)"), std::string::npos) << err();
    EXPECT_EQ(run({"ban", "add", "192.0.2.7", "--for", "2 days"}), 1);
    EXPECT_EQ(err(),
              "mailwarden: bad duration '2 days': write a whole number with a unit s, m, h, d or "
              "w (30m, 12h, 7d), at most 10 years\n");
    EXPECT_TRUE(on_disk().empty()) << "nothing written on bad input";
}

TEST_F(CliBans, AllowlistedAndCorruptFileAreRefused) {
    std::ofstream(root_ / "mw.toml") << "[auth]\nban_allowlist = [\"198.51.100.0/24\"]\n";
    EXPECT_EQ(run({"ban", "add", "198.51.100.9", "--config", (root_ / "mw.toml").string()}), 1);
    EXPECT_EQ(err(),
              "mailwarden: 198.51.100.9 is in auth.ban_allowlist (198.51.100.0/24), which is never "
              "banned; remove it from the allowlist first\n");
    std::filesystem::create_directories(root_ / "data");
    std::ofstream(root_ / "data" / "bans.json") << "{\"bans\": [";
    EXPECT_EQ(run({"ban", "add", "192.0.2.1"}), 2);
    EXPECT_EQ(err(), "mailwarden: " + (root_ / "data" / "bans.json").string() +
                         ": not valid JSON\n");
    EXPECT_EQ(run({"ban", "list"}), 2);
}

TEST(BanDuration, Units) {
    EXPECT_EQ(*parse_duration("90"), 90s);
    EXPECT_EQ(*parse_duration("90s"), 90s);
    EXPECT_EQ(*parse_duration("30m"), 30min);
    EXPECT_EQ(*parse_duration("12h"), 12h);
    EXPECT_EQ(*parse_duration("7d"), 7 * 24h);
    EXPECT_EQ(*parse_duration("2w"), 14 * 24h);
    for (const char* bad : {"", "0", "-5m", "m", "5x", "5 m", "1.5h", "5mm", "99999999999999d"})
        EXPECT_FALSE(parse_duration(bad).ok()) << bad;
}

}  // namespace
}  // namespace mw::cli
