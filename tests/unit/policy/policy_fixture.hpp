// A real SQLite directory in a temporary folder with two hosted domains, for the policy tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "directory/directory.hpp"
#include "smtp/command.hpp"

namespace mw::policy::testing {

class PolicyFixture : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() /
                ("mw-policy-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(root_);
        std::filesystem::create_directories(root_);
        auto d = directory::open_sqlite_directory(directory::sqlite_directory_file(root_));
        ASSERT_TRUE(d.ok()) << d.error();
        dir_ = std::move(d).value();
        ASSERT_TRUE(dir_->add_domain("example.org").ok());
        ASSERT_TRUE(dir_->add_domain("zeta.test").ok());
        ASSERT_TRUE(dir_->add_user("alice@example.org", "h").ok());
        ASSERT_TRUE(dir_->add_user("bob@example.org", "h").ok());
        ASSERT_TRUE(dir_->add_user("zed@zeta.test", "h").ok());
    }
    void TearDown() override {
        dir_.reset();
        std::filesystem::remove_all(root_);
    }

    // The mailbox exactly as the SMTP parser produces it from "<...>".
    static smtp::Mailbox parsed(std::string_view path) {
        auto p = smtp::parse_path(path, false);
        EXPECT_TRUE(p.ok()) << path << ": " << (p.ok() ? "" : p.error().detail);
        return p.ok() ? p->mailbox : smtp::Mailbox{};
    }
    // The mailbox of a whole "RCPT TO:<...>" line (the only way to get the bare <Postmaster>).
    static smtp::Mailbox rcpt(std::string_view line) {
        auto c = smtp::parse_command(line);
        const auto* r = c.ok() ? std::get_if<smtp::RcptTo>(&*c) : nullptr;
        EXPECT_NE(r, nullptr) << line;
        return r ? r->forward_path.mailbox : smtp::Mailbox{};
    }
    static smtp::Path parsed_sender(std::string_view path) {
        auto p = smtp::parse_path(path, true);
        EXPECT_TRUE(p.ok()) << path << ": " << (p.ok() ? "" : p.error().detail);
        return p.ok() ? *p : smtp::Path{};
    }

    std::filesystem::path root_;
    std::unique_ptr<directory::Directory> dir_;
};

}  // namespace mw::policy::testing
