// Dialogue harness implementation (format documented in dialogue.hpp).
// Compiled into smtp_tests through tests/unit/smtp/dialogue_test.cpp.
#include "support/dialogue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace mw::test {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::istringstream in{std::string(s)};
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

template <class T>
bool parse_number(const std::string& text, T& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && ptr == text.data() + text.size();
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

smtp::SessionConfig Fixture::default_config() {
    smtp::SessionConfig config;
    config.hostname = "mx.example.test";
    config.scram_crypto = std::make_shared<ScriptScramCrypto>();  // offered, as in production
    return config;
}

std::string Fixture::apply(std::string_view line) {
    auto w = words(line);
    if (w.empty()) return "empty fixture line";
    const std::string& key = w[0];
    auto& limits = config.limits;
    bool ok = w.size() >= 2;
    if (key == "listener" && ok) {
        if (w[1] == "mx")
            config.listener = smtp::ListenerKind::Mx;
        else if (w[1] == "submission")
            config.listener = smtp::ListenerKind::Submission;
        else if (w[1] == "submissions")
            config.listener = smtp::ListenerKind::Submissions;
        else
            ok = false;
    } else if (key == "hostname" && ok) {
        config.hostname = w[1];
    } else if (key == "peer" && ok) {
        peer.ip = w[1];
    } else if (key == "domain" && ok) {
        domains.insert(lower(w[1]));
    } else if (key == "user" && ok) {
        users[lower(w[1])] = w.size() > 2 ? w[2] : w[1];
        domains.insert(lower(w[1].substr(w[1].rfind('@') + 1)));
    } else if (key == "tempfail" && ok) {
        tempfail.insert(lower(w[1]));
    } else if (key == "mailbox-full" && ok) {
        full.insert(lower(w[1]));
    } else if (key == "rate-limited" && w.size() >= 4) {
        std::size_t count = 0, limit = 0;
        ok = parse_number(w[1], count) && parse_number(w[2], limit);
        auto until = std::string(line.substr(line.find(w[3])));
        rate_limit = smtp::SenderVerdict::RateLimit{count, limit, until};
    } else if (key == "max-recipients" && ok) {
        ok = parse_number(w[1], limits.max_recipients);
    } else if (key == "max-size" && ok) {
        ok = parse_number(w[1], limits.max_message_size);
    } else if (key == "max-errors" && ok) {
        ok = parse_number(w[1], limits.max_errors);
    } else if (key == "tls" && ok && w[1] == "available") {
        config.tls_available = true;
    } else if (key == "tls" && ok && w[1] == "active") {
        config.tls_available = true;  // implicit TLS (port 465): secure before the greeting
        config.tls_on_connect = true;
    } else if (key == "auth-on-mx") {
        config.auth_on_mx = true;
        ok = true;
    } else if (key == "plaintext-auth") {
        config.plaintext_auth_allowed = true;
        ok = true;
    } else if (key == "password" && w.size() >= 3) {
        passwords[lower(w[1])] = w[2];
        users[lower(w[1])] = lower(w[1]);
        domains.insert(lower(w[1].substr(w[1].rfind('@') + 1)));
    } else if (key == "imported" && w.size() >= 3) {
        passwords[lower(w[1])] = w[2];
        users[lower(w[1])] = lower(w[1]);
        imported.insert(lower(w[1]));
        domains.insert(lower(w[1].substr(w[1].rfind('@') + 1)));
    } else if (key == "scram-nonce" && ok) {
        auto crypto = std::dynamic_pointer_cast<ScriptScramCrypto>(config.scram_crypto);
        ok = crypto != nullptr;
        if (ok) crypto->fixed_nonce = w[1];
    } else if (key == "auth-tempfail") {
        auth_override = smtp::AuthVerdict{smtp::AuthVerdict::Kind::TempFail, "", "", "", ""};
        ok = true;
    } else if (key == "banned" && ok) {
        // The rest of the line is the end of the block as the backend would word it.
        auto until = std::string(line.substr(line.find_first_not_of(' ', key.size())));
        auth_override = smtp::AuthVerdict{smtp::AuthVerdict::Kind::Banned, "", until, "", ""};
    } else if (key == "owns" && w.size() >= 3) {
        owns.insert({lower(w[1]), lower(w[2])});
    } else if (key == "commit-fails") {
        bool local = w.size() > 1 && w[1] == "local";
        commit_failure = local ? smtp::CommitVerdict::Failure::LocalError
                               : smtp::CommitVerdict::Failure::InsufficientStorage;
        ok = true;
    } else {
        ok = false;
    }
    return ok ? "" : "bad fixture line: @" + std::string(line);
}

smtp::EffectResult FakeServices::answer(const smtp::Effect& effect) {
    using Kind = smtp::RecipientVerdict::Kind;
    if (const auto* auth = std::get_if<smtp::VerifyCredentials>(&effect)) {
        if (fixture_->auth_override) return *fixture_->auth_override;
        auto it = fixture_->passwords.find(lower(auth->username));
        if (it == fixture_->passwords.end())
            return smtp::AuthVerdict{smtp::AuthVerdict::Kind::BadCredentials, "", "", "",
                                     "unknown_user"};
        if (it->second != auth->password)
            return smtp::AuthVerdict{smtp::AuthVerdict::Kind::BadCredentials, "", "", it->first,
                                     "wrong_password"};
        return smtp::AuthVerdict{smtp::AuthVerdict::Kind::Ok, it->first, "", "", ""};
    }
    if (const auto* lookup = std::get_if<smtp::LookupScramCredentials>(&effect)) {
        using V = smtp::ScramCredentialsVerdict;
        if (fixture_->auth_override &&
            fixture_->auth_override->kind == smtp::AuthVerdict::Kind::Banned)
            return V{V::Kind::Banned, {}, {}, {}, fixture_->auth_override->banned_until};
        if (fixture_->auth_override) return V{V::Kind::TempFail, {}, {}, {}, {}};
        const std::string address = lower(lookup->username);
        auto it = fixture_->passwords.find(address);
        if (it != fixture_->passwords.end() && !fixture_->imported.count(address))
            return V{V::Kind::Ok,
                     sasl::compute_scram_credentials(crypto_, it->second, address,
                                                     sasl::kScramIterations),
                     address,
                     "wrong_password",
                     {}};
        return V{V::Kind::Ok,
                 sasl::mock_scram_credentials(crypto_, address, kScriptScramSecret,
                                              sasl::kScramIterations),
                 {},
                 it == fixture_->passwords.end() ? "unknown_user" : "scram_no_credentials",
                 {}};
    }
    if (const auto* proof = std::get_if<smtp::ScramProofChecked>(&effect)) {
        if (fixture_->auth_override) return *fixture_->auth_override;
        if (proof->proof_ok)
            return smtp::AuthVerdict{smtp::AuthVerdict::Kind::Ok, proof->login, "", "", ""};
        scram_failures_.push_back(proof->failure_cause);
        return smtp::AuthVerdict{smtp::AuthVerdict::Kind::BadCredentials, "", "", proof->login,
                                 proof->failure_cause};
    }
    if (const auto* sender = std::get_if<smtp::CheckSender>(&effect)) {
        // Like the directory: own address first, then the grants (sorted by the set).
        auto address = lower(sender->mailbox.address());
        bool ok = sender->null_sender || address == sender->login ||
                  fixture_->owns.count({sender->login, address}) > 0;
        std::string allowed = sender->login;
        for (const auto& [login, owned] : fixture_->owns)
            if (login == sender->login) allowed += ", " + owned;
        if (fixture_->rate_limit) return smtp::SenderVerdict{false, "", fixture_->rate_limit};
        return smtp::SenderVerdict{ok, allowed, std::nullopt};
    }
    if (const auto* check = std::get_if<smtp::CheckRecipient>(&effect)) {
        ++recipient_checks_;
        auto address = lower(check->mailbox.address());
        smtp::RecipientVerdict v;
        if (fixture_->tempfail.count(address)) {
            v.kind = Kind::TempFail;
        } else if (auto it = fixture_->users.find(address); it != fixture_->users.end()) {
            v.kind = fixture_->full.count(address) ? Kind::MailboxFull : Kind::Accept;
            v.canonical = it->second;
            if (v.kind == Kind::MailboxFull) v.account = it->second;
        } else if (fixture_->domains.count(lower(check->mailbox.domain))) {
            v.kind = Kind::UnknownUser;
        } else if (!check->login.empty()) {
            v.kind = Kind::AcceptRelay;
        } else {
            // Like the real backend's port-25 detector: a hosted sender relaying is a mail client.
            v.kind = Kind::NotLocal;
            auto sender = lower(check->sender);
            auto at = sender.rfind('@');
            v.sender_hosted =
                at != std::string::npos && fixture_->domains.count(sender.substr(at + 1)) > 0;
            if (v.sender_hosted && fixture_->users.count(sender))
                v.sender_account = fixture_->users.at(sender);
        }
        return v;
    }
    commits_.push_back(std::get<smtp::CommitMessage>(effect));
    if (fixture_->commit_failure) return smtp::CommitVerdict{false, "", *fixture_->commit_failure};
    char id[16];
    std::snprintf(id, sizeof id, "MW%06zu", commits_.size());
    return smtp::CommitVerdict{true, id};
}

Dialogue::Dialogue(Fixture fixture)
    : fixture_(std::make_unique<Fixture>(std::move(fixture))),
      services_(*fixture_),
      session_(fixture_->config, fixture_->peer) {
    absorb(session_.greet());
}

void Dialogue::absorb(smtp::Step step) {
    for (;;) {
        for (auto& reply : step.replies) replies_.push_back(std::move(reply));
        if (step.io == smtp::Step::Io::Close) closed_ = true;
        if (!step.effect) return;
        step = session_.resume(services_.answer(*step.effect));
    }
}

void Dialogue::feed(std::string_view bytes) {
    if (closed_) return;  // the connection is gone: the bytes go nowhere
    absorb(session_.on_input(bytes));
}

Dialogue& Dialogue::client(std::string_view line) {
    return raw(std::string(line) + "\r\n");
}

Dialogue& Dialogue::raw(std::string_view bytes) {
    feed(bytes);
    return *this;
}

Dialogue& Dialogue::timeout() {
    absorb(session_.on_timeout());
    return *this;
}

Dialogue& Dialogue::expect(std::uint16_t code, smtp::EnhancedCode esc, std::string_view reason) {
    if (replies_.empty()) {
        ADD_FAILURE() << "got no reply, want " << code << " " << smtp::to_string(esc) << " "
                      << reason;
        return *this;
    }
    auto reply = std::move(replies_.front());
    replies_.pop_front();
    std::string got = std::to_string(reply.code) + " " + smtp::to_string(reply.esc) + " " +
                      std::string(reply.reason);
    std::string want =
        std::to_string(code) + " " + smtp::to_string(esc) + " " + std::string(reason);
    EXPECT_EQ(got, want) << "got " << smtp::render(reply);
    return *this;
}

Dialogue& Dialogue::expect_final(std::uint16_t code) {
    if (replies_.empty()) {
        ADD_FAILURE() << "got no reply, want " << code;
        return *this;
    }
    EXPECT_EQ(replies_.front().code, code) << "got " << smtp::render(replies_.front());
    replies_.pop_front();
    return *this;
}

Dialogue& Dialogue::expect_nothing() {
    for (const auto& reply : replies_) ADD_FAILURE() << "got unexpected " << smtp::render(reply);
    replies_.clear();
    return *this;
}

// ---- scripts ----

std::string expand_repeats(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        // {N*c}: digits, '*', exactly one character, '}'
        auto star = text.find('*', i);
        if (text[i] == '{' && star != std::string_view::npos && star > i + 1 &&
            star + 2 < text.size() && text[star + 2] == '}') {
            std::string digits(text.substr(i + 1, star - i - 1));
            std::size_t count = 0;
            if (parse_number(digits, count)) {
                out.append(count, text[star + 1]);
                i = star + 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out.push_back(text[i]);
            continue;
        }
        char c = text[++i];
        if (c == 'r')
            out.push_back('\r');
        else if (c == 'n')
            out.push_back('\n');
        else if (c == 't')
            out.push_back('\t');
        else if (c == '0')
            out.push_back('\0');
        else if (c == 'x' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
                 hex_digit(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
            i += 2;
        } else {
            out.push_back(c);  // "\\" and any other escaped character stand for themselves
        }
    }
    return out;
}

namespace {

struct Line {
    std::string text;
    std::string_view reason;
};

bool matches(std::string_view got, std::string_view pattern) {
    if (!pattern.empty() && pattern.back() == '*') {
        pattern.remove_suffix(1);
        return got.substr(0, pattern.size()) == pattern;
    }
    return got == pattern;
}

// Runs one script; every mismatch is recorded, none throws, so a report shows them all.
class ScriptRunner {
public:
    explicit ScriptRunner(Feed feed) : feed_(feed) {}
    ScriptResult run(std::string_view script);

private:
    void step(int number, std::string_view line);
    void start() {
        if (!dialogue_) dialogue_.emplace(fixture_);
        collect();
    }
    void flush();
    void collect();
    void expect_line(std::string_view pattern, bool skip_continuations);
    void fail(const std::string& text) {
        result_.failures.push_back("line " + std::to_string(number_) + ": " + text);
    }

    Feed feed_;
    Fixture fixture_;
    std::optional<Dialogue> dialogue_;
    std::string pending_input_;
    std::deque<Line> lines_;
    std::string_view last_reason_;
    int number_ = 0;
    ScriptResult result_;
};

ScriptResult ScriptRunner::run(std::string_view script) {
    std::istringstream in{std::string(script)};
    std::string line;
    while (std::getline(in, line)) {
        ++number_;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        step(number_, line);
    }
    start();
    flush();
    for (const auto& rest : lines_) fail("got unexpected reply line: " + rest.text);
    return std::move(result_);
}

void ScriptRunner::step(int, std::string_view line) {
    auto rest = [&](std::size_t n) {
        auto r = line.substr(std::min(n, line.size()));
        while (!r.empty() && r.front() == ' ') r.remove_prefix(1);
        return r;
    };
    if (line[0] == '@') {
        if (dialogue_) return fail("fixture lines must come before the dialogue");
        if (auto error = fixture_.apply(line.substr(1)); !error.empty()) fail(error);
        return;
    }
    start();
    if (line.starts_with("C:")) {
        pending_input_ += expand_repeats(rest(2));
        pending_input_ += "\r\n";
        return;
    }
    if (line.starts_with("C~")) {
        pending_input_ += unescape(expand_repeats(rest(2)));
        return;
    }
    flush();
    if (line.starts_with("S...")) return expect_line(rest(4), true);
    if (line.starts_with("S:")) return expect_line(rest(2), false);
    if (line.starts_with("R:")) {
        if (last_reason_ != rest(2)) {
            fail("got reason " + std::string(last_reason_) + ", want " + std::string(rest(2)));
        }
        return;
    }
    if (line == "!timeout") {
        dialogue_->absorb(dialogue_->session().on_timeout());
        return collect();
    }
    if (line == "!tls") {
        dialogue_->absorb(dialogue_->session().on_tls_ready({"TLSv1.3", "TLS_AES_128_GCM_SHA256"}));
        return collect();
    }
    if (line == "!closed") {
        if (!dialogue_->closed()) fail("got an open connection, want it closed");
        return;
    }
    fail("cannot parse script line: " + std::string(line));
}

// Send the batched client bytes, split as the feed mode says.
void ScriptRunner::flush() {
    if (pending_input_.empty()) return;
    if (dialogue_->closed()) fail("the client wrote after the server closed the connection");
    std::string_view input = pending_input_;
    static constexpr std::size_t kOdd[] = {1, 2, 3, 5, 7, 11, 13, 17, 64, 509};
    std::size_t round = 0;
    while (!input.empty()) {
        std::size_t n = input.size();
        if (feed_ == Feed::ByteByByte) n = 1;
        if (feed_ == Feed::OddChunks) n = std::min(n, kOdd[round++ % std::size(kOdd)]);
        dialogue_->feed(input.substr(0, n));
        input.remove_prefix(n);
    }
    pending_input_.clear();
    collect();
}

void ScriptRunner::collect() {
    auto& replies = dialogue_->pending_replies();
    for (auto& reply : replies) {
        std::string text = smtp::render(reply);
        result_.transcript += text;
        for (std::size_t pos = 0; pos < text.size();) {
            auto end = text.find("\r\n", pos);
            lines_.push_back({text.substr(pos, end - pos), reply.reason});
            pos = end + 2;
        }
    }
    replies.clear();
    if (dialogue_->closed() && result_.transcript.find("[closed]") == std::string::npos) {
        result_.transcript += "[closed]";
    }
}

void ScriptRunner::expect_line(std::string_view pattern, bool skip_continuations) {
    if (skip_continuations) {
        while (lines_.size() > 1 && lines_.front().text.size() > 3 &&
               lines_.front().text[3] == '-') {
            lines_.pop_front();
        }
    }
    if (lines_.empty()) return fail("got no reply, want " + std::string(pattern));
    auto got = std::move(lines_.front());
    lines_.pop_front();
    last_reason_ = got.reason;
    if (!matches(got.text, pattern)) fail("got " + got.text + ", want " + std::string(pattern));
}

}  // namespace

ScriptResult run_script(std::string_view script, Feed feed) {
    return ScriptRunner(feed).run(script);
}

}  // namespace mw::test
