// loadgen: a small SMTP load generator for the mailwarden benchmark (bench/run.sh).
//
// Two modes, both loopback-only (every target and source address must be in 127.0.0.0/8):
//
//   loadgen send HOST PORT --clients C --messages M --size BYTES [--reuse] [--max-seconds S]
//       C threads, each on its own blocking socket, send M messages in total (a shared counter),
//       lock-step, no pipelining, like smtp-source. Without --reuse every message has its own
//       connection (connect, 220, EHLO, MAIL, RCPT, DATA, body, 250, QUIT) exactly like
//       `smtp-source` without -d; with --reuse a client keeps its connection and sends RSET-free
//       MAIL/RCPT/DATA transactions on it.
//       Latency of one message:
//         per connection (default): from connect() to the 250 reply after end-of-data;
//         --reuse: from sending MAIL FROM to the 250 reply after end-of-data.
//       Prints one JSON object: ok, errors, seconds, msgs_per_s, p50_ms, p90_ms, p99_ms, max_ms,
//       client_cpu_s (this process's user+system CPU, to show the client is not the bottleneck).
//
//       Submission options (bench/auth.py):
//         --tls implicit      TLS from the first byte (the "submissions" port, RFC 8314);
//         --tls starttls      EHLO, STARTTLS, handshake, EHLO again (the "submission" port);
//         --resume            each client thread offers the last TLS session ticket / session it
//                             was given, so only its first handshake is a full one; the JSON
//                             counts tls_full and tls_resumed (SSL_session_reused) either way;
//         --auth USER:PASS    AUTH PLAIN with an initial response after (the second) EHLO, 235
//                             expected; --from / --to set the envelope (default bench@client.test
//                             and sink@bench.test);
//         --no-message        stop after EHLO (and AUTH) and QUIT: the connection pattern alone,
//                             to tell the cost of AUTH from the cost of the TLS connection.
//       The certificate is not verified (the server's self-signed development certificate on
//       loopback); the handshake still checks the server's signature over the transcript.
//
//   loadgen idle HOST PORT --connections N [--hold-seconds S]
//       Opens N connections (source addresses spread over 127.1.0.0/16 so no single source runs
//       out of ports), reads the banner and sends EHLO on each, then prints `ready N` on stdout
//       and holds them until stdin gets a line / closes or S seconds pass; then closes all.
//
// Every loop is bounded by count and by time.
// Build: g++ -O2 -std=c++20 -pthread loadgen.cpp -lssl -lcrypto
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string mode, host;
    int port = 0;
    int clients = 1;
    long messages = 100;
    long size = 4096;
    bool reuse = false;
    double max_seconds = 120;
    long connections = 5000;
    double hold_seconds = 60;
    std::string tls = "none";  // none | implicit | starttls
    bool resume = false;
    std::string auth;  // USER:PASS, empty: no AUTH
    std::string from = "bench@client.test", to = "sink@bench.test";
    bool no_message = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: loadgen send HOST PORT --clients C --messages M --size BYTES [--reuse] "
                 "[--max-seconds S]\n"
                 "                    [--tls implicit|starttls [--resume]] [--auth USER:PASS] "
                 "[--from A] [--to A] [--no-message]\n"
                 "       loadgen idle HOST PORT --connections N [--hold-seconds S]\n");
    std::exit(2);
}

bool is_loopback(const std::string& host) {
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) != 1) return false;
    return (ntohl(a.s_addr) >> 24) == 127;
}

// The TLS session each client thread would resume next: OpenSSL hands every new session (a TLS
// 1.3 ticket arrives after the handshake, with the banner) to remember_session() on the thread
// that owns the connection.
thread_local SSL_SESSION* t_session = nullptr;

int remember_session(SSL*, SSL_SESSION* session) {
    if (t_session) SSL_SESSION_free(t_session);
    t_session = session;
    return 1;  // we keep the reference
}

SSL_CTX* make_client_context() {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return nullptr;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, remember_session);
    return ctx;
}

std::string base64(const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

// A socket (plain, or TLS once start_tls() succeeded) with a line reader for SMTP replies.
class Conn {
public:
    ~Conn() { close(); }
    void close() {
        if (ssl_) {
            SSL_shutdown(ssl_);  // our close_notify only; the server's is not waited for
            SSL_free(ssl_);
            ssl_ = nullptr;
        }
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buf_.clear();
    }
    // Client handshake on the connected socket; offers t_session when `resume` is set.
    bool start_tls(SSL_CTX* ctx, bool resume) {
        ssl_ = SSL_new(ctx);
        if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return false;
        if (resume && t_session) SSL_set_session(ssl_, t_session);
        buf_.clear();
        if (SSL_connect(ssl_) != 1) {
            ERR_clear_error();
            return false;
        }
        return true;
    }
    bool resumed() const { return ssl_ && SSL_session_reused(ssl_) == 1; }
    bool connect(const std::string& host, int port, const char* source = nullptr) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return false;
        timeval tv{30, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (source) {
            sockaddr_in src{};
            src.sin_family = AF_INET;
            inet_pton(AF_INET, source, &src.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0) return false;
        }
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
        return ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    }
    bool send_all(const std::string& s) {
        size_t off = 0;
        while (off < s.size()) {
            ssize_t n;
            if (ssl_) {
                size_t written = 0;
                n = SSL_write_ex(ssl_, s.data() + off, s.size() - off, &written) == 1
                        ? static_cast<ssize_t>(written)
                        : -1;
            } else {
                n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
            }
            if (n <= 0) return false;
            off += static_cast<size_t>(n);
        }
        return true;
    }
    // Reads one (possibly multi-line) reply; returns its code, or -1.
    int reply() {
        for (int lines = 0; lines < 100; ++lines) {
            std::string line;
            if (!read_line(line) || line.size() < 3) return -1;
            if (line.size() == 3 || line[3] == ' ') return std::atoi(line.substr(0, 3).c_str());
        }
        return -1;
    }

private:
    bool read_line(std::string& line) {
        for (int reads = 0; reads < 1000; ++reads) {
            auto pos = buf_.find("\r\n");
            if (pos != std::string::npos) {
                line = buf_.substr(0, pos);
                buf_.erase(0, pos + 2);
                return true;
            }
            char tmp[4096];
            ssize_t n;
            if (ssl_) {
                size_t got = 0;
                n = SSL_read_ex(ssl_, tmp, sizeof tmp, &got) == 1 ? static_cast<ssize_t>(got) : -1;
            } else {
                n = ::recv(fd_, tmp, sizeof tmp, 0);
            }
            if (n <= 0) return false;
            buf_.append(tmp, static_cast<size_t>(n));
        }
        return false;
    }
    int fd_ = -1;
    SSL* ssl_ = nullptr;
    std::string buf_;
};

// Header + body of about `size` payload bytes in 78-byte lines, already dot-safe, ending CRLF.CRLF.
std::string make_message(long size, const std::string& from, const std::string& to) {
    std::string m = "From: <" + from + ">\r\nTo: <" + to +
                    ">\r\nSubject: mailwarden bench\r\n"
                    "Message-ID: <bench@client.test>\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n";
    long written = 0;
    while (written < size) {
        long n = std::min<long>(76, size - written);
        for (long i = 0; i < n; ++i) m.push_back(static_cast<char>('a' + (written + i) % 26));
        m += "\r\n";
        written += n + 2;
    }
    m += ".\r\n";
    return m;
}

double pct(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

double process_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto secs = [](const timeval& tv) {
        return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

struct SessionCounters {
    std::atomic<long> tls_full{0}, tls_resumed{0}, auth_ok{0};
};

// Connect and get the session to the point where MAIL FROM may follow: banner, EHLO, and per the
// options TLS (implicit or STARTTLS, then EHLO again) and AUTH PLAIN.
bool open_session(Conn& c, const Options& o, SSL_CTX* tls, SessionCounters& n) {
    if (!c.connect(o.host, o.port)) return false;
    auto handshake = [&] {
        if (!c.start_tls(tls, o.resume)) return false;
        ++(c.resumed() ? n.tls_resumed : n.tls_full);
        return true;
    };
    if (o.tls == "implicit" && !handshake()) return false;
    if (c.reply() != 220 || !c.send_all("EHLO client.test\r\n") || c.reply() != 250) return false;
    if (o.tls == "starttls") {
        if (!c.send_all("STARTTLS\r\n") || c.reply() != 220 || !handshake() ||
            !c.send_all("EHLO client.test\r\n") || c.reply() != 250)
            return false;
    }
    if (!o.auth.empty()) {
        const auto colon = o.auth.find(':');
        const std::string plain = std::string(1, '\0') + o.auth.substr(0, colon) +
                                  std::string(1, '\0') + o.auth.substr(colon + 1);
        if (!c.send_all("AUTH PLAIN " + base64(plain) + "\r\n") || c.reply() != 235) return false;
        ++n.auth_ok;
    }
    return true;
}

int run_send(const Options& o) {
    const std::string body = make_message(o.size, o.from, o.to);
    const std::string mail = "MAIL FROM:<" + o.from + ">\r\n", rcpt = "RCPT TO:<" + o.to + ">\r\n";
    SSL_CTX* tls = nullptr;
    if (o.tls != "none" && !(tls = make_client_context())) {
        std::fprintf(stderr, "loadgen: cannot create the TLS client context\n");
        return 2;
    }
    SessionCounters counters;
    std::atomic<long> next{0}, ok{0}, errors{0};
    std::vector<std::vector<double>> lat(static_cast<size_t>(o.clients));
    const double cpu0 = process_cpu_seconds();
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(o.max_seconds);
    auto worker = [&](int id) {
        auto& mine = lat[static_cast<size_t>(id)];
        Conn c;
        bool open = false;
        for (long guard = 0; guard < o.messages; ++guard) {
            if (next.fetch_add(1) >= o.messages || Clock::now() > deadline) break;
            auto t0 = Clock::now();
            bool good = true;
            if (!open) {
                good = open_session(c, o, tls, counters);
                open = good;
            }
            if (o.reuse) t0 = Clock::now();
            if (!o.no_message) {
                good = good && c.send_all(mail) && c.reply() == 250 && c.send_all(rcpt) &&
                       c.reply() == 250 && c.send_all("DATA\r\n") && c.reply() == 354 &&
                       c.send_all(body) && c.reply() == 250;
            }
            auto t1 = Clock::now();
            if (good) {
                ++ok;
                mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            } else {
                ++errors;
            }
            if (!good || !o.reuse) {
                if (good && c.send_all("QUIT\r\n")) c.reply();
                c.close();
                open = false;
            }
        }
        if (open && c.send_all("QUIT\r\n")) c.reply();
        c.close();
        if (t_session) SSL_SESSION_free(t_session);
        t_session = nullptr;
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < o.clients; ++i) threads.emplace_back(worker, i);
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = process_cpu_seconds() - cpu0;
    if (tls) SSL_CTX_free(tls);
    std::vector<double> all;
    for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    const char* latency = o.reuse        ? "MAIL FROM to 250 after end-of-data"
                          : o.no_message ? "connect to the last reply before QUIT"
                                         : "connect to 250 after end-of-data";
    std::printf(
        "{\"ok\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"msgs_per_s\": %.1f, \"p50_ms\": %.3f, "
        "\"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"latency\": \"%s\", "
        "\"client_cpu_s\": %.3f, \"tls\": \"%s\", \"tls_full\": %ld, \"tls_resumed\": %ld, "
        "\"auth_ok\": %ld}\n",
        ok.load(), errors.load(), secs, static_cast<double>(ok.load()) / secs, pct(all, 50),
        pct(all, 90), pct(all, 99), all.empty() ? 0.0 : all.back(), latency, cpu, o.tls.c_str(),
        counters.tls_full.load(), counters.tls_resumed.load(), counters.auth_ok.load());
    return errors.load() == 0 ? 0 : 1;
}

int run_idle(const Options& o) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < static_cast<rlim_t>(o.connections + 64)) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, static_cast<rlim_t>(o.connections + 64));
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    std::vector<Conn> conns(static_cast<size_t>(o.connections));
    long opened = 0, failed = 0;
    for (long i = 0; i < o.connections && Clock::now() < deadline; ++i) {
        char src[32];
        std::snprintf(src, sizeof src, "127.1.%ld.%ld", (i / 250) % 250, 1 + i % 250);
        Conn& c = conns[static_cast<size_t>(i)];
        if (c.connect(o.host, o.port, src) && c.reply() == 220 &&
            c.send_all("EHLO idle.client.test\r\n") && c.reply() == 250) {
            ++opened;
        } else {
            ++failed;
            c.close();
            if (failed > 50) break;
        }
    }
    std::printf("ready %ld failed %ld\n", opened, failed);
    std::fflush(stdout);
    pollfd p{0, POLLIN, 0};
    poll(&p, 1, static_cast<int>(o.hold_seconds * 1000));
    for (auto& c : conns) c.close();
    return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) usage();
    Options o;
    o.mode = argv[1];
    o.host = argv[2];
    o.port = std::atoi(argv[3]);
    for (int i = 4; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--clients") o.clients = std::atoi(val());
        else if (a == "--messages") o.messages = std::atol(val());
        else if (a == "--size") o.size = std::atol(val());
        else if (a == "--reuse") o.reuse = true;
        else if (a == "--max-seconds") o.max_seconds = std::atof(val());
        else if (a == "--connections") o.connections = std::atol(val());
        else if (a == "--hold-seconds") o.hold_seconds = std::atof(val());
        else if (a == "--tls") o.tls = val();
        else if (a == "--resume") o.resume = true;
        else if (a == "--auth") o.auth = val();
        else if (a == "--from") o.from = val();
        else if (a == "--to") o.to = val();
        else if (a == "--no-message") o.no_message = true;
        else usage();
    }
    if (!is_loopback(o.host)) {
        std::fprintf(stderr, "loadgen: only 127.0.0.0/8 targets are allowed\n");
        return 2;
    }
    if (o.clients < 1 || o.clients > 1024 || o.messages < 1 || o.size < 0 || o.port <= 0 ||
        o.connections < 1 || o.connections > 100000)
        usage();
    if (o.tls != "none" && o.tls != "implicit" && o.tls != "starttls") {
        std::fprintf(stderr, "loadgen: --tls takes implicit or starttls, not '%s'\n", o.tls.c_str());
        return 2;
    }
    if ((o.resume && o.tls == "none") || (o.no_message && o.reuse) ||
        (!o.auth.empty() && o.auth.find(':') == std::string::npos)) {
        std::fprintf(stderr,
                     "loadgen: --resume needs --tls, --no-message excludes --reuse, and --auth "
                     "takes USER:PASSWORD\n");
        return 2;
    }
    // SSL_write has no MSG_NOSIGNAL: a server that closes first must not kill the client.
    std::signal(SIGPIPE, SIG_IGN);
    if (o.mode == "send") return run_send(o);
    if (o.mode == "idle") return run_idle(o);
    usage();
}
