// Helpers shared by the spool and delivery tests: a self-removing temp dir, envelopes, and a
// synchronous commit.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "spool/spool.hpp"

namespace mw::test {

class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("mw-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline spool::Envelope make_envelope(std::vector<std::string> rcpts = {"bob@example.org"}) {
    spool::Envelope e;
    e.sender = "alice@example.com";
    e.recipients = std::move(rcpts);
    e.received_at = 1700000000;
    e.helo = "client.example.com";
    e.peer_ip = "203.0.113.5";
    e.protocol = "ESMTP";
    return e;
}

inline std::string make_body(int i, std::size_t extra = 0) {
    return "Subject: test " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n" +
           std::string(extra, 'x') + "\r\n";
}

inline spool::CommitOutcome commit_sync(spool::Spool& s, spool::Envelope env, std::string data) {
    std::promise<spool::CommitOutcome> p;
    auto f = p.get_future();
    s.commit(std::move(env), std::move(data), [&p](spool::CommitOutcome o) { p.set_value(o); });
    return f.get();
}

inline std::unique_ptr<spool::Spool> open_spool(const std::filesystem::path& dir,
                                                spool::SpoolOptions opts = {},
                                                std::shared_ptr<FsOps> fs = real_fs_ops()) {
    auto r = spool::Spool::open(dir, opts, std::move(fs));
    if (!r) return nullptr;
    return std::move(r).value();
}

// Every message the spool hands out right now, in hand-out order. Committed and recovered
// messages are ready as soon as commit's callback ran or open() returned, so no wait is needed.
inline std::vector<spool::SpooledMessage> drain(spool::Spool& s) {
    std::vector<spool::SpooledMessage> out;
    while (auto m = s.next_for_delivery(std::chrono::milliseconds(0))) out.push_back(*m);
    return out;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace mw::test
