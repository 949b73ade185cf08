// CRC32C (Castagnoli), the checksum of every spool record. Written here rather than pulled in as a
// dependency: it is a few lines, and the spool must not change format with a library upgrade.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mw::spool {

// Extends `crc` (start with 0) over `data`; crc32c(crc32c(0, a), b) == crc32c(0, a + b).
std::uint32_t crc32c(std::uint32_t crc, std::string_view data) noexcept;

}  // namespace mw::spool
