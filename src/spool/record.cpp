#include "spool/record.hpp"

#include <cstring>

#include "spool/crc32c.hpp"

namespace mw::spool {
namespace {

constexpr std::uint32_t kMagic = 0x3152574Du;   // "MWR1" as little-endian bytes
constexpr std::uint32_t kCommit = 0x21444E45u;  // "END!"
// 2: adds the TLS and login facts after the protocol.
constexpr std::uint8_t kMessageVersion = 2;

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}
std::uint32_t get_u32(std::string_view s, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

// Bounds-checked reader over a payload: any overrun makes the whole decode fail.
class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}
    bool u8(std::uint8_t& v) {
        if (s_.size() - pos_ < 1) return fail();
        v = static_cast<unsigned char>(s_[pos_++]);
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (s_.size() - pos_ < 4) return fail();
        v = get_u32(s_, pos_);
        pos_ += 4;
        return true;
    }
    bool u64(std::uint64_t& v) {
        std::uint32_t lo = 0, hi = 0;
        if (!u32(lo) || !u32(hi)) return false;
        v = static_cast<std::uint64_t>(hi) << 32 | lo;
        return true;
    }
    bool str(std::string& v) {
        std::uint32_t n = 0;
        if (!u32(n) || s_.size() - pos_ < n) return fail();
        v.assign(s_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    bool raw(std::uint64_t n, std::string& v) {
        if (s_.size() - pos_ < n) return fail();
        v.assign(s_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == s_.size(); }

private:
    bool fail() { return ok_ = false; }
    std::string_view s_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

std::size_t begin_record(std::string& out, RecordType type) {
    std::size_t start = out.size();
    put_u32(out, kMagic);
    out.push_back(static_cast<char>(type));
    out.append(3, '\0');
    put_u32(out, 0);  // payload length, patched by end_record
    return start;
}

void end_record(std::string& out, std::size_t start) {
    auto len = static_cast<std::uint32_t>(out.size() - start - kHeaderSize);
    for (int i = 0; i < 4; ++i) out[start + 8 + i] = static_cast<char>((len >> (8 * i)) & 0xff);
    std::uint32_t crc = crc32c(0, std::string_view(out).substr(start));
    put_u32(out, crc);
    put_u32(out, kCommit);
}

}  // namespace

std::optional<RecordHeader> parse_header(std::string_view h) {
    if (h.size() < kHeaderSize || get_u32(h, 0) != kMagic) return std::nullopt;
    auto type = static_cast<std::uint8_t>(h[4]);
    if (type < 1 || type > 3 || h[5] != 0 || h[6] != 0 || h[7] != 0) return std::nullopt;
    std::uint32_t len = get_u32(h, 8);
    if (len > kMaxPayload) return std::nullopt;
    return RecordHeader{static_cast<RecordType>(type), len};
}

RecordCheck check_record(std::string_view rec) {
    if (rec.size() < kHeaderSize + kTrailerSize) return RecordCheck::Torn;
    std::size_t body = rec.size() - kTrailerSize;
    if (get_u32(rec, body + 4) != kCommit) return RecordCheck::Torn;
    if (crc32c(0, rec.substr(0, body)) != get_u32(rec, body)) return RecordCheck::BadCrc;
    return RecordCheck::Ok;
}

std::size_t message_record_size(const Envelope& env, std::string_view data) {
    std::size_t n = kHeaderSize + kTrailerSize + 1 + 4 * 6 + 8 + 1 + 8;
    n += env.queue_id.size() + env.sender.size() + env.helo.size() + env.peer_ip.size() +
         env.protocol.size() + 4 + env.tls.size() + 4 + env.login.size();
    for (const auto& r : env.recipients) n += 4 + r.size();
    return n + data.size();
}

void append_message_record(std::string& out, const Envelope& env, std::string_view data) {
    std::size_t start = begin_record(out, RecordType::Message);
    out.push_back(static_cast<char>(kMessageVersion));
    put_str(out, env.queue_id);
    put_str(out, env.sender);
    put_u32(out, static_cast<std::uint32_t>(env.recipients.size()));
    for (const auto& r : env.recipients) put_str(out, r);
    put_u64(out, static_cast<std::uint64_t>(env.received_at));
    put_str(out, env.helo);
    put_str(out, env.peer_ip);
    put_str(out, env.protocol);
    put_str(out, env.tls);    // version 2
    put_str(out, env.login);  // version 2
    out.push_back(static_cast<char>((env.smtputf8 ? 1 : 0) | (env.eight_bit ? 2 : 0)));
    put_u64(out, data.size());
    out.append(data);
    end_record(out, start);
}

void append_id_list_record(std::string& out, RecordType type, const std::vector<std::string>& ids) {
    std::size_t start = begin_record(out, type);
    put_u32(out, static_cast<std::uint32_t>(ids.size()));
    for (const auto& id : ids) put_str(out, id);
    end_record(out, start);
}

std::optional<SpooledMessage> decode_message(std::string_view payload) {
    Reader r(payload);
    SpooledMessage m;
    Envelope& e = m.envelope;
    std::uint8_t version = 0, flags = 0;
    std::uint32_t nrcpt = 0;
    std::uint64_t received = 0, size = 0;
    // Version 1 (before TLS/AUTH facts) is still read, so an upgrade never strands queued mail.
    if (!r.u8(version) || version < 1 || version > kMessageVersion) return std::nullopt;
    if (!r.str(e.queue_id) || !r.str(e.sender) || !r.u32(nrcpt)) return std::nullopt;
    if (nrcpt > payload.size() / 4) return std::nullopt;  // each needs at least its length
    e.recipients.resize(nrcpt);
    for (auto& rc : e.recipients)
        if (!r.str(rc)) return std::nullopt;
    if (!r.u64(received) || !r.str(e.helo) || !r.str(e.peer_ip) || !r.str(e.protocol))
        return std::nullopt;
    if (version >= 2 && (!r.str(e.tls) || !r.str(e.login))) return std::nullopt;
    if (!r.u8(flags) || !r.u64(size)) return std::nullopt;
    if (!r.raw(size, m.data) || !r.at_end()) return std::nullopt;
    e.received_at = static_cast<std::int64_t>(received);
    e.smtputf8 = (flags & 1) != 0;
    e.eight_bit = (flags & 2) != 0;
    return m;
}

std::optional<std::vector<std::string>> decode_id_list(std::string_view payload) {
    Reader r(payload);
    std::uint32_t n = 0;
    if (!r.u32(n) || n > payload.size() / 4) return std::nullopt;
    std::vector<std::string> ids(n);
    for (auto& id : ids)
        if (!r.str(id)) return std::nullopt;
    if (!r.at_end()) return std::nullopt;
    return ids;
}

}  // namespace mw::spool
