// `mailwarden diagnose HOST --user ADDRESS`: checks, from the client's side, how a mail client
// can send through any SMTP server, and prints a verdict per knowledge-base cause and the
// settings that work (issue #5 part 6; docs/diagnose.md). The logic is in src/diagnose/.
// Security: the password comes from stdin (--password-stdin) or a terminal prompt, never argv;
// it is sent only inside TLS with a certificate that checked, unless --insecure.
#include <charconv>

#include "cli/commands.hpp"
#include "diagnose/network.hpp"
#include "diagnose/verdict.hpp"

namespace mw::cli {

namespace {

struct DiagnoseArgs {
    std::string host;
    std::string user;
    bool password_stdin = false;
    std::optional<std::string> to;
    std::optional<std::string> from;
    std::optional<std::string> ports;
    int implicit_tls_port = 465;
    int starttls_port = 587;
    int relay_port = 25;
    std::optional<int> current_port;
    std::optional<std::filesystem::path> ca_file;
    bool insecure = false;
    int timeout = 15;
    std::string ehlo_name = "mailwarden-diagnose.invalid";
    bool transcript = false;
};

// example.com is reserved for documentation (RFC 2606) and publishes a null MX (RFC 7505):
// nothing is ever delivered there, and no DATA is sent anyway. Servers that check recipient
// domains refuse it with 5.1.x / 5.7.27, which diagnose reports as "choose another --to".
constexpr std::string_view kDefaultRecipient = "postmaster@example.com";

// Characters that cannot go into an SMTP command or would end it early.
void check_wire_text(const std::string& what, const std::string& text, bool needs_at) {
    if (text.empty()) throw CommandError{kExitUsage, what + " is empty"};
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
            throw CommandError{kExitUsage, what + " '" + text +
                                               "' contains a space, a control character or "
                                               "angle brackets"};
    if (needs_at && text.find('@') == std::string::npos)
        throw CommandError{kExitUsage, what + " '" + text + "' is not an email address"};
}

std::uint16_t port_value(const std::string& what, int value) {
    if (value < 0 || value > 65535)
        throw CommandError{kExitUsage, what + " " + std::to_string(value) +
                                           " is not a port number (1-65535, 0 to skip)"};
    return static_cast<std::uint16_t>(value);
}

// --ports IMPLICIT,STARTTLS,RELAY: the three roles in that order; 0 skips one.
void apply_ports_list(DiagnoseArgs& args) {
    if (!args.ports) return;
    std::vector<int> values;
    std::string_view rest = *args.ports;
    while (true) {
        auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        int value = -1;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (ec != std::errc() || end != item.data() + item.size() || item.empty())
            throw CommandError{kExitUsage, "--ports '" + *args.ports +
                                               "': write three port numbers, implicit TLS, "
                                               "STARTTLS and port-25 role, e.g. 465,587,25"};
        values.push_back(value);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (values.size() != 3)
        throw CommandError{kExitUsage, "--ports '" + *args.ports +
                                           "': write three port numbers (implicit TLS, "
                                           "STARTTLS, port-25 role), 0 to skip one"};
    args.implicit_tls_port = values[0];
    args.starttls_port = values[1];
    args.relay_port = values[2];
}

std::optional<std::string> read_password(Context& ctx, const DiagnoseArgs& args) {
    if (args.password_stdin) return read_password_line(ctx.io);
    if (!ctx.io.read_secret) return std::nullopt;  // no terminal: the login is not checked
    auto secret = ctx.io.read_secret("Password for " + args.user + ": ");
    if (!secret) throw CommandError{kExitUsage, "password entry aborted"};
    return secret;
}

int run_diagnose(Context& ctx, DiagnoseArgs args) {
    apply_ports_list(args);
    check_wire_text("--user", args.user, false);
    // A username without @ is one of the causes to diagnose, not a usage error; it just
    // leaves no sender address to try unless --from gives one.
    const std::string from =
        args.from.value_or(args.user.find('@') != std::string::npos ? args.user : "");
    const std::string to = args.to.value_or(std::string(kDefaultRecipient));
    if (!from.empty()) check_wire_text("the sender (--from, default --user)", from, true);
    check_wire_text("--to", to, true);
    check_wire_text("--ehlo-name", args.ehlo_name, false);
    if (args.timeout < 1 || args.timeout > 300)
        throw CommandError{kExitUsage, "--timeout must be 1 to 300 seconds"};

    diagnose::NetworkRequest request;
    request.host = args.host;
    request.timeout = std::chrono::seconds(args.timeout);
    request.ca_file = args.ca_file;
    for (auto [role, value, what] :
         {std::tuple{diagnose::PortRole::ImplicitTls, args.implicit_tls_port, "--implicit-tls-port"},
          std::tuple{diagnose::PortRole::StartTls, args.starttls_port, "--starttls-port"},
          std::tuple{diagnose::PortRole::Relay, args.relay_port, "--relay-port"}}) {
        if (auto port = port_value(what, value); port != 0) request.ports.push_back({role, port});
    }
    if (request.ports.empty()) throw CommandError{kExitUsage, "every port is 0: nothing to probe"};
    request.probe.ehlo_name = args.ehlo_name;
    request.probe.username = args.user;
    request.probe.password = read_password(ctx, args);
    request.probe.insecure = args.insecure;
    request.probe.mail_from = from;
    request.probe.rcpt_to = to;

    diagnose::Findings findings;
    findings.host = args.host;
    findings.username = args.user;
    findings.mail_from = from;
    findings.rcpt_to = to;
    if (args.current_port) findings.current_port = port_value("--current-port", *args.current_port);
    auto probed = diagnose::probe_server(request, findings);
    if (!probed) throw CommandError{kExitUsage, probed.error()};
    const diagnose::Diagnosis diagnosis = diagnose::diagnose(findings);
    ctx.io.out << diagnose::render(findings, diagnosis, args.transcript) << std::flush;
    return diagnosis.exit_code;
}

}  // namespace

void add_diagnose_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand(
        "diagnose",
        "Check how a mail client can send through an SMTP server (any server): TLS, "
        "certificate, AUTH, login, sender and relay; prints a verdict per cause and the "
        "settings that work. Exit 0: a working setting was found; 2: host unreachable; 3: "
        "nothing worked (docs/diagnose.md)");
    auto args = std::make_shared<DiagnoseArgs>();
    cmd->add_option("host", args->host, "The outgoing (SMTP) server name or address")
        ->required();
    cmd->add_option("--user", args->user, "The login, normally your full email address")
        ->required();
    cmd->add_flag("--password-stdin", args->password_stdin,
                  "Read the password as one line from standard input (else a terminal prompt; "
                  "without either the login is not checked)");
    cmd->add_option("--to", args->to,
                    "An external recipient for the RCPT TO test (nothing is sent: no DATA); "
                    "default postmaster@example.com");
    cmd->add_option("--from", args->from, "The sender for MAIL FROM; default --user");
    cmd->add_option("--ports", args->ports,
                    "IMPLICIT,STARTTLS,RELAY: the three ports to probe, in that role order "
                    "(default 465,587,25; 0 skips one)");
    cmd->add_option("--implicit-tls-port", args->implicit_tls_port,
                    "Port with TLS from the first byte (default 465, 0 skips)");
    cmd->add_option("--starttls-port", args->starttls_port,
                    "Submission port with STARTTLS (default 587, 0 skips)");
    cmd->add_option("--relay-port", args->relay_port,
                    "Server-to-server port (default 25, 0 skips)");
    cmd->add_option("--current-port", args->current_port,
                    "The port your mail client uses now: the wrong-port verdict then says "
                    "whether it works");
    cmd->add_option("--ca-file", args->ca_file,
                    "PEM file of CA certificates to trust in addition to the system's");
    cmd->add_flag("--insecure", args->insecure,
                  "Log in even when the certificate does not check (the verdict still says so)");
    cmd->add_option("--timeout", args->timeout,
                    "Seconds for each connect, handshake and reply (1-300, default 15)");
    cmd->add_option("--ehlo-name", args->ehlo_name,
                    "Name to send in EHLO (default mailwarden-diagnose.invalid)");
    cmd->add_flag("--transcript", args->transcript,
                  "Also print each dialogue (the password is never shown)");
    add_global_options(*cmd, ctx);
    cmd->callback([&ctx, args] { ctx.action = [&ctx, args] { return run_diagnose(ctx, *args); }; });
}

}  // namespace mw::cli
