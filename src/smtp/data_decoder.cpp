// DATA and BDAT body decoding: RFC 5321 §4.5.2 dot-unstuffing, §4.1.1.4 end of data, §4.5.3.1.6
// text line limit, RFC 1870 size limit, RFC 3030 BDAT chunks.
// Security (SMTP smuggling, 2023): only the exact octets <CRLF>.<CRLF> end DATA. Bare LF, bare CR
// and NUL are recorded as errors and never change where the data ends, so we cannot be made to
// see a message boundary that another MTA in the chain would not see.
// Every check is byte-exact, so the result never depends on how the input was split into feeds.
#include "smtp/data_decoder.hpp"

#include <array>

#include "smtp/command.hpp"

namespace mw::smtp {
namespace {

// RFC 5321 §4.5.3.1.6: 1000 octets including CRLF, i.e. at most 998 before the CRLF.
constexpr std::size_t kMaxLineBody = kMaxTextLine - 2;

// Octets that interrupt a run of ordinary text. A 256-entry table keeps the hot loop to one load
// and one branch per byte, with no calls.
constexpr std::array<bool, 256> kSpecial = [] {
    std::array<bool, 256> t{};
    t['\r'] = t['\n'] = t['\0'] = true;
    return t;
}();

const char* skip_text(const char* p, const char* end) {
    while (p < end && !kSpecial[static_cast<unsigned char>(*p)]) ++p;
    return p;
}

// Line and size accounting shared by DataDecoder and ChunkChecker. Returns how many of `n` text
// octets may still be stored, recording LineTooLong or TooBig at the exact octet that crosses a
// limit (the line limit wins a tie), so the first error is the same for any split of the input.
std::size_t account_text(std::size_t n, std::size_t& line_len, std::uint64_t& size,
                         std::uint64_t max_size, std::optional<BodyError>& error) {
    std::size_t storable = n;
    if (!error) {
        const std::uint64_t line_room = line_len < kMaxLineBody ? kMaxLineBody - line_len : 0;
        const std::uint64_t size_room = size < max_size ? max_size - size : 0;
        if (n > line_room || n > size_room) {
            error = line_room <= size_room ? BodyError::LineTooLong : BodyError::TooBig;
            storable = static_cast<std::size_t>(std::min(line_room, size_room));
        }
    } else {
        storable = 0;
    }
    line_len += n;
    size += n;
    return storable;
}

// CRLF ends a line: it counts towards the size but not towards the line length.
bool account_crlf(std::uint64_t& size, std::uint64_t max_size, std::optional<BodyError>& error) {
    size += 2;
    if (!error && size > max_size) error = BodyError::TooBig;
    return !error;
}

void record(std::optional<BodyError>& error, BodyError e) {
    if (!error) error = e;  // the first error wins
}

// State of DataDecoder::state_.
enum DataState : int {
    kBol = 0,  // at the start of a line (after CRLF, or the first line of the data)
    kText,     // inside a line
    kCr,       // inside a line, after CR
    kDot,      // after a '.' at the start of a line
    kDotCr,    // after ".<CR>" at the start of a line
    kDone,     // <CRLF>.<CRLF> consumed
};

}  // namespace

DataDecoder::DataDecoder(std::uint64_t max_size) : max_size_(max_size) {}

DataDecoder::Progress DataDecoder::feed(std::string_view in, std::string& out) {
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const char* p = begin;
    while (p < end && state_ != kDone) {
        switch (state_) {
            case kText: {
                const char* q = skip_text(p, end);
                const std::size_t n = static_cast<std::size_t>(q - p);
                out.append(p, account_text(n, line_len_, size_, max_size_, error_));
                p = q;
                if (p == end) break;
                if (*p == '\r') {
                    state_ = kCr;
                } else {  // a NUL, or an LF not preceded by CR: stays in the same line
                    record(error_, *p == '\0' ? BodyError::NulByte : BodyError::BareLf);
                    account_text(1, line_len_, size_, max_size_, error_);
                }
                ++p;
                break;
            }
            case kBol:
                line_len_ = 0;
                if (*p == '.') {
                    state_ = kDot;
                    line_len_ = 1;  // the stuffing dot is on the wire but not in the message
                    ++p;
                } else {
                    state_ = kText;
                }
                break;
            case kCr:
                if (*p == '\n') {
                    if (account_crlf(size_, max_size_, error_)) out.append("\r\n", 2);
                    state_ = kBol;
                    ++p;
                } else {  // bare CR; the current octet is read again as text
                    record(error_, BodyError::BareCr);
                    account_text(1, line_len_, size_, max_size_, error_);
                    state_ = kText;
                }
                break;
            case kDot:
                // §4.5.2: a leading dot followed by more text is deleted.
                state_ = *p == '\r' ? kDotCr : kText;
                if (*p == '\r') ++p;
                break;
            case kDotCr:
                if (*p == '\n') {
                    state_ = kDone;
                    ++p;
                } else {  // ".<CR>x": the dot is deleted and the CR is bare
                    record(error_, BodyError::BareCr);
                    account_text(1, line_len_, size_, max_size_, error_);
                    state_ = kText;
                }
                break;
            default:
                break;
        }
    }
    return Progress{static_cast<std::size_t>(p - begin), state_ == kDone};
}

ChunkChecker::ChunkChecker(std::uint64_t max_size) : max_size_(max_size) {}

void ChunkChecker::feed(std::string_view in, std::string& out) {
    const char* p = in.data();
    const char* const end = p + in.size();
    if (pending_cr_ && p < end) {
        pending_cr_ = false;
        if (*p == '\n') {
            if (account_crlf(size_, max_size_, error_)) out.append("\r\n", 2);
            line_len_ = 0;
            ++p;
        } else {
            record(error_, BodyError::BareCr);
            account_text(1, line_len_, size_, max_size_, error_);
        }
    }
    while (p < end) {
        const char* q = skip_text(p, end);
        const std::size_t n = static_cast<std::size_t>(q - p);
        out.append(p, account_text(n, line_len_, size_, max_size_, error_));
        p = q;
        if (p == end) break;
        if (*p == '\r' && p + 1 == end) {
            pending_cr_ = true;  // decided by the first octet of the next chunk, or finish()
        } else if (*p == '\r' && p[1] == '\n') {
            if (account_crlf(size_, max_size_, error_)) out.append("\r\n", 2);
            line_len_ = 0;
            ++p;
        } else {
            record(error_, *p == '\r'   ? BodyError::BareCr
                           : *p == '\n' ? BodyError::BareLf
                                        : BodyError::NulByte);
            account_text(1, line_len_, size_, max_size_, error_);
        }
        ++p;
    }
}

void ChunkChecker::finish() {
    if (pending_cr_) {
        pending_cr_ = false;
        record(error_, BodyError::BareCr);
        account_text(1, line_len_, size_, max_size_, error_);
    }
}

}  // namespace mw::smtp
