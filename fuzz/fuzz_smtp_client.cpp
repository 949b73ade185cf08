// Fuzz target for the smtp::client::Client state machine: a hostile server's bytes, split into
// chunks, against every combination of policies. Input: 2 octets of options and split seed,
// then the server's bytes. Invariants:
//  - every write is whole CRLF-terminated command lines, with no bare CR or LF;
//  - AUTH (and with it the password) is never sent without TLS unless explicitly allowed;
//  - the input buffer stays bounded;
//  - the machine always ends (the driver reports the close at the end of input), and then
//    every recipient has a final status; a recipient is delivered only after the body was sent;
//  - after the end nothing more is written;
//  - with connection reuse, further transactions keep all of the above.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "smtp/client/client.hpp"

namespace {

using namespace mw::smtp::client;

void check_output(std::string_view out, bool tls_active, bool plaintext_auth_allowed) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\r') FUZZ_CHECK(i + 1 < out.size() && out[i + 1] == '\n');
        if (out[i] == '\n') FUZZ_CHECK(i > 0 && out[i - 1] == '\r');
    }
    if (!out.empty()) FUZZ_CHECK(out.size() >= 2 && out.substr(out.size() - 2) == "\r\n");
    if (!tls_active && !plaintext_auth_allowed) {
        FUZZ_CHECK(out.find("AUTH") == std::string_view::npos);
    }
}

struct Splitter {  // xorshift32: deterministic chunk lengths
    std::uint32_t state;
    std::size_t next() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return 1 + state % 97;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t flags = data[0];
    Options options;
    options.ehlo_name = "out.example.org";
    options.tls = static_cast<TlsPolicy>((flags & 3) % 3);
    options.tls_active = (flags & 4) != 0;
    const bool handshake_fails = (flags & 8) != 0;
    if ((flags & 16) != 0) options.auth = Credentials{"alice", "secret", (flags & 32) != 0};
    Envelope envelope;
    envelope.reverse_path = (flags & 64) != 0 ? "" : "alice@example.org";
    envelope.recipients = {"bob@example.net", "carol@example.net", "d\xC3\xA9@example.net"};
    envelope.message_size = 1000;
    envelope.needs_8bitmime = (flags & 128) != 0;
    options.reuse_connection = (data[1] & 1) != 0;
    int transactions_left = 2;
    const bool plaintext_auth_allowed = options.auth && options.auth->allow_without_tls;
    bool tls = options.tls_active;

    Client client(options, envelope);
    const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
    Splitter split{static_cast<std::uint32_t>(data[1]) * 2654435761u | 1u};
    bool body_sent = false;
    Step step = client.start();
    std::size_t pos = 0;
    // Each round either consumes input or changes state; 4 rounds per octet is a loose bound.
    for (std::size_t round = 0; round < 4 * in.size() + 16 && !client.done(); ++round) {
        check_output(step.output, tls, plaintext_auth_allowed);
        FUZZ_CHECK(client.buffered_bytes() <= kMaxReplyLine * kMaxReplyLines + kMaxReplyLine);
        switch (step.next) {
            case Step::Next::Close:
                break;
            case Step::Next::TransactionDone:
                for (const RecipientResult& r : client.result().recipients) {
                    FUZZ_CHECK(r.status != Status::Pending);
                }
                step = transactions_left-- > 0 ? client.next_transaction(envelope) : client.quit();
                continue;
            case Step::Next::StartTls:
                if (handshake_fails) {
                    step = client.on_tls_failed("handshake failure");
                } else {
                    tls = true;
                    step = client.on_tls_ready();
                }
                continue;
            case Step::Next::SendBody:
                body_sent = true;
                step = client.on_body_sent();
                continue;
            case Step::Next::Read:
                if (pos >= in.size()) {
                    step = client.on_closed("end of fuzz input");
                    continue;
                }
                const std::size_t n = std::min(split.next(), in.size() - pos);
                step = client.on_input(in.substr(pos, n));
                pos += n;
                continue;
        }
        break;
    }
    check_output(step.output, tls, plaintext_auth_allowed);
    if (!client.done()) step = client.on_closed("end of fuzz input");
    FUZZ_CHECK(client.done());
    for (const RecipientResult& r : client.result().recipients) {
        FUZZ_CHECK(r.status != Status::Pending);
        if (r.status == Status::Delivered) FUZZ_CHECK(body_sent);
        const std::uint8_t want_class = r.status == Status::Delivered   ? 2
                                        : r.status == Status::Temporary ? 4
                                                                        : 5;
        FUZZ_CHECK(r.esc.cls == want_class);
    }
    FUZZ_CHECK(client.on_input("250 more\r\n").output.empty());
    FUZZ_CHECK(client.on_timeout().output.empty());
    return 0;
}
