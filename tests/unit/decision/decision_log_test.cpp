// The decision log file: appends whole lines, rotates at the size limit, keeps N files.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <unistd.h>

#include "decision/decision_log.hpp"

namespace mw::decision {
namespace {

namespace fs = std::filesystem;

class DecisionLogTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("mw-decision-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    Decision numbered(int n) {
        Decision d;
        d.when = std::chrono::system_clock::now();
        d.ref = "R" + std::to_string(10000 + n).substr(1);
        d.ip = "127.0.0.1";
        d.cause = "auth_failed";
        d.code = 535;
        d.text = std::string(100, 'x');
        return d;
    }
    fs::path dir_;
};

TEST_F(DecisionLogTest, RotatesAndKeepsTheNewestFiles) {
    const auto file = dir_ / "decisions.log";
    {
        DecisionLog log({file, 4096, 3, Format::KeyValue});
        for (int i = 0; i < 200; ++i) log.append(numbered(i));
    }
    EXPECT_TRUE(fs::exists(file));
    EXPECT_TRUE(fs::exists(dir_ / "decisions.log.1"));
    EXPECT_TRUE(fs::exists(dir_ / "decisions.log.2"));
    EXPECT_FALSE(fs::exists(dir_ / "decisions.log.3"));
    for (const char* name : {"decisions.log", "decisions.log.1", "decisions.log.2"})
        EXPECT_LE(fs::file_size(dir_ / name), 4096u) << name;
    auto all = DecisionLog::read_all(file, 3);
    ASSERT_FALSE(all.empty());
    EXPECT_LT(all.size(), 200u);  // the oldest were rotated away
    EXPECT_EQ(all.back().ref, "R0199");
    // Oldest first and contiguous: nothing lost between the files that are kept.
    for (std::size_t i = 1; i < all.size(); ++i)
        EXPECT_EQ(std::stoi(all[i].ref.substr(1)), std::stoi(all[i - 1].ref.substr(1)) + 1);
}

TEST_F(DecisionLogTest, ConcurrentWritersNeverTearLines) {
    const auto file = dir_ / "decisions.log";
    {
        DecisionLog log({file, 1 << 20, 2, Format::Json});
        std::vector<std::thread> writers;
        for (int t = 0; t < 4; ++t)
            writers.emplace_back([&log, this, t] {
                for (int i = 0; i < 250; ++i) log.append(numbered(t * 1000 + i));
            });
        for (auto& w : writers) w.join();
    }
    EXPECT_EQ(DecisionLog::read_all(file, 2).size(), 1000u);
}

TEST_F(DecisionLogTest, UnwritablePlaceIsNamed) {
    try {
        DecisionLog log({dir_ / "missing" / "decisions.log", 4096, 2, Format::KeyValue});
        FAIL() << "opened a file in a missing directory";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing/decisions.log"), std::string::npos);
    }
}

}  // namespace
}  // namespace mw::decision
