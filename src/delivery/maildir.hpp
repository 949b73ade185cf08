// Maildir writing (https://cr.yp.to/proto/maildir.html): unique names, trace headers, path
// safety, and the tmp/ → new/ steps through FsOps so each one can be fault-injected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/fs_ops.hpp"
#include "spool/spool.hpp"

namespace mw::delivery {

struct MailboxPath {
    std::string domain;
    std::string local;
};

// Splits "local@domain" at the last '@'. nullopt when either part could leave mail_root or name
// something odd: empty, ".", "..", or containing '/' or NUL.
std::optional<MailboxPath> mailbox_for(std::string_view rcpt);

// Bytes held in the mailbox of `address` under mail_root (new/ and cur/), for mailbox.quota.
// Uses the ",S=<size>" of Maildir++ names (every file mailwarden writes has it) and stats only
// files without one. A mailbox that does not exist yet holds 0 bytes. Blocking.
std::uint64_t mailbox_bytes(const std::filesystem::path& mail_root, std::string_view address);

// '/' and ':' cannot appear in a Maildir name part: they become \057 and \072.
std::string escape_hostname(std::string_view host);

// <secs>.M<usecs>P<pid>Q<n>R<random>.<host>,S=<size> — unique per host, process and call.
std::string unique_name(std::string_view escaped_host, std::uint64_t size);

// <received_at>.Q<queue_id>R<rcpt_index>.<host>,S=<size>: unique because queue ids are, and the
// same on every attempt, so a redelivery after a crash can see that the file is already there
// (exactly-once delivery across restarts; docs/spool.md).
std::string delivery_name(const spool::Envelope& env, std::size_t rcpt_index,
                          std::string_view escaped_host, std::uint64_t size);

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3 address literal) for Received: TCP-info.
std::string address_literal(std::string_view ip);

// "Tue, 14 Nov 2023 22:13:20 +0000": RFC 5322 date-time in UTC, locale-independent.
std::string rfc5322_date(std::int64_t unix_secs);

// "\r\n" when the message's first line ends in CRLF (or it has no line end), else "\n": the trace
// headers follow the message's own convention, so the file has one line-ending style.
std::string_view line_ending_of(std::string_view data);

// Return-Path and Received for one recipient, folded at 78 columns, ending in `eol`.
std::string trace_headers(const spool::Envelope& env, std::string_view rcpt,
                          std::string_view hostname, std::string_view eol);
// Only the Received: line (outbound copies get no Return-Path; the final server adds it).
// An empty `rcpt` leaves out the "for" clause.
std::string received_header(const spool::Envelope& env, std::string_view rcpt,
                            std::string_view hostname, std::string_view eol);

// The filesystem side. Thread-safe; remembers which mailboxes it already created and synced.
class Maildir {
public:
    Maildir(std::filesystem::path root, std::shared_ptr<FsOps> fs);

    // Creates root/domain/local/{tmp,new,cur} (0700) and syncs the parents once per process.
    // Sets `dir` to the mailbox directory. Returns 0 or -errno.
    int ensure(const MailboxPath& mb, std::string& dir);
    // The mailbox may have been removed under us: create it again next time.
    void forget(const std::string& dir);
    // tmp/<name>: create, write, fsync, close. On failure nothing is left in tmp/.
    int write_tmp(const std::string& dir, const std::string& name, std::string_view content);
    // tmp/<name> → new/<name>. On failure the tmp file is removed.
    int publish(const std::string& dir, const std::string& name);
    // Makes the renames into dir/new durable.
    int sync_new(const std::string& dir);
    // Takes back a published file whose directory sync failed.
    void unpublish(const std::string& dir, const std::string& name);
    // The file `name` is already in the mailbox: in new/, or (when search_cur) moved to cur/ by
    // a mail client, possibly with ":2,<flags>" appended. Read-only.
    bool contains(const std::string& dir, const std::string& name, bool search_cur) const;
    // Removes tmp/ files that an earlier run of this host left behind when it was killed
    // mid-write (names ending in ".<escaped_host>,S=<n>"). Returns how many were removed.
    std::size_t remove_stale_tmp(std::string_view escaped_host);

private:
    std::filesystem::path root_;
    std::shared_ptr<FsOps> fs_;
    std::mutex mu_;
    std::set<std::string> ready_;  // mailbox dirs created and synced
};

}  // namespace mw::delivery
