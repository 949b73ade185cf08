// DataDecoder and ChunkChecker: RFC 5321 §4.1.1.4 end of data, §4.5.2 transparency,
// §4.5.3.1.6 line limit, §2.3.8 line endings (SMTP smuggling), RFC 1870 size, RFC 3030 BDAT.
#include "smtp/data_decoder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mw::smtp {
namespace {

constexpr std::uint64_t kBig = 1ull << 40;

struct Outcome {
    std::string out;
    std::optional<BodyError> error;
    std::uint64_t size = 0;
    std::size_t consumed = 0;
    bool done = false;
    bool operator==(const Outcome&) const = default;
};

// Feeds `in` in pieces of the given lengths (the rest in one piece); stops at done.
Outcome decode_split(const std::string& in, std::uint64_t max,
                     const std::vector<std::size_t>& cuts) {
    DataDecoder d(max);
    Outcome o;
    std::size_t pos = 0;
    std::size_t cut = 0;
    while (pos < in.size() && !o.done) {
        const std::size_t n =
            cut < cuts.size() ? std::min(cuts[cut++], in.size() - pos) : in.size() - pos;
        const auto p = d.feed(std::string_view(in).substr(pos, n), o.out);
        // A feed that does not finish the data must use every byte it was given.
        EXPECT_TRUE(p.done || p.consumed == n) << "consumed " << p.consumed << " of " << n;
        o.consumed += p.consumed;
        o.done = p.done;
        pos += n;
    }
    o.error = d.error();
    o.size = d.size();
    return o;
}

Outcome decode(const std::string& in, std::uint64_t max = kBig) {
    return decode_split(in, max, {});
}

Outcome decode_bytewise(const std::string& in, std::uint64_t max = kBig) {
    return decode_split(in, max, std::vector<std::size_t>(in.size(), 1));
}

TEST(Rfc5321EndOfData, OnlyCrLfDotCrLfEnds) {
    // RFC 5321 §4.1.1.4: the mail data is terminated by a line containing only a period.
    RecordProperty("rfc", "5321 4.1.1.4");
    const Outcome o = decode("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.out, "Subject: hi\r\n\r\nbody\r\n");
    EXPECT_EQ(o.consumed, 24u);  // "QUIT\r\n" belongs to the next command
    EXPECT_FALSE(o.error.has_value());
    EXPECT_EQ(o.size, o.out.size());
}

TEST(Rfc5321EndOfData, FirstLineCountsAsPrecededByCrLf) {
    // RFC 5321 §4.1.1.4: the CRLF ending the DATA command counts for the first line.
    RecordProperty("rfc", "5321 4.1.1.4");
    const Outcome empty = decode(".\r\n");
    EXPECT_TRUE(empty.done);
    EXPECT_EQ(empty.out, "");
    EXPECT_EQ(empty.consumed, 3u);
    const Outcome blank = decode("\r\n.\r\n");
    EXPECT_TRUE(blank.done);
    EXPECT_EQ(blank.out, "\r\n");
}

TEST(Rfc5321EndOfData, FeedAfterDoneConsumesNothing) {
    // RFC 5321 §4.1.1.4: what follows the terminator is the next command (RFC 2920 pipelining).
    RecordProperty("rfc", "5321 4.1.1.4");
    DataDecoder d(kBig);
    std::string out;
    EXPECT_TRUE(d.feed(".\r\nRSET\r\n", out).done);
    const auto again = d.feed("NOOP\r\n", out);
    EXPECT_TRUE(again.done);
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_EQ(out, "");
}

TEST(Rfc5321EndOfData, NotDoneWithoutTerminator) {
    // RFC 5321 §4.1.1.4: no terminator, no end, however the input ends.
    RecordProperty("rfc", "5321 4.1.1.4");
    for (const std::string in : {"", "a", "a\r\n", "a\r\n.", "a\r\n.\r", "a.\r\n", " .\r\n",
                                 "a\r\n..\r\n", "a\r\n.x\r\n"}) {
        const Outcome o = decode(in);
        EXPECT_FALSE(o.done) << "input: " << in;
        EXPECT_EQ(o.consumed, in.size());
    }
}

TEST(Rfc5321Transparency, DotUnstuffing) {
    // RFC 5321 §4.5.2: a leading period followed by other characters is deleted.
    RecordProperty("rfc", "5321 4.5.2");
    struct Case {
        std::string in, want;
    };
    const std::vector<Case> cases = {
        {"..\r\n.\r\n", ".\r\n"},   {"..x\r\n.\r\n", ".x\r\n"},
        {"...\r\n.\r\n", "..\r\n"}, {".x\r\n.\r\n", "x\r\n"},
        {"a.\r\n.\r\n", "a.\r\n"},  {"a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n"},
        {" .\r\n.\r\n", " .\r\n"},  {"a..b\r\n.\r\n", "a..b\r\n"},
    };
    for (const auto& c : cases) {
        const Outcome o = decode(c.in);
        EXPECT_TRUE(o.done) << c.in;
        EXPECT_EQ(o.out, c.want) << "input: " << c.in;
        EXPECT_FALSE(o.error.has_value()) << c.in;
        EXPECT_EQ(o.size, c.want.size());
    }
}

struct Smuggle {
    std::string name;
    std::string fake_end;  // what a lax parser might take for the end of data
    BodyError want;
};

std::vector<Smuggle> smuggling_variants() {
    return {
        {"LF.LF", "\n.\n", BodyError::BareLf},
        {"CR.CR", "\r.\r", BodyError::BareCr},
        {"LF.CRLF", "\n.\r\n", BodyError::BareLf},
        {"CR.LF", "\r.\n", BodyError::BareCr},
        {"CRLF.LF", "\r\n.\n", BodyError::BareLf},
        {"CRLF.CR", "\r\n.\r", BodyError::BareCr},
        {"CR.CRLF", "\r.\r\n", BodyError::BareCr},
        {"LF.CR", "\n.\r", BodyError::BareLf},
        {"CRLF.CRCRLF", "\r\n.\r\r\n", BodyError::BareCr},
        {"CRLF.NULCRLF", std::string("\r\n.\0\r\n", 6), BodyError::NulByte},
        {"CRLFNUL.CRLF", std::string("\r\n\0.\r\n", 6), BodyError::NulByte},
        {"LFLF.CRLF", "\n\n.\r\n", BodyError::BareLf},
        {"CRCR.CRCR", "\r\r.\r\r", BodyError::BareCr},
    };
}

TEST(Rfc5321LineEndings, SmugglingVariantsNeverEndData) {
    // RFC 5321 §2.3.8 and §4.1.1.4: only CRLF "." CRLF ends the data; bare CR and LF must not
    // be treated as line ends (SMTP smuggling, CVE-2023-51764/51765/51766).
    RecordProperty("rfc", "5321 2.3.8");
    for (const auto& v : smuggling_variants()) {
        SCOPED_TRACE(v.name);
        const std::string head = "Subject: x\r\n\r\nhello" + v.fake_end +
                                 "MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nforged";
        const std::string in = head + "\r\n.\r\nNEXT\r\n";
        // Up to just before the real terminator the data must not be done.
        const Outcome partial = decode(head + "\r\n.\r");
        EXPECT_FALSE(partial.done);
        const Outcome o = decode(in);
        EXPECT_TRUE(o.done);
        EXPECT_EQ(o.consumed, head.size() + 5);
        ASSERT_TRUE(o.error.has_value());
        EXPECT_EQ(*o.error, v.want);
        // Nothing from the smuggling point on was stored.
        EXPECT_EQ(o.out.find("MAIL FROM"), std::string::npos);
        EXPECT_EQ(decode_bytewise(in), o);
    }
}

TEST(Rfc5321LineEndings, BareCrLfAndNulAreErrors) {
    // RFC 5321 §2.3.8: CR and LF only occur together as CRLF; NUL is not text (§4.5.2 / RFC 5322).
    RecordProperty("rfc", "5321 2.3.8");
    struct Case {
        std::string in;
        BodyError want;
        std::string stored;
    };
    const std::vector<Case> cases = {
        {"ab\ncd\r\n.\r\n", BodyError::BareLf, "ab"},
        {"ab\rcd\r\n.\r\n", BodyError::BareCr, "ab"},
        {std::string("ab\0cd\r\n.\r\n", 10), BodyError::NulByte, "ab"},
        {"ok\r\n\n\r\n.\r\n", BodyError::BareLf, "ok\r\n"},
        {"ok\r\n\r\r\n.\r\n", BodyError::BareCr, "ok\r\n"},
        {"a\n\rb\r\n.\r\n", BodyError::BareLf, "a"},  // first error wins
        {"a\r\n.\rb\r\n.\r\n", BodyError::BareCr, "a\r\n"},
    };
    for (const auto& c : cases) {
        const Outcome o = decode(c.in);
        EXPECT_TRUE(o.done) << c.in;
        ASSERT_TRUE(o.error.has_value()) << c.in;
        EXPECT_EQ(*o.error, c.want) << c.in;
        EXPECT_EQ(o.out, c.stored) << c.in;
        EXPECT_EQ(o.consumed, c.in.size());
    }
}

TEST(Rfc5321LineEndings, FoundAtEveryOffsetAmongOtherLowOctets) {
    // RFC 5321 §2.3.8: the scanner must find a bare CR/LF or NUL wherever it sits, also next to
    // harmless low octets (TAB, VT, FF, 0x0E) that the word-at-a-time scan has to look at twice.
    RecordProperty("rfc", "5321 2.3.8");
    const std::string alphabet = "ab\t\x0b\x0c\x0e\x1f\x7f\x80\xff cd";
    for (const char bad : {'\n', '\r', '\0'}) {
        for (std::size_t k = 0; k < 40; ++k) {
            std::string filler;
            for (std::size_t i = 0; i < k; ++i) filler += alphabet[i % alphabet.size()];
            const std::string in = filler + bad + "x\r\n.\r\n";
            const Outcome o = decode(in);
            EXPECT_TRUE(o.done) << k;
            EXPECT_EQ(o.out, filler) << "offset " << k;
            EXPECT_EQ(o.error, bad == '\n'   ? BodyError::BareLf
                               : bad == '\r' ? BodyError::BareCr
                                             : BodyError::NulByte)
                << "offset " << k;
        }
    }
}

TEST(Rfc5321LineEndings, CrCrLfDotCrLfIsARealTerminator) {
    // RFC 5321 §4.1.1.4: the octets CRLF.CRLF end the data even after a bare CR, as they would
    // for every other receiver; the message is still refused for the bare CR.
    RecordProperty("rfc", "5321 4.1.1.4");
    const Outcome o = decode("a\r\r\n.\r\nNEXT");
    EXPECT_TRUE(o.done);
    EXPECT_EQ(o.consumed, 7u);
    EXPECT_EQ(o.error, BodyError::BareCr);
}

TEST(Rfc5321TextLineLimit, LineAt1000And1001) {
    // RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF.
    RecordProperty("rfc", "5321 4.5.3.1.6");
    const std::string ok = std::string(998, 'x') + "\r\n";
    const Outcome o = decode(ok + ok + ".\r\n");
    EXPECT_FALSE(o.error.has_value());
    EXPECT_EQ(o.out, ok + ok);
    const Outcome bad = decode(ok + std::string(999, 'x') + "\r\nafter\r\n.\r\n");
    EXPECT_EQ(bad.error, BodyError::LineTooLong);
    EXPECT_TRUE(bad.done);
    EXPECT_EQ(bad.out, ok + std::string(998, 'x'));
    // The stuffing dot is on the wire, so it counts.
    EXPECT_FALSE(decode("." + std::string(997, 'x') + "\r\n.\r\n").error.has_value());
    EXPECT_EQ(decode("." + std::string(998, 'x') + "\r\n.\r\n").error, BodyError::LineTooLong);
    // A very long line without any line end is still consumed to the real terminator.
    const Outcome huge = decode(std::string(1 << 20, 'y') + "\r\n.\r\n");
    EXPECT_EQ(huge.error, BodyError::LineTooLong);
    EXPECT_TRUE(huge.done);
    EXPECT_EQ(huge.size, (1u << 20) + 2);
}

TEST(Rfc1870SizeLimit, ExactlyMaxAndOneOver) {
    // RFC 1870 §6: a message larger than the limit is refused (552); we keep reading to its end.
    RecordProperty("rfc", "1870 6");
    const std::string body = "0123456789\r\n0123456789\r\n";  // 24 decoded octets
    const Outcome at = decode(body + ".\r\n", 24);
    EXPECT_FALSE(at.error.has_value());
    EXPECT_EQ(at.size, 24u);
    const Outcome over = decode(body + ".\r\n", 23);
    EXPECT_EQ(over.error, BodyError::TooBig);
    EXPECT_TRUE(over.done);
    EXPECT_EQ(over.size, 24u);
    EXPECT_EQ(over.consumed, body.size() + 3);
    const Outcome mid = decode(body + "more\r\n.\r\n", 5);
    EXPECT_EQ(mid.error, BodyError::TooBig);
    EXPECT_EQ(mid.out, "01234");
    EXPECT_EQ(mid.size, 30u);
    // Stuffing dots are not part of the message size.
    EXPECT_FALSE(decode("..\r\n.\r\n", 3).error.has_value());
}

std::vector<std::string> grind_inputs() {
    std::vector<std::string> v = {
        "Subject: a\r\n\r\nline one\r\n..dot\r\n.\r\nNEXT\r\n",
        ".\r\n",
        "\r\n.\r\n",
        "a\r\r\n.\r\n",
        "..\r\n...\r\n.x\r\n.\r\n",
        std::string(998, 'z') + "\r\n" + std::string(999, 'z') + "\r\n.\r\n",
        std::string("x\0y\r\n.\r\n", 8),
    };
    for (const auto& s : smuggling_variants()) v.push_back("a" + s.fake_end + "b\r\n.\r\nQUIT");
    return v;
}

TEST(Rfc5321Transparency, GrindAnySplitGivesTheSameResult) {
    // RFC 5321 §4.5.2 / §2.3.8: TCP may split the stream anywhere; the result must not change.
    RecordProperty("rfc", "5321 4.5.2");
    std::mt19937 rng(20240607);
    for (const std::uint64_t max : {kBig, std::uint64_t{10}, std::uint64_t{1000}}) {
        for (const auto& in : grind_inputs()) {
            const Outcome whole = decode(in, max);
            EXPECT_EQ(decode_bytewise(in, max), whole) << "bytewise: " << in.substr(0, 40);
            for (int round = 0; round < 50; ++round) {
                std::vector<std::size_t> cuts;
                for (std::size_t used = 0; used < in.size();) {
                    cuts.push_back(std::uniform_int_distribution<std::size_t>(0, 7)(rng));
                    used += cuts.back();
                }
                EXPECT_EQ(decode_split(in, max, cuts), whole) << "round " << round;
            }
            // Every single cut point.
            for (std::size_t cut = 0; cut <= in.size(); ++cut) {
                EXPECT_EQ(decode_split(in, max, {cut}), whole) << "cut at " << cut;
            }
        }
    }
}

// ---- BDAT ----

struct ChunkOutcome {
    std::string out;
    std::optional<BodyError> error;
    std::uint64_t size = 0;
    bool operator==(const ChunkOutcome&) const = default;
};

ChunkOutcome check_chunks(const std::vector<std::string>& chunks, std::uint64_t max = kBig) {
    ChunkChecker c(max);
    ChunkOutcome o;
    for (const auto& chunk : chunks) c.feed(chunk, o.out);
    c.finish();
    o.error = c.error();
    o.size = c.size();
    return o;
}

TEST(Rfc3030Chunking, ContentIsNotUnstuffed) {
    // RFC 3030 §2: BDAT data is sent as is, with no dot-stuffing and no terminator.
    RecordProperty("rfc", "3030 2");
    const ChunkOutcome o = check_chunks({"a\r\n.\r\n..b\r\n", "c\r\n"});
    EXPECT_FALSE(o.error.has_value());
    EXPECT_EQ(o.out, "a\r\n.\r\n..b\r\nc\r\n");
    EXPECT_EQ(o.size, o.out.size());
}

TEST(Rfc3030Chunking, CrLfAcrossChunksAndBareEndings) {
    // RFC 3030 §2 with RFC 5321 §2.3.8: a CRLF may be split across chunks; bare CR/LF are errors.
    RecordProperty("rfc", "3030 2");
    EXPECT_EQ(check_chunks({"a\r", "\nb\r\n"}).out, "a\r\nb\r\n");
    EXPECT_FALSE(check_chunks({"a\r", "", "\nb"}).error.has_value());
    EXPECT_EQ(check_chunks({"a\r"}).error, BodyError::BareCr);  // ends inside a CR
    EXPECT_EQ(check_chunks({"a\r", "b"}).error, BodyError::BareCr);
    EXPECT_EQ(check_chunks({"a\nb"}).error, BodyError::BareLf);
    EXPECT_EQ(check_chunks({"a", "\n"}).error, BodyError::BareLf);
    EXPECT_EQ(check_chunks({"a\r\r\n"}).error, BodyError::BareCr);
    EXPECT_EQ(check_chunks({std::string("a\0", 2)}).error, BodyError::NulByte);
    const ChunkOutcome stop = check_chunks({"ok\r\nx\ny", "more\r\n"});
    EXPECT_EQ(stop.error, BodyError::BareLf);
    EXPECT_EQ(stop.out, "ok\r\nx");
    EXPECT_EQ(stop.size, 13u);
}

TEST(Rfc3030Chunking, LineAndSizeLimits) {
    // RFC 5321 §4.5.3.1.6 and RFC 1870 apply to BDAT content too.
    RecordProperty("rfc", "5321 4.5.3.1.6");
    EXPECT_FALSE(check_chunks({std::string(998, 'x') + "\r\n"}).error.has_value());
    EXPECT_EQ(check_chunks({std::string(999, 'x') + "\r\n"}).error, BodyError::LineTooLong);
    EXPECT_EQ(check_chunks({std::string(500, 'x'), std::string(499, 'x')}).error,
              BodyError::LineTooLong);
    EXPECT_FALSE(check_chunks({"12345678\r\n"}, 10).error.has_value());
    EXPECT_EQ(check_chunks({"123456789\r\n"}, 10).error, BodyError::TooBig);
    EXPECT_EQ(check_chunks({"12345", "6789\r\n"}, 10).size, 11u);
}

TEST(Rfc3030Chunking, GrindAnySplitGivesTheSameResult) {
    // RFC 3030 §2: chunk boundaries are arbitrary and must not change the result.
    RecordProperty("rfc", "3030 2");
    std::mt19937 rng(3030);
    for (const std::uint64_t max : {kBig, std::uint64_t{12}}) {
        for (const auto& in : grind_inputs()) {
            const ChunkOutcome whole = check_chunks({in}, max);
            for (int round = 0; round < 50; ++round) {
                std::vector<std::string> chunks;
                for (std::size_t pos = 0; pos < in.size();) {
                    const auto n = std::uniform_int_distribution<std::size_t>(0, 5)(rng);
                    chunks.push_back(in.substr(pos, n));
                    pos += n;
                }
                EXPECT_EQ(check_chunks(chunks, max), whole) << "round " << round;
            }
        }
    }
}

}  // namespace
}  // namespace mw::smtp
