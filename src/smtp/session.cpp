// Session: the input loop, the command table and the dispatcher (RFC 5321 §4.1, RFC 2920).
// The dispatcher applies the rules common to many commands (sequence, error budget) once, so
// the handlers in session_*.cpp only contain what is specific to their command.
// Security: command lines are bounded (512 octets, RFC 5321 §4.5.3.1.4); an over-long line is
// discarded up to its LF and answered once, so the session resynchronises instead of buffering.
#include "smtp/session.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <variant>

#include "smtp/session_impl.hpp"

namespace mw::smtp {
namespace {

// Indexed by the Command variant's index, in the same order as the variant.
constexpr std::array<CommandSpec, std::variant_size_v<Command>> kCommandTable{{
    {"EHLO", kResetsTransaction},  // Helo (also HELO)
    {"MAIL", kNeedsHelo},          // MailFrom
    {"RCPT", kNeedsHelo | kNeedsTransaction},
    {"DATA", kNeedsHelo | kNeedsTransaction},
    {"BDAT", kNeedsHelo | kNeedsTransaction | kHasChunk},
    {"RSET", kResetsTransaction},
    {"NOOP", 0},
    {"QUIT", 0},
    {"STARTTLS", 0},
    {"AUTH", 0},
    {"VRFY", 0},
    {"EXPN", 0},
    {"HELP", 0},
}};
static_assert(std::is_same_v<std::variant_alternative_t<4, Command>, Bdat>);
static_assert(std::is_same_v<std::variant_alternative_t<12, Command>, Help>);

bool starts_with_mail(std::string_view line) {
    if (line.size() < 4) return false;
    std::string verb;
    for (char c : line.substr(0, 4)) verb.push_back(static_cast<char>(c & ~0x20));
    return verb == "MAIL";
}

std::string_view verb_of(std::string_view line) {
    constexpr std::size_t kMaxShown = 32;  // enough for any verb, short enough to read
    return line.substr(0, std::min({line.find(' '), line.size(), kMaxShown}));
}

}  // namespace

const CommandSpec& command_spec(const Command& command) {
    return kCommandTable[command.index()];
}

Session::Session(SessionConfig config, PeerInfo peer)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(peer))) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

Step Session::greet() {
    auto& s = *impl_;
    // RFC 8314 §3: on an implicit-TLS port the driver handshakes before the greeting, so the
    // session is secure from the start (on_tls_ready then records what was negotiated).
    if (s.config.tls_on_connect && !s.tls) s.tls.emplace();
    s.state = State::Command;
    s.step.replies.push_back(make_reply(ReplyId::Greeting, {{"host", s.host()}}));
    s.pump();  // an early talker's bytes are processed after the greeting
    return s.take_step();
}

Step Session::on_input(std::string_view bytes) {
    auto& s = *impl_;
    if (s.state == State::Closed) {
        s.step.io = Step::Io::Close;
        return s.take_step();
    }
    assert(s.pending == Impl::Pending::None);
    // RFC 3207 §4.2 / CVE-2011-0411: nothing sent before the TLS handshake may be executed.
    if (s.awaiting_tls) return s.take_step();
    s.buffer.append(bytes);
    if (s.state != State::Greeting && s.pending == Impl::Pending::None) s.pump();
    return s.take_step();
}

Step Session::resume(const EffectResult& result) {
    auto& s = *impl_;
    auto pending = std::exchange(s.pending, Impl::Pending::None);
    if (pending == Impl::Pending::Recipient && std::holds_alternative<RecipientVerdict>(result)) {
        s.resume_recipient(std::get<RecipientVerdict>(result));
    } else if (pending == Impl::Pending::Commit && std::holds_alternative<CommitVerdict>(result)) {
        s.resume_commit(std::get<CommitVerdict>(result));
    } else if (pending == Impl::Pending::Auth && std::holds_alternative<AuthVerdict>(result)) {
        s.resume_auth(std::get<AuthVerdict>(result));
    } else if (pending == Impl::Pending::ScramLookup &&
               std::holds_alternative<ScramCredentialsVerdict>(result)) {
        s.resume_scram_lookup(std::get<ScramCredentialsVerdict>(result));
    } else if (pending == Impl::Pending::Sender && std::holds_alternative<SenderVerdict>(result)) {
        s.resume_sender(std::get<SenderVerdict>(result));
    } else {
        // A driver bug (no effect pending, or the wrong answer): fail safe, never say 250.
        assert(false && "resume() without a matching effect");
        s.emit(make_reply(ReplyId::LocalError));
    }
    s.pump();
    return s.take_step();
}

Step Session::on_tls_ready(const TlsInfo& tls) {
    auto& s = *impl_;
    s.on_tls_ready(tls);
    s.pump();
    return s.take_step();
}

Step Session::on_timeout() {
    auto& s = *impl_;
    auto seconds = std::to_string(read_timeout().count());
    bool in_body = s.state == State::Data || s.state == State::Bdat;
    s.command.clear();  // answers silence, not a command
    s.close(make_reply(in_body ? ReplyId::DataTimeout : ReplyId::Timeout,
                       {{"host", s.host()}, {"seconds", seconds}}));
    return s.take_step();
}

const std::string& Session::login() const noexcept {
    static const std::string none;
    return impl_->login ? *impl_->login : none;
}
bool Session::effect_pending() const noexcept {
    return impl_->pending != Impl::Pending::None;
}
State Session::state() const noexcept {
    return impl_->state;
}
std::size_t Session::buffered_bytes() const noexcept {
    return impl_->buffer.size() - impl_->head;
}

std::chrono::seconds Session::read_timeout() const noexcept {
    auto st = impl_->state;
    return st == State::Data || st == State::Bdat ? impl_->config.limits.data_timeout
                                                  : impl_->config.limits.command_timeout;
}

Step Session::Impl::take_step() {
    return std::exchange(step, Step{});
}

// Process every complete unit of input (RFC 2920: the client may send many commands at once);
// stop when the input runs out, the session closes, or a handler asked for an effect.
void Session::Impl::pump() {
    while (state != State::Closed && pending == Pending::None) {
        bool progressed = false;
        if (state == State::Command)
            progressed = process_command_line();
        else if (state == State::Data)
            progressed = process_data();
        else if (state == State::Bdat)
            progressed = process_chunk();
        if (!progressed) break;
    }
    buffer.erase(0, head);
    head = 0;
}

bool Session::Impl::process_command_line() {
    std::string_view avail = std::string_view(buffer).substr(head);
    auto lf = avail.find('\n');
    if (discarding) {
        if (lf == std::string_view::npos) {
            head = buffer.size();
            return false;
        }
        head += lf + 1;
        discarding = false;
        emit(make_reply(ReplyId::CommandLineTooLong));
        return true;
    }
    // RFC 5321 §4.5.3.1.4: at most 512 octets including CRLF, so at most 511 before the LF;
    // RFC 4954 §4: 12288 for an AUTH command or a SASL response.
    const bool sasl = auth_step != AuthStep::None || is_auth_line(avail);
    const std::size_t kMaxBeforeLf = (sasl ? kMaxAuthLine : kMaxCommandLine) - 1;
    if (lf == std::string_view::npos) {
        if (avail.size() > kMaxBeforeLf) {
            discarding = true;
            head = buffer.size();
        }
        return false;
    }
    head += lf + 1;
    if (lf > kMaxBeforeLf) {
        emit(make_reply(ReplyId::CommandLineTooLong));
        return true;
    }
    auto line = avail.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auth_step != AuthStep::None)
        auth_response(line);  // RFC 4954 §4: a SASL response, not a command
    else
        dispatch(line);
    return true;
}

void Session::Impl::dispatch(std::string_view line) {
    auto parsed = parse_command(line);
    if (!parsed) {
        this->command = verb_of(line);
        refuse_parse(line, parsed.error());
        return;
    }
    const Command& command = *parsed;
    const auto& spec = command_spec(command);
    this->command = spec.name;
    std::optional<Reply> refusal;
    if ((spec.flags & kNeedsHelo) && !helo) {
        refusal = make_reply(ReplyId::NeedHelo, {{"command", spec.name}});
    } else if ((spec.flags & kNeedsTransaction) && !txn) {
        refusal = make_reply(ReplyId::NeedMail, {{"command", spec.name}});
    }
    if (refusal && (spec.flags & kHasChunk)) {
        start_chunk(std::get<Bdat>(command), std::move(refusal));
        return;
    }
    if (refusal) {
        emit(std::move(*refusal));
        return;
    }
    if (spec.flags & kResetsTransaction) txn.reset();
    std::visit([this](const auto& cmd) { handle(cmd); }, command);
}

void Session::Impl::refuse_parse(std::string_view line, const ParseError& error) {
    ReplyArgs detail{{"detail", error.detail}};
    switch (error.kind) {
        case ParseErrorKind::UnknownCommand:
            return emit(make_reply(ReplyId::UnknownCommand, {{"command", verb_of(line)}}));
        case ParseErrorKind::Syntax:
            return emit(make_reply(ReplyId::SyntaxError, detail));
        case ParseErrorKind::LineTooLong:
            return emit(make_reply(ReplyId::CommandLineTooLong));
        case ParseErrorKind::LocalPartTooLong:
            return emit(make_reply(ReplyId::LocalPartTooLong, detail));
        case ParseErrorKind::DomainTooLong:
            return emit(make_reply(ReplyId::DomainTooLong, detail));
        case ParseErrorKind::PathTooLong:
            return emit(make_reply(ReplyId::PathTooLong, detail));
        case ParseErrorKind::BadAddress:
            return emit(make_reply(
                starts_with_mail(line) ? ReplyId::BadSenderAddress : ReplyId::BadRecipientAddress,
                detail));
        case ParseErrorKind::UnknownParameter:
            return emit(make_reply(ReplyId::UnknownParameter, detail));
        case ParseErrorKind::BadParameterValue:
            return emit(make_reply(ReplyId::BadParameterValue, detail));
        case ParseErrorKind::Utf8WithoutSmtputf8:
            return emit(make_reply(ReplyId::Utf8WithoutSmtputf8, detail));
        case ParseErrorKind::HttpRequest:
            // A browser or proxy talking HTTP to the mail port: nothing useful can follow.
            return close(make_reply(ReplyId::HttpRequest, {{"host", host()}}));
    }
    emit(make_reply(ReplyId::SyntaxError, detail));
}

// Every reply goes through here so the error budget is applied in one place. Permanent
// errors count (RFC 5321 §4.2.1 5yz: the client did something wrong); 4xx replies are our
// own temporary conditions or limits a correct client hits, so they do not.
void Session::Impl::emit(Reply reply) {
    reply.command = command;
    bool counts = reply.code >= 500 && !reply.close_after;
    step.replies.push_back(std::move(reply));
    if (counts && ++errors >= config.limits.max_errors) {
        auto count = std::to_string(errors);
        close(make_reply(ReplyId::TooManyErrors, {{"host", host()}, {"count", count}}));
    }
}

void Session::Impl::close(Reply reply) {
    reply.command = command;
    reply.close_after = true;
    step.replies.push_back(std::move(reply));
    step.io = Step::Io::Close;
    state = State::Closed;
    txn.reset();
    decoder.reset();
    buffer.clear();
    head = 0;
}

}  // namespace mw::smtp
