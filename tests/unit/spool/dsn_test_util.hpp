// A small, strict reader for the notices build_dsn makes, so the tests check the message as a mail
// client would see it: top-level fields, the MIME parts behind the boundary, quoted-printable
// decoded, and the message/delivery-status field groups. It fails the test on any malformed
// structure rather than guessing.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spool/dsn.hpp"

namespace mw::test {

using Fields = std::vector<std::pair<std::string, std::string>>;  // name lower-cased, unfolded

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

// RFC 5322 §2.2: fields until the empty line; continuation lines start with SP or HT.
inline Fields parse_fields(std::string_view block) {
    Fields out;
    std::size_t pos = 0;
    while (pos < block.size()) {
        auto end = block.find("\r\n", pos);
        if (end == std::string_view::npos) end = block.size();
        std::string_view line = block.substr(pos, end - pos);
        pos = end + 2;
        if (line.empty()) break;
        if (line[0] == ' ' || line[0] == '\t') {
            EXPECT_FALSE(out.empty()) << "continuation line before any field: " << line;
            if (!out.empty()) out.back().second += std::string(line);
            continue;
        }
        auto colon = line.find(':');
        EXPECT_NE(colon, std::string_view::npos) << "not a field: " << line;
        if (colon == std::string_view::npos) continue;
        out.emplace_back(lower(line.substr(0, colon)), std::string(line.substr(colon + 1)));
    }
    for (auto& [name, value] : out) {
        std::size_t a = value.find_first_not_of(" \t");
        value = a == std::string::npos ? "" : value.substr(a);
    }
    return out;
}

inline std::vector<std::string> all_of(const Fields& fields, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& [n, v] : fields)
        if (n == lower(name)) out.push_back(v);
    return out;
}

inline std::optional<std::string> field(const Fields& fields, std::string_view name) {
    auto all = all_of(fields, name);
    EXPECT_LE(all.size(), 1u) << "field " << name << " appears " << all.size() << " times";
    if (all.empty()) return std::nullopt;
    return all.front();
}

inline std::string qp_decode(std::string_view in) {
    std::string out;
    auto hex = [](char c) { return c <= '9' ? c - '0' : (c >= 'a' ? c - 'a' + 10 : c - 'A' + 10); };
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '=') {
            out += in[i];
        } else if (in.substr(i + 1, 2) == "\r\n") {
            i += 2;  // soft line break
        } else {
            out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        }
    }
    return out;
}

inline bool is_ascii_text(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// The decoded first part with its wrapping undone (a line break and the next line's indent become
// one space), so a test can look for a sentence wherever the wrap fell.
inline std::string flat_text(std::string_view qp_body) {
    std::string text = qp_decode(qp_body), out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 2, "\r\n") == 0) {
            i += 2;
            while (i < text.size() && text[i] == ' ') ++i;
            --i;
            out += ' ';
        } else {
            out += text[i];
        }
    }
    return out;
}

struct Part {
    Fields fields;
    std::string body;  // as transmitted (still encoded)
};

struct ParsedDsn {
    Fields top;
    std::string boundary;
    std::vector<Part> parts;
};

// RFC 5322 §2.1.1 / §2.3: CRLF only, no bare CR or LF, every line <= 998 octets, final CRLF.
inline void expect_wire_clean(std::string_view m) {
    ASSERT_GE(m.size(), 2u);
    EXPECT_EQ(m.substr(m.size() - 2), "\r\n");
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] == '\n') {
            ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at octet " << i;
            EXPECT_LE(i - 1 - line_start, 998u) << "line at octet " << line_start << " too long";
            line_start = i + 1;
        } else if (m[i] == '\r') {
            ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at octet " << i;
        } else if (m[i] == '\0') {
            ADD_FAILURE() << "NUL at octet " << i;
        }
    }
}

inline std::string boundary_of(std::string_view content_type) {
    auto at = content_type.find("boundary=\"");
    if (at == std::string_view::npos) return {};
    at += 10;
    return std::string(content_type.substr(at, content_type.find('"', at) - at));
}

// RFC 2046 §5.1.1: the body is a preamble, delimiter lines "--b", parts, and "--b--".
inline ParsedDsn parse_dsn(std::string_view m) {
    ParsedDsn out;
    auto split = m.find("\r\n\r\n");
    EXPECT_NE(split, std::string_view::npos);
    if (split == std::string_view::npos) return out;
    out.top = parse_fields(m.substr(0, split + 2));
    out.boundary = boundary_of(field(out.top, "content-type").value_or(""));
    EXPECT_FALSE(out.boundary.empty());
    if (out.boundary.empty()) return out;
    std::string_view body = m.substr(split + 4);
    std::string delimiter = "\r\n--" + out.boundary;
    std::string_view rest = body;
    auto first = rest.find(delimiter);
    EXPECT_NE(first, std::string_view::npos);
    rest.remove_prefix(first + delimiter.size());
    while (true) {
        if (rest.substr(0, 2) == "--") {
            EXPECT_EQ(rest, "--\r\n") << "text after the closing delimiter";
            break;
        }
        EXPECT_EQ(rest.substr(0, 2), "\r\n") << "delimiter line has trailing text";
        rest.remove_prefix(2);
        auto next = rest.find(delimiter);
        EXPECT_NE(next, std::string_view::npos) << "part without a following delimiter";
        if (next == std::string_view::npos) break;
        std::string_view part = rest.substr(0, next);
        auto head_end = part.find("\r\n\r\n");
        Part p;
        // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1), so
        // a body that ends with CRLF is followed by a second one.
        if (part.substr(0, 2) == "\r\n") {  // a part with no fields at all
            p.body = std::string(part.substr(2));
        } else {
            EXPECT_NE(head_end, std::string_view::npos);
            if (head_end == std::string_view::npos) break;
            p.fields = parse_fields(part.substr(0, head_end + 2));
            p.body = std::string(part.substr(head_end + 4));
        }
        out.parts.push_back(std::move(p));
        rest.remove_prefix(next + delimiter.size());
    }
    return out;
}

// message/delivery-status: groups of fields separated by blank lines (RFC 3464 §2.1).
inline std::vector<Fields> status_groups(std::string_view body) {
    std::vector<Fields> groups;
    std::size_t pos = 0;
    while (pos < body.size()) {
        auto end = body.find("\r\n\r\n", pos);
        std::string_view group = body.substr(
            pos, end == std::string_view::npos ? std::string_view::npos : end - pos + 2);
        if (!group.empty() && group != "\r\n") groups.push_back(parse_fields(group));
        if (end == std::string_view::npos) break;
        pos = end + 4;
    }
    return groups;
}

}  // namespace mw::test
