// DATA and BDAT body decoding: RFC 5321 §4.5.2 dot-unstuffing, §4.1.1.4 end of data, §4.5.3.1.6
// text line limit, RFC 1870 size limit, RFC 3030 BDAT chunks.
// Security (SMTP smuggling, 2023): only the exact octets <CRLF>.<CRLF> end DATA. Bare LF, bare CR
// and NUL are recorded as errors and never change where the data ends, so we cannot be made to
// see a message boundary that another MTA in the chain would not see.
// Every check is byte-exact, so the result never depends on how the input was split into feeds.
#include "smtp/data_decoder.hpp"

#include <array>
#include <cstring>

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

// Word-at-a-time first: a word with no octet below 0x0E cannot hold CR, LF or NUL ("hasless"
// from Bit Twiddling Hacks); a word that might (e.g. it holds a TAB) is checked with the table.
const char* skip_text(const char* p, const char* end) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull;
    constexpr std::uint64_t kHigh = 0x8080808080808080ull;
    while (true) {
        while (end - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if (((w - kOnes * 0x0E) & ~w & kHigh) != 0) break;
            p += 8;
        }
        const char* const stop = end - p > 8 ? p + 8 : end;
        while (p < stop && !kSpecial[static_cast<unsigned char>(*p)]) ++p;
        if (p < stop || p == end) return p;
    }
}

// Line and size accounting shared by DataDecoder and ChunkChecker (references to their members).
struct Counters {
    std::size_t& line_len;  // octets of the current line on the wire, CRLF excluded
    std::uint64_t& size;    // decoded octets
    std::uint64_t max_size;
    std::optional<BodyError>& error;

    void record(BodyError e) {
        if (!error) error = e;  // the first error wins
    }

    // Returns how many of `n` text octets may still be stored, recording LineTooLong or TooBig
    // at the exact octet that crosses a limit (the line limit wins a tie), so the first error is
    // the same for any split of the input.
    std::size_t text(std::size_t n) {
        std::size_t storable = error ? 0 : n;
        if (!error) {
            const std::uint64_t line_room = line_len < kMaxLineBody ? kMaxLineBody - line_len : 0;
            const std::uint64_t size_room = size < max_size ? max_size - size : 0;
            if (n > line_room || n > size_room) {
                error = line_room <= size_room ? BodyError::LineTooLong : BodyError::TooBig;
                storable = static_cast<std::size_t>(std::min(line_room, size_room));
            }
        }
        line_len += n;
        size += n;
        return storable;
    }

    // An octet that is itself an error (bare CR, bare LF, NUL): counted, never stored.
    void bad_octet(BodyError e) {
        record(e);
        text(1);
    }

    // CRLF ends a line: it counts towards the size but not the line length. Stores it if allowed.
    void crlf(std::string& out) {
        size += 2;
        if (!error && size > max_size) error = BodyError::TooBig;
        if (!error) out.append("\r\n", 2);
        line_len = 0;
    }
};

BodyError bad_octet_kind(char c) {
    return c == '\r' ? BodyError::BareCr : c == '\n' ? BodyError::BareLf : BodyError::NulByte;
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

// kText: stores the run of ordinary text up to the next CR, LF or NUL and handles that octet.
const char* data_text(const char* p, const char* end, Counters& c, int& state, std::string& out) {
    const char* q = skip_text(p, end);
    out.append(p, c.text(static_cast<std::size_t>(q - p)));
    if (q == end) return q;
    if (*q == '\r') {
        state = kCr;
    } else {  // a NUL, or an LF not preceded by CR: the line goes on
        c.bad_octet(bad_octet_kind(*q));
    }
    return q + 1;
}

// Every other state looks at one octet. Returns whether it was consumed; when it was not, the
// same octet is read again in the new state.
bool data_octet(char ch, Counters& c, int& state, std::string& out) {
    switch (state) {
        case kBol:
            c.line_len = 0;
            state = ch == '.' ? kDot : kText;
            if (ch == '.') c.line_len = 1;  // the stuffing dot is on the wire, not in the message
            return ch == '.';
        case kCr:
            if (ch == '\n') {
                c.crlf(out);
                state = kBol;
                return true;
            }
            c.bad_octet(BodyError::BareCr);
            state = kText;
            return false;
        case kDot:  // RFC 5321 §4.5.2: a leading dot followed by more text is deleted
            state = ch == '\r' ? kDotCr : kText;
            return ch == '\r';
        case kDotCr:
            if (ch == '\n') {
                state = kDone;
                return true;
            }
            c.bad_octet(BodyError::BareCr);  // ".<CR>x": the dot is deleted, the CR is bare
            state = kText;
            return false;
        default:
            return false;
    }
}

}  // namespace

DataDecoder::DataDecoder(std::uint64_t max_size) : max_size_(max_size) {}

DataDecoder::Progress DataDecoder::feed(std::string_view in, std::string& out) {
    Counters c{line_len_, size_, max_size_, error_};
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const char* p = begin;
    while (p < end && state_ != kDone) {
        if (state_ == kText) {
            p = data_text(p, end, c, state_, out);
        } else if (data_octet(*p, c, state_, out)) {
            ++p;
        }
    }
    return Progress{static_cast<std::size_t>(p - begin), state_ == kDone};
}

ChunkChecker::ChunkChecker(std::uint64_t max_size) : max_size_(max_size) {}

void ChunkChecker::feed(std::string_view in, std::string& out) {
    Counters c{line_len_, size_, max_size_, error_};
    const char* p = in.data();
    const char* const end = p + in.size();
    if (pending_cr_ && p < end) {
        pending_cr_ = false;
        if (*p == '\n') {
            c.crlf(out);
            ++p;
        } else {
            c.bad_octet(BodyError::BareCr);
        }
    }
    while (p < end) {
        const char* q = skip_text(p, end);
        out.append(p, c.text(static_cast<std::size_t>(q - p)));
        p = q;
        if (p == end) break;
        if (*p == '\r' && p + 1 == end) {
            pending_cr_ = true;  // decided by the first octet of the next chunk, or finish()
        } else if (*p == '\r' && p[1] == '\n') {
            c.crlf(out);
            ++p;
        } else {
            c.bad_octet(bad_octet_kind(*p));
        }
        ++p;
    }
}

void ChunkChecker::finish() {
    if (pending_cr_) {
        pending_cr_ = false;
        Counters{line_len_, size_, max_size_, error_}.bad_octet(BodyError::BareCr);
    }
}

}  // namespace mw::smtp
