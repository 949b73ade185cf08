// parse_command: RFC 5321 §4.1.1 command syntax, §4.5.3.1.4 line limit, RFC 3030 BDAT,
// RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 6531 SMTPUTF8, and cross-protocol (HTTP) detection.
#include "smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mw::smtp {
namespace {

using K = ParseErrorKind;

struct Bad {
    std::string line;
    ParseErrorKind kind;
};

template <class T>
T expect_command(const std::string& line) {
    const auto r = parse_command(line);
    EXPECT_TRUE(r.ok()) << "line: " << line << ": got error " << static_cast<int>(r.error().kind)
                        << " (" << r.error().detail << "), want success";
    if (!r.ok()) return T{};
    EXPECT_TRUE(std::holds_alternative<T>(*r))
        << "line: " << line << ": got variant index " << r->index();
    if (!std::holds_alternative<T>(*r)) return T{};
    return std::get<T>(*r);
}

void expect_error(const Bad& b) {
    const auto r = parse_command(b.line);
    ASSERT_FALSE(r.ok()) << "line: " << b.line << ": got success, want error "
                         << static_cast<int>(b.kind);
    EXPECT_EQ(r.error().kind, b.kind)
        << "line: " << b.line << ": got " << static_cast<int>(r.error().kind) << " ("
        << r.error().detail << "), want " << static_cast<int>(b.kind);
    EXPECT_EQ(r.error().detail.find_first_of("\r\n"), std::string::npos);
}

TEST(Rfc5321CommandSyntax, VerbsAreCaseInsensitive) {
    // RFC 5321 §2.4: verbs and argument keywords are not case sensitive.
    RecordProperty("rfc", "5321 2.4");
    expect_command<Data>("DATA");
    expect_command<Data>("data");
    expect_command<Rset>("RsEt");
    expect_command<Quit>("quit");
    expect_command<StartTls>("StartTLS");
    expect_command<Noop>("noop");
    expect_command<Help>("help");
    EXPECT_EQ(expect_command<MailFrom>("mail from:<a@b>").reverse_path.mailbox.local_part, "a");
    EXPECT_EQ(expect_command<RcptTo>("rcpt To:<a@b>").forward_path.mailbox.domain, "b");
}

TEST(Rfc5321CommandSyntax, ArgumentlessCommandsRefuseArguments) {
    // RFC 5321 §4.1.1.4, §4.1.1.5, §4.1.1.10; RFC 3207 §4: DATA, RSET, QUIT, STARTTLS take none.
    RecordProperty("rfc", "5321 4.1.1.4");
    const std::vector<Bad> bad = {
        {"DATA x", K::Syntax},        {"RSET x", K::Syntax},  {"QUIT now", K::Syntax},
        {"STARTTLS x", K::Syntax},    {"DATA  x", K::Syntax}, {"DATA:", K::UnknownCommand},
        {"DATAX", K::UnknownCommand},
    };
    for (const auto& b : bad) expect_error(b);
    // Trailing spaces are harmless and accepted.
    expect_command<Data>("DATA ");
    expect_command<Quit>("QUIT   ");
}

TEST(Rfc5321CommandSyntax, NoopHelpVrfyExpn) {
    // RFC 5321 §4.1.1.6-§4.1.1.9: VRFY/EXPN need an argument; NOOP's and HELP's are optional.
    RecordProperty("rfc", "5321 4.1.1.6");
    expect_command<Noop>("NOOP anything at all");
    EXPECT_EQ(expect_command<Help>("HELP").topic, "");
    EXPECT_EQ(expect_command<Help>("HELP MAIL").topic, "MAIL");
    EXPECT_EQ(expect_command<Vrfy>("VRFY John Smith").argument, "John Smith");
    EXPECT_EQ(expect_command<Expn>("EXPN staff").argument, "staff");
    expect_error({"VRFY", K::Syntax});
    expect_error({"EXPN ", K::Syntax});
}

TEST(Rfc5321CommandSyntax, UnknownVerbs) {
    // RFC 5321 §4.2.4: unrecognised commands get 500.
    RecordProperty("rfc", "5321 4.2.4");
    const std::vector<Bad> bad = {
        {"", K::UnknownCommand},       {"XYZZY", K::UnknownCommand},
        {" DATA", K::UnknownCommand},  {"MAILFROM:<a@b>", K::UnknownCommand},
        {"EHL0 x", K::UnknownCommand}, {"D\xC3\xA4TA", K::UnknownCommand},
        {"TURN", K::UnknownCommand},   {"SEND FROM:<a@b>", K::UnknownCommand},
    };
    for (const auto& b : bad) expect_error(b);
}

TEST(Rfc5321CommandSyntax, ControlCharactersRefused) {
    // RFC 5321 §2.3.8 / §4.1.1: commands are CRLF-terminated printable text; NUL, CR, LF, TAB
    // and DEL inside a line could be read differently by another parser.
    RecordProperty("rfc", "5321 2.3.8");
    const std::vector<Bad> bad = {
        {std::string("NOOP\0", 5), K::Syntax},
        {std::string("DA\0TA", 5), K::Syntax},
        {std::string("MAIL FROM:<a@b>\0", 16), K::Syntax},
        {"RSET\r", K::Syntax},
        {"RSET\nDATA", K::Syntax},
        {"MAIL FROM:<a@b>\rRCPT TO:<c@d>", K::Syntax},
        {"HELO\tx", K::Syntax},
        {"NOOP \x7f", K::Syntax},
        {"VRFY \x1b[31m", K::Syntax},
    };
    for (const auto& b : bad) expect_error(b);
}

TEST(Rfc5321LineLimit, CommandLineAt510And511) {
    // RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF.
    RecordProperty("rfc", "5321 4.5.3.1.4");
    const std::string noop510 = "NOOP " + std::string(505, 'x');
    ASSERT_EQ(noop510.size(), 510u);
    expect_command<Noop>(noop510);
    expect_error({noop510 + "x", K::LineTooLong});
    expect_error({std::string(100000, 'A'), K::LineTooLong});
    // The limit applies before any other check.
    expect_error({std::string(511, '\0'), K::LineTooLong});
}

TEST(Rfc5321Hello, DomainOrAddressLiteralRequired) {
    // RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ).
    RecordProperty("rfc", "5321 4.1.1.1");
    const Helo e = expect_command<Helo>("EHLO mail.example.org");
    EXPECT_TRUE(e.extended);
    EXPECT_EQ(e.domain, "mail.example.org");
    const Helo h = expect_command<Helo>("helo Mail.Example.ORG");
    EXPECT_FALSE(h.extended);
    EXPECT_EQ(h.domain, "Mail.Example.ORG");
    EXPECT_EQ(expect_command<Helo>("EHLO [192.0.2.1]").domain, "[192.0.2.1]");
    EXPECT_EQ(expect_command<Helo>("EHLO [IPv6:2001:db8::1]").domain, "[IPv6:2001:db8::1]");
    // Real-world sloppiness that is harmless: NetBIOS names and bare IPs.
    EXPECT_EQ(expect_command<Helo>("EHLO DESKTOP_1A2B").domain, "DESKTOP_1A2B");
    EXPECT_EQ(expect_command<Helo>("EHLO 192.0.2.1").domain, "192.0.2.1");
    EXPECT_EQ(expect_command<Helo>("EHLO  spaced.example ").domain, "spaced.example");
    const std::vector<Bad> bad = {
        {"EHLO", K::Syntax},          {"HELO", K::Syntax},
        {"EHLO ", K::Syntax},         {"EHLO a b", K::Syntax},
        {"EHLO [1.2.3]", K::Syntax},  {"EHLO [x]", K::Syntax},
        {"EHLO <a>", K::Syntax},      {"EHLO a@b", K::Syntax},
        {"EHLO \xC0\xAF", K::Syntax}, {"EHLO " + std::string(256, 'a'), K::Syntax},
    };
    for (const auto& b : bad) expect_error(b);
}

TEST(Rfc5321MailFrom, PathAndParameters) {
    // RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters].
    RecordProperty("rfc", "5321 4.1.1.2");
    const MailFrom m = expect_command<MailFrom>("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME");
    EXPECT_EQ(m.reverse_path.mailbox.address(), "a@b.example");
    EXPECT_EQ(m.params.size, 100u);
    EXPECT_EQ(m.params.body, BodyType::EightBitMime);
    EXPECT_TRUE(expect_command<MailFrom>("MAIL FROM:<>").reverse_path.null);
    EXPECT_TRUE(expect_command<MailFrom>("MAIL FROM:<> SIZE=1").reverse_path.null);
    // Postfix accepts a space after the colon; so do we.
    EXPECT_EQ(expect_command<MailFrom>("MAIL FROM: <a@b>").reverse_path.mailbox.domain, "b");
    EXPECT_EQ(expect_command<MailFrom>("MAIL FROM:<\"a> b\"@c> SIZE=5").params.size, 5u);
    const std::vector<Bad> bad = {
        {"MAIL", K::Syntax},
        {"MAIL FROM:", K::Syntax},
        {"MAIL FROM:a@b", K::Syntax},
        {"MAIL FROM <a@b>", K::Syntax},
        {"MAIL  FROM:<a@b>", K::Syntax},
        {"MAIL TO:<a@b>", K::Syntax},
        {"MAIL FROM:<a@b", K::Syntax},
        {"MAIL FROM:<a@b>SIZE=1", K::Syntax},
        {"MAIL FROM:<a@b>>", K::Syntax},
        {"MAIL FROM:<a@@b>", K::BadAddress},
        {"MAIL FROM:<a@b> FOO=1", K::UnknownParameter},
        {"MAIL FROM:<a@b> SIZE=x", K::BadParameterValue},
        {"MAIL FROM:<a@b> BODY=BINARYMIME", K::UnknownParameter},
        {"MAIL FROM:<" + std::string(65, 'l') + "@b>", K::LocalPartTooLong},
    };
    for (const auto& b : bad) expect_error(b);
}

TEST(Rfc6531Smtputf8, Utf8SenderNeedsParameter) {
    // RFC 6531 §3.7.4.1: a UTF-8 reverse-path without SMTPUTF8 is refused (553 5.6.7).
    RecordProperty("rfc", "6531 3.7.4.1");
    expect_error({"MAIL FROM:<j\xC3\xB6ran@x.org>", K::Utf8WithoutSmtputf8});
    expect_error({"MAIL FROM:<a@b\xC3\xBC.de> SIZE=1", K::Utf8WithoutSmtputf8});
    const MailFrom m = expect_command<MailFrom>("MAIL FROM:<j\xC3\xB6ran@x.org> SMTPUTF8");
    EXPECT_TRUE(m.reverse_path.mailbox.utf8);
    EXPECT_TRUE(m.params.smtputf8);
    EXPECT_TRUE(expect_command<MailFrom>("MAIL FROM:<a@b> SMTPUTF8").params.smtputf8);
    // The UTF-8 check must not hide a malformed sequence.
    expect_error({"MAIL FROM:<\xC0\xAF@x.org> SMTPUTF8", K::BadAddress});
}

TEST(Rfc5321RcptTo, PathParametersAndPostmaster) {
    // RFC 5321 §4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ).
    RecordProperty("rfc", "5321 4.1.1.3");
    const RcptTo r = expect_command<RcptTo>("RCPT TO:<u@d.example> NOTIFY=SUCCESS,FAILURE");
    EXPECT_EQ(r.forward_path.mailbox.address(), "u@d.example");
    EXPECT_EQ(r.params.notify, "SUCCESS,FAILURE");
    EXPECT_EQ(expect_command<RcptTo>("RCPT TO: <u@d>").forward_path.mailbox.local_part, "u");
    const RcptTo pm = expect_command<RcptTo>("RCPT TO:<postMaster>");
    EXPECT_EQ(pm.forward_path.mailbox.local_part, "postMaster");
    EXPECT_EQ(pm.forward_path.mailbox.domain, "");
    EXPECT_FALSE(pm.forward_path.null);
    const RcptTo routed = expect_command<RcptTo>("RCPT TO:<@hop.example:u@d.example>");
    EXPECT_EQ(routed.forward_path.mailbox.address(), "u@d.example");
    const std::vector<Bad> bad = {
        {"RCPT TO:<>", K::BadAddress},
        {"RCPT TO:<Postmasterx>", K::BadAddress},
        {"RCPT TO:u@d", K::Syntax},
        {"RCPT FROM:<u@d>", K::Syntax},
        {"RCPT TO:<u@d> SIZE=1", K::UnknownParameter},
        {"RCPT TO:<u@d> NOTIFY=NEVER,DELAY", K::BadParameterValue},
    };
    for (const auto& b : bad) expect_error(b);
}

TEST(Rfc3030Bdat, SizeAndLast) {
    // RFC 3030 §2: "BDAT" SP chunk-size [SP end-marker]; chunk-size = 1*DIGIT.
    RecordProperty("rfc", "3030 2");
    const Bdat b = expect_command<Bdat>("BDAT 1000");
    EXPECT_EQ(b.size, 1000u);
    EXPECT_FALSE(b.last);
    const Bdat l = expect_command<Bdat>("bdat 0 last");
    EXPECT_EQ(l.size, 0u);
    EXPECT_TRUE(l.last);
    EXPECT_EQ(expect_command<Bdat>("BDAT 18446744073709551615 LAST").size, 18446744073709551615u);
    const std::vector<Bad> bad = {
        {"BDAT", K::Syntax},          {"BDAT LAST", K::Syntax},
        {"BDAT -1", K::Syntax},       {"BDAT 1 FIRST", K::Syntax},
        {"BDAT 1 LAST x", K::Syntax}, {"BDAT 18446744073709551616", K::Syntax},
        {"BDAT 1x", K::Syntax},       {"BDAT 000000000000000000001", K::Syntax},
    };
    for (const auto& c : bad) expect_error(c);
}

TEST(Rfc4954Auth, MechanismAndInitialResponse) {
    // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; RFC 4422 §3.1 mechanism names.
    RecordProperty("rfc", "4954 4");
    const Auth a = expect_command<Auth>("AUTH plain AGFsaWNlAHNlY3JldA==");
    EXPECT_EQ(a.mechanism, "PLAIN");
    EXPECT_EQ(a.initial_response, "AGFsaWNlAHNlY3JldA==");
    const Auth l = expect_command<Auth>("AUTH LOGIN");
    EXPECT_EQ(l.mechanism, "LOGIN");
    EXPECT_FALSE(l.initial_response.has_value());
    EXPECT_EQ(expect_command<Auth>("AUTH PLAIN =").initial_response, "=");
    // Not base64: decoding is the SASL layer's job, so the session answers 501 5.5.2 (RFC 4954 §4).
    EXPECT_EQ(expect_command<Auth>("AUTH PLAIN a*b").initial_response, "a*b");
    EXPECT_EQ(expect_command<Auth>("AUTH SCRAM-SHA-256_X").mechanism, "SCRAM-SHA-256_X");
    EXPECT_EQ(expect_command<Auth>("AUTH " + std::string(20, 'M')).mechanism, std::string(20, 'M'));
    const std::vector<Bad> bad = {
        {"AUTH", K::Syntax},
        {"AUTH " + std::string(21, 'M'), K::Syntax},
        {"AUTH PL@IN", K::Syntax},
        {"AUTH PLAIN a b", K::Syntax},
    };
    for (const auto& c : bad) expect_error(c);
}

TEST(CrossProtocolHttp, HttpVerbsAreReported) {
    // RFC 5321 §4.1.1 has no such verbs; Postfix and chasquid drop the connection on them
    // (cross-protocol attacks from browsers, RFC 7230 request lines).
    RecordProperty("rfc", "5321 4.1.1");
    const std::vector<std::string> lines = {
        "GET / HTTP/1.1",
        "POST /submit HTTP/1.1",
        "HEAD / HTTP/1.0",
        "PUT /x HTTP/1.1",
        "CONNECT a:25 HTTP/1.1",
        "OPTIONS * HTTP/1.1",
        "DELETE /x HTTP/1.1",
        "get / HTTP/1.1",
        "GET /" + std::string(600, 'a') + " HTTP/1.1",
    };
    for (const auto& l : lines) expect_error({l, K::HttpRequest});
    expect_error({"GET", K::UnknownCommand});
    expect_error({"GETX /", K::UnknownCommand});
}

}  // namespace
}  // namespace mw::smtp
