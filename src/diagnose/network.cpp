#include "diagnose/network.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>

#include "net/client_link.hpp"
#include "net/smtp_client_connection.hpp"

namespace mw::diagnose {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// A probe is a handful of commands; the bound only stops a server that keeps the dialogue
// going forever (endless 334 challenges) from keeping us.
constexpr int kMaxSteps = 64;

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string name_text(const X509_NAME* name) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
    return bio_text(bio.get());
}

std::string time_text(const ASN1_TIME* t) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    ASN1_TIME_print(bio.get(), t);
    return bio_text(bio.get());
}

// The handshake verifies nothing by itself (verify_none): a mail client would stop at a bad
// certificate, but diagnose wants to see the server anyway and say exactly what is wrong.
// OpenSSL still verifies the chain and keeps the result (SSL_get_verify_result).
void inspect_certificate(SSL* ssl, const std::string& host, TlsReport& report) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl), X509_free);
    if (!cert) {
        report.chain_error = "the server sent no certificate";
        return;
    }
    report.subject = name_text(X509_get_subject_name(cert.get()));
    report.issuer = name_text(X509_get_issuer_name(cert.get()));
    report.not_before = time_text(X509_get0_notBefore(cert.get()));
    report.not_after = time_text(X509_get0_notAfter(cert.get()));
    report.dates_ok = X509_cmp_current_time(X509_get0_notBefore(cert.get())) < 0 &&
                      X509_cmp_current_time(X509_get0_notAfter(cert.get())) > 0;
    const long verify = SSL_get_verify_result(ssl);
    report.chain_trusted = verify == X509_V_OK;
    if (!report.chain_trusted) report.chain_error = X509_verify_cert_error_string(verify);
    error_code ip_ec;
    asio::ip::make_address(host, ip_ec);
    report.name_matches =
        ip_ec ? X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr) == 1
              : X509_check_ip_asc(cert.get(), host.c_str(), 0) == 1;
}

awaitable<TlsReport> handshake(const std::shared_ptr<net::ClientLink>& link,
                               asio::ssl::context& ctx, const std::string& host,
                               std::chrono::seconds timeout) {
    TlsReport report;
    auto ec = co_await net::start_client_tls(
        link, ctx, host, timeout,
        [](asio::ssl::stream<tcp::socket>& s) { s.set_verify_mode(asio::ssl::verify_none); });
    if (ec) {
        report.handshake_error = net::describe(ec, link->timed_out);
        co_return report;
    }
    report.handshake_ok = true;
    report.session = net::describe_tls_session(*link);
    inspect_certificate(link->tls->native_handle(), host, report);
    co_return report;
}

awaitable<PortReport> probe_one(const NetworkRequest& request, PortToProbe target,
                                tcp::endpoint endpoint, ProbeOptions options,
                                asio::ssl::context& ctx) {
    auto executor = co_await asio::this_coro::executor;
    const std::string address = endpoint.address().to_string();
    auto link = std::make_shared<net::ClientLink>(tcp::socket(executor));
    auto ec = co_await net::connect_link(link, endpoint, request.timeout);
    if (ec) {
        PortReport failed;
        failed.role = target.role;
        failed.port = target.port;
        failed.address = address;
        failed.connect_error = net::describe(ec, link->timed_out);
        co_return failed;
    }
    std::optional<TlsReport> implicit;
    if (target.role == PortRole::ImplicitTls)
        implicit = co_await handshake(link, ctx, request.host, request.timeout);
    PortProbe probe(target.role, target.port, address, std::move(options), std::move(implicit));
    Action action = probe.start();
    std::array<char, 16 * 1024> buffer{};
    for (int step = 0; step < kMaxSteps && !probe.done(); ++step) {
        if (!action.output.empty()) {
            auto wec = co_await net::write_all(link, action.output, request.timeout);
            if (wec) {
                action = link->timed_out ? probe.on_timeout() : probe.on_closed(wec.message());
                continue;
            }
        }
        if (action.next == Action::Next::Close) break;
        if (action.next == Action::Next::StartTls) {
            TlsReport tls = co_await handshake(link, ctx, request.host, request.timeout);
            action = probe.on_tls(std::move(tls));
            continue;
        }
        auto got = co_await net::read_some(link, buffer, request.timeout);
        if (got.ec) {
            action = link->timed_out ? probe.on_timeout() : probe.on_closed(got.ec.message());
            continue;
        }
        action = probe.on_input(std::string_view(buffer.data(), got.n));
    }
    link->close();
    PortReport report = probe.report();
    if (!probe.done() && !report.error) report.error = "the dialogue did not end in time";
    co_return report;
}

}  // namespace

Result<bool, std::string> probe_server(const NetworkRequest& request, Findings& findings) {
    auto ctx = net::make_client_tls_context(true);
    if (!ctx) return mw::unexpected(ctx.error());
    if (request.ca_file) {
        error_code ec;
        (*ctx)->load_verify_file(request.ca_file->string(), ec);
        if (ec)
            return mw::unexpected("cannot read the CA file " + request.ca_file->string() + ": " +
                                  ec.message());
    }
    asio::io_context io;
    std::vector<tcp::endpoint> endpoints;
    {
        tcp::resolver resolver(io);
        error_code ec;
        auto results = resolver.resolve(request.host, "0", ec);
        if (ec) {
            findings.resolve_error = request.host + ": " + ec.message();
            return true;
        }
        for (const auto& entry : results) {
            auto address = entry.endpoint().address().to_string();
            if (std::find(findings.addresses.begin(), findings.addresses.end(), address) !=
                findings.addresses.end())
                continue;
            findings.addresses.push_back(address);
            endpoints.push_back(entry.endpoint());
        }
    }
    ProbeOptions options = request.probe;
    for (const PortToProbe& target : request.ports) {
        PortReport report;
        // The first address that accepts the connection is the one a mail client would use.
        for (auto endpoint : endpoints) {
            endpoint.port(target.port);
            asio::co_spawn(io, probe_one(request, target, endpoint, options, **ctx),
                           [&report](std::exception_ptr e, PortReport r) {
                               if (e) std::rethrow_exception(e);
                               report = std::move(r);
                           });
            io.run();
            io.restart();
            if (report.connected) break;
        }
        // A refused password is not tried again elsewhere: every failure counts towards the
        // server's brute-force block.
        if (report.auth == AuthOutcome::Rejected && report.auth_reply &&
            report.auth_reply->permanent())
            options.may_authenticate = false;
        findings.ports.push_back(std::move(report));
    }
    return true;
}

}  // namespace mw::diagnose
