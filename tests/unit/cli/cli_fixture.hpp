// The Cli fixture: subcommands run in-process against a temporary data directory, with fake
// streams and a fake server.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "cli/cli.hpp"

namespace mw::cli::testing {

namespace fs = std::filesystem;

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("mw-cli-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_);
    }
    void TearDown() override { fs::remove_all(root_); }

    // Runs `mailwarden ARGS --data-dir ROOT/data` with `input` on stdin.
    int run(std::vector<std::string> args, const std::string& input = "") {
        args.push_back("--data-dir");
        args.push_back((root_ / "data").string());
        return run_raw(args, input);
    }
    int run_raw(const std::vector<std::string>& args, const std::string& input = "") {
        std::istringstream in(input);
        out_.str("");
        err_.str("");
        Io io{in, out_, err_, read_secret_};
        return run_commands(args, io, [this](const config::Settings& s, directory::Directory& d) {
            served_data_dir_ = s.data_dir;
            served_domains_ = d.list_domains();
            return 0;
        });
    }
    std::string out() const { return out_.str(); }
    std::string err() const { return err_.str(); }

    fs::path root_;
    std::ostringstream out_, err_;
    std::function<std::optional<std::string>(std::string_view)> read_secret_;
    fs::path served_data_dir_;
    std::vector<std::string> served_domains_;
};

}  // namespace mw::cli::testing
