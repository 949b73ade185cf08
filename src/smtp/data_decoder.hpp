// DATA and BDAT body decoding (RFC 5321 §4.5.2 dot-unstuffing, §4.1.1.4 end of data, RFC 3030).
// Only <CRLF>.<CRLF> ends DATA. Bare LF, bare CR and NUL are smuggling vectors
// (SMTP smuggling, 2023): they never end a message; they mark the message as refused, and the
// decoder keeps consuming until the real end so the session stays in sync.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mw::smtp {

enum class BodyError {
    BareLf,        // LF not preceded by CR
    BareCr,        // CR not followed by LF
    NulByte,
    LineTooLong,   // > 1000 octets including CRLF (RFC 5321 §4.5.3.1.6)
    TooBig,        // more than the size limit (RFC 1870)
};

// Streaming DATA decoder. Feed raw bytes as they arrive; the decoded (unstuffed) message is
// appended to `out` until an error is recorded (then nothing more is stored, but input is still
// consumed up to the terminating <CRLF>.<CRLF>).
class DataDecoder {
public:
    explicit DataDecoder(std::uint64_t max_size);

    struct Progress {
        std::size_t consumed = 0;  // bytes of `in` used; the rest belongs to the next command
        bool done = false;         // the terminating <CRLF>.<CRLF> was consumed
    };
    Progress feed(std::string_view in, std::string& out);

    std::optional<BodyError> error() const noexcept { return error_; }
    std::uint64_t size() const noexcept { return size_; }  // decoded bytes seen (even if not stored)

private:
    std::uint64_t max_size_;
    std::uint64_t size_ = 0;
    std::optional<BodyError> error_;
    // private state of the line-oriented scanner (owned by data_decoder.cpp)
    int state_ = 0;
    std::size_t line_len_ = 0;
};

// BDAT chunk content has no dot-stuffing and no terminator (RFC 3030), but the same bare CR/LF,
// NUL, line-length and size checks apply so that a message accepted via BDAT can be relayed via
// DATA without ambiguity. Stateful across chunks of one message.
class ChunkChecker {
public:
    explicit ChunkChecker(std::uint64_t max_size);
    // Appends `in` to `out` up to the first error. A CR that ends a chunk is held back until the
    // next chunk (or finish()) shows whether it starts a CRLF, so `out` never depends on where
    // the chunks were cut.
    void feed(std::string_view in, std::string& out);
    // Call after the LAST chunk: a message must not end inside a CR (bare CR).
    void finish();
    std::optional<BodyError> error() const noexcept { return error_; }
    std::uint64_t size() const noexcept { return size_; }

private:
    std::uint64_t max_size_;
    std::uint64_t size_ = 0;
    std::optional<BodyError> error_;
    bool pending_cr_ = false;
    std::size_t line_len_ = 0;
};

}  // namespace mw::smtp
