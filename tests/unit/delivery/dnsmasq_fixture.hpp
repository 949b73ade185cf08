// A real DNS server for tests: dnsmasq (Debian package dnsmasq-base) on a free 127.0.0.1 port,
// in the foreground, answering only from the records given, and killed if the test process dies.
// Names under a local zone (default "test") that have no record get NXDOMAIN; names outside every
// zone get REFUSED; names under a timeout zone are forwarded to a socket that never answers.
// tests/e2e/dnsfixture.py is the same fixture for Python tests.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mw::test {

class DnsRecords {
public:
    DnsRecords& mx(const std::string& domain, const std::string& exchange, int preference);
    // RFC 7505: one MX of preference 0 whose exchange is the root ".".
    DnsRecords& null_mx(const std::string& domain);
    DnsRecords& address(const std::string& name, const std::string& ip);  // A or AAAA
    DnsRecords& cname(const std::string& alias, const std::string& target);
    DnsRecords& txt(const std::string& name, const std::string& text);
    DnsRecords& local_zone(const std::string& zone);
    DnsRecords& timeout_zone(const std::string& zone);

    const std::vector<std::string>& options() const { return options_; }
    const std::vector<std::string>& local_zones() const { return local_zones_; }
    const std::vector<std::string>& timeout_zones() const { return timeout_zones_; }

private:
    std::vector<std::string> options_;
    std::vector<std::string> local_zones_;
    std::vector<std::string> timeout_zones_;
};

class DnsmasqServer {
public:
    // Starts dnsmasq and waits (at most 10 s) until it answers a query. Throws
    // std::runtime_error with dnsmasq's own output when it cannot start.
    explicit DnsmasqServer(const DnsRecords& records);
    ~DnsmasqServer();
    DnsmasqServer(const DnsmasqServer&) = delete;
    DnsmasqServer& operator=(const DnsmasqServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string log() const;  // dnsmasq's output, queries included: for failure messages
    pid_t pid() const { return pid_; }

private:
    bool try_start(const DnsRecords& records);
    void stop();

    std::filesystem::path dir_;
    std::filesystem::path log_path_;
    int blackhole_fd_ = -1;  // a UDP socket nobody reads: the upstream of the timeout zones
    std::uint16_t blackhole_port_ = 0;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

// A 127.0.0.1 port where nothing listens over UDP or TCP right now.
std::uint16_t unused_loopback_port();

}  // namespace mw::test
