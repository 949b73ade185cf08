// Fuzz target for smtp::DataDecoder and smtp::ChunkChecker (RFC 5321 §4.1.1.4, §4.5.2,
// §4.5.3.1.6, §2.3.8; RFC 3030). Input: 1 octet size limit, 4 octets split seed, then the stream.
// Invariants, checked against a deliberately naive reference decoder:
//  - DATA is done exactly after the first <CRLF>.<CRLF> (or a leading ".<CRLF>"), never before;
//  - the result (output, error, size, consumed) is the same for the whole input and any split;
//  - with no error, the output equals the reference; with an error it is a prefix of it;
//  - an error is recorded exactly when the reference finds a bare CR/LF, NUL, long line or
//    oversize message.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "smtp/data_decoder.hpp"

namespace {

using namespace mw::smtp;

struct Outcome {
    std::string out;
    std::optional<BodyError> error;
    std::uint64_t size = 0;
    std::size_t consumed = 0;
    bool done = false;
    bool operator==(const Outcome&) const = default;
};

struct Splitter {  // xorshift32: deterministic piece lengths from the seed
    std::uint32_t state;
    std::size_t next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state % 17;  // includes empty pieces
    }
};

Outcome run_data(std::string_view in, std::uint64_t max, std::optional<std::uint32_t> seed) {
    DataDecoder d(max);
    Outcome o;
    Splitter split{seed.value_or(1)};
    for (std::size_t pos = 0; pos < in.size() && !o.done;) {
        const std::size_t n = seed ? std::min(split.next(), in.size() - pos) : in.size() - pos;
        const auto p = d.feed(in.substr(pos, n), o.out);
        FUZZ_CHECK(p.consumed <= n);
        FUZZ_CHECK(p.done || p.consumed == n);
        o.consumed += p.consumed;
        o.done = p.done;
        pos += n;
    }
    o.error = d.error();
    o.size = d.size();
    return o;
}

Outcome run_chunks(std::string_view in, std::uint64_t max, std::optional<std::uint32_t> seed) {
    ChunkChecker c(max);
    Outcome o;
    Splitter split{seed.value_or(1)};
    for (std::size_t pos = 0; pos < in.size();) {
        const std::size_t n = seed ? std::min(split.next(), in.size() - pos) : in.size() - pos;
        c.feed(in.substr(pos, n), o.out);
        pos += n;
    }
    c.finish();
    o.error = c.error();
    o.size = c.size();
    return o;
}

// Lines separated by CRLF (the last piece may be empty).
std::vector<std::string_view> crlf_lines(std::string_view s) {
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0;;) {
        const std::size_t e = s.find("\r\n", pos);
        lines.push_back(s.substr(pos, e == std::string_view::npos ? e : e - pos));
        if (e == std::string_view::npos) return lines;
        pos = e + 2;
    }
}

bool line_is_bad(std::string_view line) {
    return line.size() > 998 || line.find_first_of(std::string_view("\r\n\0", 3)) != line.npos;
}

void check_data(std::string_view in, std::uint64_t max, std::uint32_t seed) {
    const Outcome whole = run_data(in, max, std::nullopt);
    FUZZ_CHECK(run_data(in, max, seed) == whole);
    const std::size_t end = in.substr(0, 3) == ".\r\n"        ? 3
                            : in.find("\r\n.\r\n") == in.npos ? in.npos
                                                              : in.find("\r\n.\r\n") + 5;
    FUZZ_CHECK(whole.done == (end != in.npos));
    if (!whole.done) {
        FUZZ_CHECK(whole.consumed == in.size());
        return;
    }
    FUZZ_CHECK(whole.consumed == end);
    // Reference: CRLF-separated lines before the terminator, a leading dot removed.
    std::string want;
    bool bad = false;
    const auto lines = crlf_lines(in.substr(0, end - 3));
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {  // the last piece is empty
        bad = bad || line_is_bad(lines[i]);
        want.append(lines[i].substr(!lines[i].empty() && lines[i][0] == '.' ? 1 : 0));
        want.append("\r\n");
    }
    bad = bad || want.size() > max;
    FUZZ_CHECK(whole.size == want.size());
    FUZZ_CHECK(whole.error.has_value() == bad);
    if (!bad) FUZZ_CHECK(whole.out == want);
    FUZZ_CHECK(want.compare(0, whole.out.size(), whole.out) == 0);
    FUZZ_CHECK(whole.out.size() <= max);
}

void check_chunks(std::string_view in, std::uint64_t max, std::uint32_t seed) {
    const Outcome whole = run_chunks(in, max, std::nullopt);
    FUZZ_CHECK(run_chunks(in, max, seed) == whole);
    bool bad = in.size() > max;
    for (const auto line : crlf_lines(in)) bad = bad || line_is_bad(line);
    FUZZ_CHECK(whole.size == in.size());
    FUZZ_CHECK(whole.error.has_value() == bad);
    if (!bad) FUZZ_CHECK(whole.out == in);
    FUZZ_CHECK(in.substr(0, whole.out.size()) == whole.out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) return 0;
    // Small limits exercise TooBig; odd values mean "no limit".
    const std::uint64_t max = (data[0] & 1) != 0 ? std::numeric_limits<std::uint64_t>::max()
                                                 : std::uint64_t{data[0]} * 16;
    const std::uint32_t seed = (std::uint32_t{data[1]} << 24 | std::uint32_t{data[2]} << 16 |
                                std::uint32_t{data[3]} << 8 | data[4]) |
                               1;  // xorshift needs a non-zero state
    const std::string_view in(reinterpret_cast<const char*>(data) + 5, size - 5);
    check_data(in, max, seed);
    check_chunks(in, max, seed);
    return 0;
}
