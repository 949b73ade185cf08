// One SMTP command line to a Command (RFC 5321 §4.1.1 syntax, §4.5.3.1.4 line limit; RFC 3030
// BDAT, RFC 3207 STARTTLS, RFC 4954 AUTH). Verbs are case-insensitive (§2.4).
// Liberal only where it is harmless (a space after "FROM:"/"TO:", trailing spaces, several
// spaces between parameters); strict where bytes could be read two ways: any control character
// (NUL, bare CR/LF, TAB, DEL) is refused, and HTTP verbs are reported so the connection is closed
// (cross-protocol attacks).
#include <array>
#include <cstdint>
#include <limits>

#include "smtp/command.hpp"
#include "smtp/parse_params.hpp"
#include "smtp/syntax.hpp"

namespace mw::smtp {
namespace {

using syntax::iequals;
using syntax::istarts_with;
using CommandResult = Result<Command, ParseError>;

Unexpected<ParseError> fail(ParseErrorKind kind, const char* detail) {
    return unexpected(ParseError{kind, detail});
}

// Up to N space-separated words; `more` is set when there were further words.
template <std::size_t N>
struct Words {
    std::array<std::string_view, N> word{};
    std::size_t count = 0;
    bool more = false;
};
template <std::size_t N>
Words<N> split_words(std::string_view text) {
    Words<N> w;
    while (!text.empty()) {
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        if (text.empty()) break;
        const std::size_t sp = std::min(text.find(' '), text.size());
        if (w.count == N) {
            w.more = true;
            break;
        }
        w.word[w.count++] = text.substr(0, sp);
        text.remove_prefix(sp);
    }
    return w;
}

bool is_http_request(std::string_view line) {
    static constexpr std::string_view kVerbs[] = {
        "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "CONNECT ", "OPTIONS ", "TRACE ", "PATCH "};
    for (const std::string_view v : kVerbs) {
        if (istarts_with(line, v)) return true;
    }
    return false;
}

// HELO/EHLO argument (RFC 5321 §4.1.1.1): a domain or an address literal. Real clients send
// NetBIOS-style names ("DESKTOP_1") and bare IPs, so any single word of letters, digits, '-',
// '.', '_' or UTF-8 is taken; an address literal must be a real one.
bool is_helo_argument(std::string_view arg) {
    if (arg.empty() || arg.size() > kMaxDomain) return false;
    if (arg.front() == '[') return detail::is_address_literal(arg);
    for (std::size_t i = 0; i < arg.size();) {
        const char c = arg[i];
        if (syntax::is_non_ascii(c)) {
            const std::size_t n = syntax::utf8_sequence_length(arg, i);
            if (n == 0) return false;
            i += n;
            continue;
        }
        if (!syntax::is_let_dig(c) && c != '-' && c != '.' && c != '_') return false;
        ++i;
    }
    return true;
}

CommandResult parse_helo(std::string_view args, bool extended) {
    const auto w = split_words<1>(args);
    if (w.count != 1 || w.more || !is_helo_argument(w.word[0])) {
        return fail(ParseErrorKind::Syntax, extended ? "EHLO needs a hostname"
                                                     : "HELO needs a "
                                                       "hostname");
    }
    return Command{Helo{std::string(w.word[0]), extended}};
}

struct PathAndParams {
    Path path;
    std::string_view params;
};

// "FROM:<path> params" / "TO:<path> params" after the verb (RFC 5321 §4.1.1.2, §4.1.1.3).
Result<PathAndParams, ParseError> split_path(std::string_view args, std::string_view keyword,
                                             bool is_mail) {
    if (!istarts_with(args, keyword)) return fail(ParseErrorKind::Syntax, "bad MAIL/RCPT syntax");
    args.remove_prefix(keyword.size());
    // Postfix and others accept "FROM: <a@b>"; the space is harmless.
    while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
    if (args.empty() || args.front() != '<') {
        return fail(ParseErrorKind::Syntax, "address must be enclosed in <>");
    }
    const std::size_t end = detail::find_path_end(args);
    if (end == std::string_view::npos) return fail(ParseErrorKind::Syntax, "unterminated path");
    const std::string_view path_text = args.substr(0, end + 1);
    std::string_view rest = args.substr(end + 1);
    if (!rest.empty() && rest.front() != ' ') {
        return fail(ParseErrorKind::Syntax, "parameters must follow a space");
    }
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    PathAndParams out;
    out.params = rest;
    // RFC 5321 §4.1.1.3: "RCPT TO:<Postmaster>" (no domain) must be accepted.
    if (!is_mail && iequals(path_text, "<Postmaster>")) {
        out.path.mailbox.local_part.assign(path_text.substr(1, path_text.size() - 2));
        return out;
    }
    auto path = parse_path(path_text, is_mail);
    if (!path) return unexpected(path.error());
    out.path = std::move(*path);
    return out;
}

CommandResult parse_mail(std::string_view args) {
    auto pp = split_path(args, "FROM:", true);
    if (!pp) return unexpected(pp.error());
    auto params = detail::parse_mail_params(pp->params);
    if (!params) return unexpected(params.error());
    // RFC 6531 §3.7.4.1: a UTF-8 envelope needs the SMTPUTF8 parameter.
    if (pp->path.mailbox.utf8 && !params->smtputf8) {
        return fail(ParseErrorKind::Utf8WithoutSmtputf8, "UTF-8 address needs SMTPUTF8");
    }
    return Command{MailFrom{std::move(pp->path), std::move(*params)}};
}

CommandResult parse_rcpt(std::string_view args) {
    auto pp = split_path(args, "TO:", false);
    if (!pp) return unexpected(pp.error());
    auto params = detail::parse_rcpt_params(pp->params);
    if (!params) return unexpected(params.error());
    return Command{RcptTo{std::move(pp->path), std::move(*params)}};
}

// RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ], chunk-size = 1*DIGIT.
CommandResult parse_bdat(std::string_view args) {
    const auto w = split_words<2>(args);
    if (w.count == 0 || w.more) return fail(ParseErrorKind::Syntax, "BDAT size [LAST]");
    Bdat b;
    const std::string_view n = w.word[0];
    if (n.size() > 20) return fail(ParseErrorKind::Syntax, "BDAT size too large");
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    for (const char c : n) {
        if (!syntax::is_digit(c)) return fail(ParseErrorKind::Syntax, "BDAT size not a number");
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (b.size > (kMax - d) / 10) return fail(ParseErrorKind::Syntax, "BDAT size too large");
        b.size = b.size * 10 + d;
    }
    if (w.count == 2) {
        if (!iequals(w.word[1], "LAST")) return fail(ParseErrorKind::Syntax, "BDAT size [LAST]");
        b.last = true;
    }
    return Command{b};
}

// RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; RFC 4422 §3.1 mechanism names are
// 1-20 of upper-case letters, digits, '-' and '_' (matched case-insensitively here).
CommandResult parse_auth(std::string_view args) {
    const auto w = split_words<2>(args);
    if (w.count == 0 || w.more) return fail(ParseErrorKind::Syntax, "AUTH mechanism [response]");
    const std::string_view mech = w.word[0];
    if (mech.size() > 20) return fail(ParseErrorKind::Syntax, "bad SASL mechanism name");
    Auth a;
    for (const char c : mech) {
        if (!syntax::is_let_dig(c) && c != '-' && c != '_') {
            return fail(ParseErrorKind::Syntax, "bad SASL mechanism name");
        }
        a.mechanism.push_back(syntax::to_upper(c));
    }
    // initial-response = base64 / "=" (RFC 4954 §4). Decoding is the SASL layer's job, so a
    // bad one gets the AUTH-specific 501 5.5.2 from the session, not a generic syntax error.
    if (w.count == 2) a.initial_response.emplace(w.word[1]);
    return Command{std::move(a)};
}

template <class T>
CommandResult no_argument(std::string_view args) {
    if (!args.empty()) return fail(ParseErrorKind::Syntax, "this command takes no argument");
    return Command{T{}};
}

CommandResult dispatch(std::string_view verb, std::string_view args) {
    if (iequals(verb, "EHLO")) return parse_helo(args, true);
    if (iequals(verb, "HELO")) return parse_helo(args, false);
    if (iequals(verb, "MAIL")) return parse_mail(args);
    if (iequals(verb, "RCPT")) return parse_rcpt(args);
    if (iequals(verb, "DATA")) return no_argument<Data>(args);
    if (iequals(verb, "BDAT")) return parse_bdat(args);
    if (iequals(verb, "RSET")) return no_argument<Rset>(args);
    if (iequals(verb, "NOOP")) return Command{Noop{}};  // §4.1.1.9: the argument is ignored
    if (iequals(verb, "QUIT")) return no_argument<Quit>(args);
    if (iequals(verb, "STARTTLS")) return no_argument<StartTls>(args);
    if (iequals(verb, "AUTH")) return parse_auth(args);
    if (iequals(verb, "VRFY") || iequals(verb, "EXPN")) {
        if (args.empty()) return fail(ParseErrorKind::Syntax, "argument required");
        if (iequals(verb, "VRFY")) return Command{Vrfy{std::string(args)}};
        return Command{Expn{std::string(args)}};
    }
    if (iequals(verb, "HELP")) return Command{Help{std::string(args)}};
    return fail(ParseErrorKind::UnknownCommand, "command not recognized");
}

}  // namespace

namespace detail {

std::size_t find_path_end(std::string_view text) {
    bool quoted = false;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted && c == '\\') {
            ++i;  // quoted-pairSMTP: the next octet is literal
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && c == '>') {
            return i;
        }
    }
    return std::string_view::npos;
}

}  // namespace detail

Result<Command, ParseError> parse_command(std::string_view line) {
    if (is_http_request(line)) return fail(ParseErrorKind::HttpRequest, "this is an SMTP server");
    // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF (RFC 4954 §4:
    // 12288 for AUTH).
    if (line.size() > (is_auth_line(line) ? kMaxAuthLine : kMaxCommandLine) - 2)
        return fail(ParseErrorKind::LineTooLong, "line too long");
    for (const char c : line) {
        if (syntax::is_control(c)) return fail(ParseErrorKind::Syntax, "control character");
    }
    while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
    const std::size_t sp = std::min(line.find(' '), line.size());
    const std::string_view verb = line.substr(0, sp);
    const std::string_view args = sp < line.size() ? line.substr(sp + 1) : std::string_view{};
    return dispatch(verb, args);
}

}  // namespace mw::smtp
