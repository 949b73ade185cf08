// Internal helpers of parse_command (not part of the smtp API): ESMTP parameters of MAIL and RCPT
// (RFC 5321 §4.1.2 esmtp-param, RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 4954 §5 AUTH,
// RFC 3461 RET/ENVID/NOTIFY/ORCPT with RFC 3461 §4 xtext), and the path helpers parse_command
// needs to cut a path out of a command line.
// Security: unknown keywords are refused (555) rather than ignored, duplicates are refused, and
// decoded xtext never contains control characters.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "smtp/command.hpp"

namespace mw::smtp::detail {

// `text` is everything after the path and its separating SP ("" when there are no parameters).
// Parameters are separated by one or more SP.
Result<MailParams, ParseError> parse_mail_params(std::string_view text);
Result<RcptParams, ParseError> parse_rcpt_params(std::string_view text);

// RFC 3461 §4 xtext: printable ASCII except "+" and "=", with "+XX" hex escapes. Returns the
// decoded text, or nothing when the syntax is wrong or the result would hold a control character.
std::optional<std::string> decode_xtext(std::string_view text);

// Index of the '>' that closes the path starting with '<' at text[0], honouring quoted strings
// (RFC 5321 §4.1.2 Quoted-string may contain '>'); npos when there is none.
std::size_t find_path_end(std::string_view text);

// RFC 5321 §4.1.3 address literal "[1.2.3.4]" or "[IPv6:...]", brackets included.
bool is_address_literal(std::string_view text);

}  // namespace mw::smtp::detail
