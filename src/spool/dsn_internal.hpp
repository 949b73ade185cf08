// Internal helpers of the DSN builder (not part of the spool API): the small pieces of RFC 5322
// and MIME it needs, and the plain-words first part. Everything here is pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "spool/dsn.hpp"

namespace mw::spool::dsn_detail {

// RFC 5322 §2.1.1: a line is at most 998 octets without its CRLF.
constexpr std::size_t kMaxLineOctets = 998;
// RFC 5322 §2.1.1 "SHOULD be no more than 78": what folding aims for.
constexpr std::size_t kFoldColumn = 78;

// "Tue, 24 Nov 2026 10:00:00 +0000" (RFC 5322 §3.3), always UTC.
std::string rfc5322_date(TimePoint t);

// The header block of a message (up to, not including, the empty line; all of it if there is
// none), with every line ending normalised to CRLF and the final line terminated.
std::string header_block(std::string_view message);

// Every line ending (CRLF, LF alone, CR alone) becomes CRLF; a final line gets its CRLF.
std::string normalize_line_ends(std::string_view text);

// The unfolded value of the first field called `name` (case-insensitive), leading and trailing
// whitespace removed; nullopt when there is none. `headers` is a header block or a message.
std::optional<std::string> find_field(std::string_view headers, std::string_view name);

// "name: value" folded at spaces so lines stay within kFoldColumn when the words allow, and
// always within kMaxLineOctets (a longer word is split, which adds a space to the value).
// Runs of whitespace in the value become one space. CRLF-terminated.
std::string fold_field(std::string_view name, std::string_view value);

// RFC 2045 §6.7 quoted-printable of CRLF-separated text: hard line breaks stay CRLF, encoded lines
// are at most 76 characters, and "=_" cannot appear in the output (which the boundary relies on).
std::string quoted_printable(std::string_view text);

bool is_ascii(std::string_view text);
// Every line (CRLF-separated) at most kMaxLineOctets octets.
bool lines_fit(std::string_view crlf_text);

// Valid UTF-8 with no control characters: invalid sequences become U+FFFD, control bytes
// (including CR, LF and TAB) a space. For text that is shown to a person.
std::string printable_utf8(std::string_view text);
// Printable ASCII only: other bytes become '?'. For message/delivery-status fields (RFC 3464 §2.1
// requires US-ASCII there).
std::string printable_ascii(std::string_view text);

// RFC 2047 encoded words in an unstructured field (e.g. Subject) decoded, for display. Charsets
// UTF-8, US-ASCII and ISO-8859-1 are decoded; others are left as written.
std::string decode_encoded_words(std::string_view value);

// "mx.example.com [192.0.2.1]" or "mx.example.com[2001:db8::1]" or "mx.example.com": the host
// name alone; nullopt when it is none of those forms.
std::optional<std::string_view> remote_mta_name(std::string_view remote_mta);

// The first part of the notice: UTF-8 text, CRLF lines of at most 76 characters where words allow.
std::string notification_text(const DsnRequest& request, std::string_view subject,
                              std::string_view returned_note);

}  // namespace mw::spool::dsn_detail
