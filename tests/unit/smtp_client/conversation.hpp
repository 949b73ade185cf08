// Drives a Client with scripted server bytes, the way net/ will drive it with a socket:
// everything the client writes is collected, and the last step tells what it asked for.
// Byte mode feeds every server chunk one octet at a time, to show that results do not depend
// on how the network splits the replies.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "smtp/client/client.hpp"

namespace mw::smtp::client::test {

inline constexpr std::string_view kGreeting = "220 mx.example.net ESMTP ready\r\n";

// An EHLO reply offering `keywords` (RFC 5321 §4.1.1.1: the first line is the greeting).
inline std::string ehlo(std::initializer_list<std::string_view> keywords) {
    std::string reply = "250";
    reply += keywords.size() == 0 ? " " : "-";
    reply += "mx.example.net greets out.example.org\r\n";
    std::size_t i = 0;
    for (const auto keyword : keywords) {
        reply += ++i == keywords.size() ? "250 " : "250-";
        reply += keyword;
        reply += "\r\n";
    }
    return reply;
}

// The common case of most tests: our EHLO name, no TLS, no AUTH; two recipients, 1000 octets.
inline Options plain_options() {
    Options o;
    o.ehlo_name = "out.example.org";
    return o;
}

inline Envelope two_recipients() {
    Envelope e;
    e.reverse_path = "alice@example.org";
    e.recipients = {"bob@example.net", "carol@example.net"};
    e.message_size = 1000;
    return e;
}

class Conversation {
public:
    Conversation(Options options, Envelope envelope, bool bytewise = false)
        : client_(std::move(options), std::move(envelope)), bytewise_(bytewise) {
        take(client_.start());
    }

    // The server sends `bytes`.
    Conversation& server(std::string_view bytes) {
        if (!bytewise_) {
            take(client_.on_input(bytes));
            return *this;
        }
        std::string output;
        for (const char c : bytes) {
            take(client_.on_input(std::string_view(&c, 1)));
            output += last_output_;
        }
        last_output_ = output;
        return *this;
    }
    Conversation& tls_ready() {
        take(client_.on_tls_ready());
        return *this;
    }
    Conversation& body_sent() {
        take(client_.on_body_sent());
        return *this;
    }

    // What the client wrote since the last call to wrote().
    std::string wrote() { return std::exchange(unread_, {}); }
    // Everything the client wrote.
    const std::string& transcript() const { return transcript_; }
    const Step& step() const { return step_; }
    Step::Next next() const { return step_.next; }
    Client& client() { return client_; }
    const Report& report() const { return client_.result(); }
    const RecipientResult& rcpt(std::size_t i) const { return client_.result().recipients.at(i); }

private:
    void take(Step step) {
        last_output_ = step.output;
        unread_ += step.output;
        transcript_ += step.output;
        step_ = std::move(step);
    }

    Client client_;
    bool bytewise_;
    Step step_;
    std::string last_output_;
    std::string unread_;
    std::string transcript_;
};

}  // namespace mw::smtp::client::test
