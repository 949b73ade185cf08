#include "spool/crc32c.hpp"

#include <gtest/gtest.h>

namespace mw::spool {
namespace {

TEST(SpoolCrc32c, MatchesKnownCheckValue) {
    // The standard CRC-32C check value (RFC 3720 appendix B.4 polynomial).
    EXPECT_EQ(crc32c(0, "123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(0, ""), 0u);
}

TEST(SpoolCrc32c, IsIncremental) {
    std::string s = "The quick brown fox jumps over the lazy dog, twice over.";
    for (std::size_t cut = 0; cut <= s.size(); ++cut)
        EXPECT_EQ(crc32c(crc32c(0, s.substr(0, cut)), s.substr(cut)), crc32c(0, s)) << cut;
}

TEST(SpoolCrc32c, DetectsEverySingleBitFlip) {
    std::string s = "record payload bytes";
    auto good = crc32c(0, s);
    for (std::size_t i = 0; i < s.size() * 8; ++i) {
        std::string t = s;
        t[i / 8] = static_cast<char>(t[i / 8] ^ (1 << (i % 8)));
        EXPECT_NE(crc32c(0, t), good) << i;
    }
}

}  // namespace
}  // namespace mw::spool
