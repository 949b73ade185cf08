// Recovery: a torn tail at any byte is cut off, never handed out; CRC damage is detected.
#include <gtest/gtest.h>

#include <filesystem>

#include "unit/spool/spool_test_util.hpp"

namespace mw::spool {
namespace {

namespace fs = std::filesystem;
using test::commit_sync;
using test::make_body;
using test::make_envelope;

fs::path only_segment(const fs::path& dir) {
    fs::path found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind("seg-", 0) == 0) found = e.path();
    return found;
}

TEST(SpoolRecovery, TornTailAtEveryOffsetIsCutNeverCorrupt) {
    test::TempDir src;
    std::uintmax_t size_one = 0;
    {
        auto s = test::open_spool(src.path());
        ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(1)).ok);
        size_one = fs::file_size(only_segment(src.path()));
        ASSERT_TRUE(commit_sync(*s, make_envelope({"c@example.org"}), make_body(2, 40)).ok);
    }
    fs::path seg = only_segment(src.path());
    std::uintmax_t size_two = fs::file_size(seg);
    for (std::uintmax_t cut = size_one; cut <= size_two; ++cut) {
        test::TempDir work;
        fs::copy_file(seg, work.path() / seg.filename());
        fs::resize_file(work.path() / seg.filename(), cut);
        auto s = test::open_spool(work.path());
        ASSERT_TRUE(s) << cut;
        auto got = test::drain(*s);
        ASSERT_GE(got.size(), 1u) << cut;
        EXPECT_EQ(got[0].data, make_body(1)) << cut;
        if (cut == size_two) {
            ASSERT_EQ(got.size(), 2u);
            EXPECT_EQ(got[1].data, make_body(2, 40));
            EXPECT_EQ(got[1].envelope.recipients[0], "c@example.org");
        } else {
            EXPECT_EQ(got.size(), 1u) << "torn record handed out at cut " << cut;
            // The torn tail is gone, and the log takes new commits after the good prefix.
            EXPECT_EQ(fs::file_size(work.path() / seg.filename()), size_one) << cut;
            ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(3)).ok);
            s.reset();
            auto again = test::open_spool(work.path());
            auto all = test::drain(*again);
            ASSERT_EQ(all.size(), 2u) << cut;
            EXPECT_EQ(all[1].data, make_body(3));
        }
    }
}

TEST(SpoolRecovery, GarbageAfterLastRecordIsTruncated) {
    test::TempDir tmp;
    {
        auto s = test::open_spool(tmp.path());
        ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(1)).ok);
    }
    fs::path seg = only_segment(tmp.path());
    auto good = fs::file_size(seg);
    {
        std::ofstream out(seg, std::ios::binary | std::ios::app);
        out << "MWR1\x01garbage that looks a bit like a header";
    }
    auto s = test::open_spool(tmp.path());
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, make_body(1));
    EXPECT_EQ(fs::file_size(seg), good);
}

TEST(SpoolRecovery, CrcDamageDropsOnlyThatRecord) {
    test::TempDir tmp;
    std::uintmax_t end_one = 0;
    {
        auto s = test::open_spool(tmp.path());
        ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(1)).ok);
        end_one = fs::file_size(only_segment(tmp.path()));
        ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(2, 100)).ok);
        ASSERT_TRUE(commit_sync(*s, make_envelope(), make_body(3)).ok);
    }
    fs::path seg = only_segment(tmp.path());
    std::string bytes = test::read_file(seg);
    std::size_t body_at = bytes.find("body 2", end_one);
    ASSERT_NE(body_at, std::string::npos);
    bytes[body_at] = 'B';  // one flipped byte inside message 2's payload
    {
        std::ofstream out(seg, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
    auto s = test::open_spool(tmp.path());
    auto got = test::drain(*s);
    ASSERT_EQ(got.size(), 2u);  // the damaged message is never handed out, its neighbours are
    EXPECT_EQ(got[0].data, make_body(1));
    EXPECT_EQ(got[1].data, make_body(3));
}

}  // namespace
}  // namespace mw::spool
