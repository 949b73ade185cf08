// The on-disk record format of the spool segment log (docs/spool.md has the full picture):
//
//   header  u32 magic "MWR1" | u8 type | u8 0 | u16 0 | u32 payload_len      (12 bytes)
//   payload payload_len bytes
//   trailer u32 crc32c(header + payload) | u32 commit marker "END!"          (8 bytes)
//
// All integers are little-endian. A record counts only when the magic, the length, the CRC and
// the commit marker all agree, so recovery tells a complete record from a torn one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/spool.hpp"

namespace mw::spool {

enum class RecordType : std::uint8_t {
    Message = 1,    // envelope + message bytes
    Delivered = 2,  // queue ids whose messages are in every mailbox
    Aborted = 3,    // queue ids of a failed group that may still sit complete in an older segment
};

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kTrailerSize = 8;
inline constexpr std::uint32_t kMaxPayload = 1u << 30;  // larger lengths can only be garbage

struct RecordHeader {
    RecordType type;
    std::uint32_t payload_len;
    std::size_t record_size() const { return kHeaderSize + payload_len + kTrailerSize; }
};

// nullopt when the bytes are not a plausible header (bad magic, unknown type, huge length).
std::optional<RecordHeader> parse_header(std::string_view header);

enum class RecordCheck { Ok, Torn, BadCrc };
// `record` is exactly header.record_size() bytes. Torn: commit marker missing; BadCrc: the frame
// is intact but the checksum does not match (corruption inside the record).
RecordCheck check_record(std::string_view record);

std::size_t message_record_size(const Envelope& env, std::string_view data);
void append_message_record(std::string& out, const Envelope& env, std::string_view data);
void append_id_list_record(std::string& out, RecordType type, const std::vector<std::string>& ids);

// Decoders take the payload only; nullopt for anything malformed.
std::optional<SpooledMessage> decode_message(std::string_view payload);
std::optional<std::vector<std::string>> decode_id_list(std::string_view payload);

}  // namespace mw::spool
