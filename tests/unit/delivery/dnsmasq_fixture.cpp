#include "unit/delivery/dnsmasq_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace mw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

std::uint16_t bound_port(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
    return ntohs(sa.sin_port);
}

bool bind_loopback(int fd, std::uint16_t port) {
    const auto sa = loopback(port);
    return ::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
}

fs::path find_dnsmasq() {
    std::vector<fs::path> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        for (std::string d; std::getline(ss, d, ':');) dirs.emplace_back(d);
    }
    dirs.emplace_back("/usr/sbin");  // not on a normal user's PATH
    dirs.emplace_back("/sbin");
    for (const auto& d : dirs)
        if (::access((d / "dnsmasq").c_str(), X_OK) == 0) return d / "dnsmasq";
    throw std::runtime_error(
        "dnsmasq not found on PATH or in /usr/sbin: run scripts/install-deps.sh "
        "(Debian package dnsmasq-base)");
}

// One UDP query for ready.probe.invalid: any reply with our id means dnsmasq is serving.
bool answers_queries(std::uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return false;
    const std::uint16_t id = 0x4d57;
    std::vector<unsigned char> q = {0x4d, 0x57, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    for (std::string label : {"ready", "probe", "invalid"}) {
        q.push_back(static_cast<unsigned char>(label.size()));
        q.insert(q.end(), label.begin(), label.end());
    }
    q.insert(q.end(), {0, 0, 1, 0, 1});  // root, type A, class IN
    const auto sa = loopback(port);
    if (::sendto(fd.get(), q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&sa),
                 sizeof sa) < 0)
        return false;
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) != 1) return false;
    std::array<unsigned char, 512> reply{};
    const auto n = ::recv(fd.get(), reply.data(), reply.size(), 0);
    return n >= 2 && ((reply[0] << 8) | reply[1]) == id;
}

}  // namespace

std::uint16_t unused_loopback_port() {
    // dnsmasq serves UDP and TCP on the same port, so both must be free.
    for (int attempt = 0; attempt < 20; ++attempt) {
        Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (udp.get() < 0 || !bind_loopback(udp.get(), 0)) continue;
        const auto port = bound_port(udp.get());
        Fd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (tcp.get() >= 0 && bind_loopback(tcp.get(), port)) return port;
    }
    throw std::runtime_error("no free loopback port for UDP and TCP after 20 attempts");
}

DnsRecords& DnsRecords::mx(const std::string& domain, const std::string& exchange, int preference) {
    options_.push_back("--mx-host=" + domain + "," + exchange + "," + std::to_string(preference));
    return *this;
}

DnsRecords& DnsRecords::null_mx(const std::string& domain) {
    // dnsmasq writes the exchange "." as the bare root label: RDATA 00 00 00, exactly RFC 7505.
    return mx(domain, ".", 0);
}

DnsRecords& DnsRecords::address(const std::string& name, const std::string& ip) {
    options_.push_back("--host-record=" + name + "," + ip);
    return *this;
}

DnsRecords& DnsRecords::cname(const std::string& alias, const std::string& target) {
    options_.push_back("--cname=" + alias + "," + target);
    return *this;
}

DnsRecords& DnsRecords::txt(const std::string& name, const std::string& text) {
    options_.push_back("--txt-record=" + name + "," + text);
    return *this;
}

DnsRecords& DnsRecords::local_zone(const std::string& zone) {
    local_zones_.push_back(zone);
    return *this;
}

DnsRecords& DnsRecords::timeout_zone(const std::string& zone) {
    timeout_zones_.push_back(zone);
    return *this;
}

DnsmasqServer::DnsmasqServer(const DnsRecords& records) {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("mw-dnsmasq-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
    log_path_ = dir_ / "dnsmasq.log";
    Fd blackhole(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (blackhole.get() < 0 || !bind_loopback(blackhole.get(), 0))
        throw std::runtime_error("cannot bind the blackhole UDP socket");
    blackhole_port_ = bound_port(blackhole.get());
    blackhole_fd_ = blackhole.release();
    // Another process may take the chosen port between the check and dnsmasq's bind: retry.
    for (int attempt = 0; attempt < 5; ++attempt)
        if (try_start(records)) return;
    const auto output = log();
    stop();
    throw std::runtime_error("dnsmasq did not start after 5 attempts:\n" + output);
}

bool DnsmasqServer::try_start(const DnsRecords& records) {
    port_ = unused_loopback_port();
    std::vector<std::string> args = {
        find_dnsmasq().string(),
        // In the foreground, but not --no-daemon: that debug mode serves a TCP connection inline
        // and answers no UDP query until the client closes it, which stalled every lookup made
        // while a truncated answer was being fetched over TCP.
        "--keep-in-foreground",
        "--pid-file",  // none
        "--port=" + std::to_string(port_), "--listen-address=127.0.0.1", "--bind-interfaces",
        "--no-resolv",  // never forward to the machine's real resolver
        "--no-hosts",   // nor answer from /etc/hosts
        "--conf-file=/dev/null", "--cache-size=0", "--log-queries",
        "--log-facility=-",  // stderr only, not the machine's syslog
    };
    // As root dnsmasq would switch to nobody/dip, and a credential change clears the parent-death
    // signal set below: keep the credentials it was started with.
    if (::geteuid() == 0) args.insert(args.end(), {"--user=root", "--group=root"});
    std::vector<std::string> local = records.local_zones();
    if (local.empty()) local.push_back("test");
    for (const auto& z : local) args.push_back("--local=/" + z + "/");
    for (const auto& z : records.timeout_zones())
        args.push_back("--server=/" + z + "/127.0.0.1#" + std::to_string(blackhole_port_));
    args.insert(args.end(), records.options().begin(), records.options().end());

    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Open everything before fork: the child may only make async-signal-safe calls.
    const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) throw std::runtime_error("cannot open dnsmasq's log file");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        // A test that crashes must not leave dnsmasq running: it dies with us.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    if (pid_ < 0) throw std::runtime_error("fork for dnsmasq failed");

    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;  // exited: most likely the port was taken meanwhile
            return false;
        }
        if (answers_queries(port_)) return true;
        std::this_thread::sleep_for(20ms);
    }
    const auto output = log();
    stop();
    throw std::runtime_error("dnsmasq started but did not answer within 10 s:\n" + output);
}

void DnsmasqServer::stop() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        bool reaped = false;
        for (int i = 0; i < 250 && !reaped; ++i) {  // at most 5 s
            reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
            if (!reaped) std::this_thread::sleep_for(20ms);
        }
        if (!reaped) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }
    if (blackhole_fd_ >= 0) ::close(std::exchange(blackhole_fd_, -1));
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

DnsmasqServer::~DnsmasqServer() {
    stop();
}

std::string DnsmasqServer::log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace mw::test
