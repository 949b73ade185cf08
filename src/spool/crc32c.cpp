#include "spool/crc32c.hpp"

#include <array>

namespace mw::spool {
namespace {

// Slicing-by-4 tables for the reflected Castagnoli polynomial: recovery checksums every byte of
// the spool, so a bytewise loop would dominate start-up time on a large queue.
constexpr std::uint32_t kPoly = 0x82F63B78u;

constexpr std::array<std::array<std::uint32_t, 256>, 4> make_tables() {
    std::array<std::array<std::uint32_t, 256>, 4> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        t[0][i] = c;
    }
    for (std::uint32_t i = 0; i < 256; ++i) {
        for (std::size_t s = 1; s < 4; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
    return t;
}

constexpr auto kTables = make_tables();

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, std::string_view data) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::size_t n = data.size();
    std::uint32_t c = ~crc;
    while (n >= 4) {
        c ^= static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
             static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
        c = kTables[3][c & 0xff] ^ kTables[2][(c >> 8) & 0xff] ^ kTables[1][(c >> 16) & 0xff] ^
            kTables[0][c >> 24];
        p += 4;
        n -= 4;
    }
    while (n--) c = kTables[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

}  // namespace mw::spool
