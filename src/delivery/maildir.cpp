#include "delivery/maildir.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

namespace mw::delivery {
namespace {

bool safe_component(std::string_view c) {
    return !c.empty() && c != "." && c != ".." && c.find('/') == std::string_view::npos &&
           c.find('\0') == std::string_view::npos;
}

// Envelope fields are client-supplied; a CR or LF in them must not start a new header.
std::string header_safe(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

std::uint64_t random64() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng();
}

}  // namespace

std::optional<MailboxPath> mailbox_for(std::string_view rcpt) {
    auto at = rcpt.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    MailboxPath mb{std::string(rcpt.substr(at + 1)), std::string(rcpt.substr(0, at))};
    if (!safe_component(mb.domain) || !safe_component(mb.local)) return std::nullopt;
    return mb;
}

std::string escape_hostname(std::string_view host) {
    std::string out;
    for (char c : host) {
        if (c == '/')
            out += "\\057";
        else if (c == ':')
            out += "\\072";
        else
            out += c;
    }
    return out;
}

std::string unique_name(std::string_view escaped_host, std::uint64_t size) {
    static std::atomic<std::uint64_t> counter{0};
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    char buf[128];
    std::snprintf(buf, sizeof buf, "%lld.M%06ldP%dQ%lluR%016llx.",
                  static_cast<long long>(tv.tv_sec), static_cast<long>(tv.tv_usec),
                  static_cast<int>(::getpid()), static_cast<unsigned long long>(++counter),
                  static_cast<unsigned long long>(random64()));
    return std::string(buf) + std::string(escaped_host) + ",S=" + std::to_string(size);
}

std::string delivery_name(const spool::Envelope& env, std::size_t rcpt_index,
                          std::string_view escaped_host, std::uint64_t size) {
    return std::to_string(env.received_at) + ".Q" + env.queue_id + "R" +
           std::to_string(rcpt_index) + "." + std::string(escaped_host) +
           ",S=" + std::to_string(size);
}

std::string address_literal(std::string_view ip) {
    if (ip.find(':') != std::string_view::npos) return "[IPv6:" + std::string(ip) + "]";
    return "[" + std::string(ip) + "]";
}

std::string rfc5322_date(std::int64_t unix_secs) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = static_cast<std::time_t>(unix_secs);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string_view line_ending_of(std::string_view data) {
    auto lf = data.find('\n');
    if (lf == std::string_view::npos || (lf > 0 && data[lf - 1] == '\r')) return "\r\n";
    return "\n";
}

std::string trace_headers(const spool::Envelope& env, std::string_view rcpt,
                          std::string_view hostname, std::string_view eol) {
    std::string out = "Return-Path: <" + header_safe(env.sender) + ">";
    out += eol;
    return out + received_header(env, rcpt, hostname, eol);
}

std::string received_header(const spool::Envelope& env, std::string_view rcpt,
                            std::string_view hostname, std::string_view eol) {
    std::string out;
    std::string helo = env.helo.empty() ? "unknown" : header_safe(env.helo);
    std::vector<std::string> parts = {
        // RFC 5321 §4.4: TCP-info is the client's address as an address literal.
        "Received: from " + helo + " (" + address_literal(header_safe(env.peer_ip)) + ")",
        "by " + header_safe(hostname) + " (mailwarden)",
        "with " + header_safe(env.protocol.empty() ? "SMTP" : env.protocol),
        // RFC 3848 says how; the negotiated TLS is a comment, as Postfix and Dovecot write it.
        env.tls.empty() ? std::string() : "(" + header_safe(env.tls) + ")",
        // RFC 5321 §7.6: a message for several recipients names none of them.
        "id " + header_safe(env.queue_id) + (rcpt.empty() ? ";" : ""),
        rcpt.empty() ? std::string() : "for <" + header_safe(rcpt) + ">;",
        rfc5322_date(env.received_at)};
    // Fold between the clauses (RFC 5322 §2.2.3) so no line passes 78 characters when avoidable.
    std::size_t line_len = 0;
    std::erase(parts, std::string());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0 && line_len + 1 + parts[i].size() > 78) {
            out += eol;
            out += '\t';
            line_len = 1;
        } else if (i > 0) {
            out += ' ';
            ++line_len;
        }
        out += parts[i];
        line_len += parts[i].size();
    }
    out += eol;
    return out;
}

}  // namespace mw::delivery

namespace mw::delivery {

std::uint64_t mailbox_bytes(const std::filesystem::path& mail_root, std::string_view address) {
    auto mb = mailbox_for(address);
    if (!mb) return 0;
    std::uint64_t total = 0;
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (const auto& entry :
             std::filesystem::directory_iterator(mail_root / mb->domain / mb->local / sub, ec)) {
            const std::string name = entry.path().filename().string();
            auto s = name.find(",S=");
            if (s != std::string::npos) {
                total += std::strtoull(name.c_str() + s + 3, nullptr, 10);
                continue;
            }
            std::error_code size_ec;
            auto size = entry.file_size(size_ec);
            if (!size_ec) total += size;
        }
    }
    return total;
}

Maildir::Maildir(std::filesystem::path root, std::shared_ptr<FsOps> fs)
    : root_(std::move(root)), fs_(std::move(fs)) {}

int Maildir::ensure(const MailboxPath& mb, std::string& dir) {
    std::string domain_dir = (root_ / mb.domain).string();
    dir = (root_ / mb.domain / mb.local).string();
    {
        std::lock_guard lk(mu_);
        if (ready_.count(dir)) return 0;
    }
    // mkdir is idempotent (EEXIST is success), so two workers racing here is harmless.
    for (const std::string& d :
         {root_.string(), domain_dir, dir, dir + "/tmp", dir + "/new", dir + "/cur"}) {
        if (int rc = fs_->mkdir(d, 0700); rc < 0) return rc;
    }
    // A new directory entry is durable only once its parent is synced; new/ itself is synced
    // after every rename.
    for (const std::string& d : {root_.string(), domain_dir, dir}) {
        if (int rc = fs_->fsync_dir(d); rc < 0) return rc;
    }
    std::lock_guard lk(mu_);
    ready_.insert(dir);
    return 0;
}

void Maildir::forget(const std::string& dir) {
    std::lock_guard lk(mu_);
    ready_.erase(dir);
}

int Maildir::write_tmp(const std::string& dir, const std::string& name, std::string_view content) {
    std::string path = dir + "/tmp/" + name;
    int fd = fs_->open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd == -EEXIST) {
        // A run killed mid-write left this very file (names are per message and recipient).
        fs_->unlink(path);
        fd = fs_->open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    }
    if (fd < 0) return fd;
    int rc = 0;
    std::size_t done = 0;
    while (rc == 0 && done < content.size()) {
        ssize_t n = fs_->write(fd, content.data() + done, content.size() - done);
        if (n <= 0)
            rc = n < 0 ? static_cast<int>(n) : -ENOSPC;
        else
            done += static_cast<std::size_t>(n);
    }
    if (rc == 0) rc = fs_->fsync(fd);
    int crc = fs_->close(fd);
    if (rc == 0) rc = crc;  // a failed close can mean lost data (NFS): treat it as a failure
    if (rc < 0) fs_->unlink(path);
    return rc;
}

int Maildir::publish(const std::string& dir, const std::string& name) {
    int rc = fs_->rename(dir + "/tmp/" + name, dir + "/new/" + name);
    if (rc < 0) fs_->unlink(dir + "/tmp/" + name);
    return rc;
}

int Maildir::sync_new(const std::string& dir) {
    return fs_->fsync_dir(dir + "/new");
}

void Maildir::unpublish(const std::string& dir, const std::string& name) {
    fs_->unlink(dir + "/new/" + name);
}

bool Maildir::contains(const std::string& dir, const std::string& name, bool search_cur) const {
    std::error_code ec;
    if (std::filesystem::exists(dir + "/new/" + name, ec)) return true;
    if (!search_cur) return false;
    // Maildir info is appended after ':' (":2,S"); the unique part before it never changes.
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/cur", ec)) {
        std::string n = entry.path().filename().string();
        if (n == name || (n.size() > name.size() && n.compare(0, name.size(), name) == 0 &&
                          n[name.size()] == ':'))
            return true;
    }
    return false;
}

std::size_t Maildir::remove_stale_tmp(std::string_view escaped_host) {
    const std::string marker = "." + std::string(escaped_host) + ",S=";
    std::size_t removed = 0;
    std::error_code ec;
    for (const auto& domain : std::filesystem::directory_iterator(root_, ec)) {
        std::error_code ec2;
        for (const auto& box : std::filesystem::directory_iterator(domain.path(), ec2)) {
            std::error_code ec3;
            for (const auto& f : std::filesystem::directory_iterator(box.path() / "tmp", ec3)) {
                if (f.path().filename().string().find(marker) == std::string::npos) continue;
                if (fs_->unlink(f.path().string()) == 0) ++removed;
            }
        }
    }
    return removed;
}

}  // namespace mw::delivery
