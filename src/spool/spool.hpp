// The durable spool. commit() reports success only after the message and its envelope are on
// stable storage; concurrent commits share one fdatasync (group commit) on a committer thread.
// Delivery workers take committed messages and mark them delivered; after a crash, open()
// recovers every committed, not yet delivered message and never returns a torn record.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/fs_ops.hpp"
#include "base/result.hpp"

namespace mw::spool {

struct Envelope {
    std::string queue_id;                 // assigned by the spool at commit
    std::string sender;                   // reverse path without brackets; "" = null sender
    std::vector<std::string> recipients;  // canonical local addresses
    std::int64_t received_at = 0;         // unix seconds
    std::string helo;
    std::string peer_ip;
    std::string protocol;  // "ESMTP", ... for Received:
    std::string tls;       // "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty: no TLS
    std::string login;     // authenticated user (RFC 4954); empty: none
    bool smtputf8 = false;
    bool eight_bit = false;
};

struct SpooledMessage {
    Envelope envelope;
    std::string data;  // message bytes as received (CRLF line ends)
};

struct CommitOutcome {
    bool ok = false;
    std::string queue_id;
    std::string error;  // when !ok: "disk full", "write error: ...", "spool full", "shutting down"
};

struct SpoolOptions {
    std::uint64_t segment_bytes = 64ull << 20;  // start a new segment file past this size
    std::uint64_t max_bytes = 0;                // 0: unlimited; else commit fails with "spool full"
    std::chrono::microseconds commit_window{0};  // extra wait to gather a larger group
};

struct SpoolStats {
    std::uint64_t commits = 0;  // messages made durable
    std::uint64_t syncs = 0;    // fdatasync/fsync calls issued by the spool
    std::uint64_t delivered = 0;
    std::uint64_t pending = 0;  // committed, not yet marked delivered
    std::uint64_t bytes_on_disk = 0;
};

class Spool {
public:
    // Opens DIR (created if missing), recovers committed messages, truncates a torn tail.
    static Result<std::unique_ptr<Spool>, std::string> open(const std::filesystem::path& dir,
                                                            SpoolOptions options,
                                                            std::shared_ptr<FsOps> fs);
    virtual ~Spool() = default;

    // Thread-safe. Assigns envelope.queue_id. `done` runs on the committer thread once the
    // message is durable or failed (also for "spool full"); it must be quick (post the result to
    // the session's executor). Only after shutdown() does `done` run inline, on the caller's
    // thread, with "shutting down".
    virtual void commit(Envelope envelope, std::string data,
                        std::function<void(CommitOutcome)> done) = 0;

    // Delivery side. Waits up to `wait` for a committed message not yet handed out; nullopt on
    // timeout or after shutdown(). Each message is handed out once per process lifetime.
    virtual std::optional<SpooledMessage> next_for_delivery(std::chrono::milliseconds wait) = 0;
    // The message is in every mailbox: remove it from the spool (durably, possibly batched).
    virtual void mark_delivered(const std::string& queue_id) = 0;
    // Delivery failed temporarily: hand it out again after `delay`.
    virtual void defer(const std::string& queue_id, std::chrono::milliseconds delay) = 0;

    // Stop accepting commits (they fail with "shutting down"), finish the pending group,
    // wake all waiters. Idempotent.
    virtual void shutdown() = 0;
    virtual SpoolStats stats() const = 0;
};

}  // namespace mw::spool
