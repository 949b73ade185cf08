// DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030), and the commit effect at the end of a message.
// Body bytes go straight from the input buffer into the decoder; the transaction ends (and is
// reset) at the end of the message whatever the outcome.
// Security: only <CRLF>.<CRLF> ends DATA; bare LF, bare CR and NUL refuse the whole message
// (SMTP smuggling), and a refused BDAT chunk still consumes exactly its declared size so the
// next command is read from the right place.
#include <algorithm>

#include "smtp/session_impl.hpp"

namespace mw::smtp {
namespace {

Reply body_error_reply(BodyError error, std::uint64_t max) {
    switch (error) {
        case BodyError::BareLf:
            return make_reply(ReplyId::BareLf);
        case BodyError::BareCr:
            return make_reply(ReplyId::BareCr);
        case BodyError::NulByte:
            return make_reply(ReplyId::NulByte);
        case BodyError::LineTooLong:
            return make_reply(ReplyId::TextLineTooLong);
        case BodyError::TooBig:
            break;
    }
    return make_reply(ReplyId::MessageTooBig, {{"max", std::to_string(max)}});
}

}  // namespace

void Session::Impl::handle(const Data&) {
    if (txn->body == Transaction::Body::Bdat) return emit(make_reply(ReplyId::DataAfterBdat));
    // RFC 5321 §3.3: DATA with no accepted recipient gets 554 (or 503).
    if (txn->recipients.empty()) return emit(make_reply(ReplyId::NoValidRecipients));
    txn->body = Transaction::Body::Data;
    decoder.emplace(config.limits.max_message_size);
    state = State::Data;
    emit(make_reply(ReplyId::StartData));
}

void Session::Impl::handle(const Bdat& cmd) {
    std::optional<Reply> refusal;
    if (txn->body == Transaction::Body::Data) {
        refusal = make_reply(ReplyId::BdatAfterData);
    } else if (txn->recipients.empty()) {
        refusal = make_reply(ReplyId::NoValidRecipients);
    } else if (cmd.size == 0 && cmd.last && txn->chunk_count == 0) {
        refusal = make_reply(ReplyId::BdatEmptyMessage);
    }
    start_chunk(cmd, std::move(refusal));
}

void Session::Impl::start_chunk(const Bdat& cmd, std::optional<Reply> refusal) {
    if (!refusal) {
        txn->body = Transaction::Body::Bdat;
        if (!txn->chunks) txn->chunks.emplace(config.limits.max_message_size);
        ++txn->chunk_count;
    }
    chunk_size = cmd.size;
    chunk_remaining = cmd.size;
    chunk_last = cmd.last;
    chunk_refusal = std::move(refusal);
    state = State::Bdat;
}

bool Session::Impl::process_data() {
    std::string_view avail = std::string_view(buffer).substr(head);
    if (avail.empty()) return false;
    auto progress = decoder->feed(avail, txn->data);
    head += progress.consumed;
    if (!progress.done) return progress.consumed > 0;
    state = State::Command;
    auto error = decoder->error();
    decoder.reset();
    finish_message(error);
    return true;
}

// RFC 3030 §2: exactly `size` octets follow the BDAT line, whatever they contain.
bool Session::Impl::process_chunk() {
    std::string_view avail = std::string_view(buffer).substr(head);
    auto take = static_cast<std::size_t>(
        std::min<std::uint64_t>(chunk_remaining, static_cast<std::uint64_t>(avail.size())));
    if (take > 0) {
        if (!chunk_refusal) txn->chunks->feed(avail.substr(0, take), txn->data);
        head += take;
        chunk_remaining -= take;
    }
    if (chunk_remaining > 0) return take > 0;
    end_chunk();
    return true;
}

void Session::Impl::end_chunk() {
    state = State::Command;
    if (chunk_refusal) return emit(*std::exchange(chunk_refusal, std::nullopt));
    auto& checker = *txn->chunks;
    if (chunk_last) checker.finish();
    if (checker.error() || chunk_last) return finish_message(checker.error());
    emit(make_reply(ReplyId::ChunkOk, {{"octets", std::to_string(chunk_size)}}));
}

void Session::Impl::finish_message(std::optional<BodyError> error) {
    auto done = std::move(*txn);
    txn.reset();  // RFC 5321 §4.1.1.4: the end of data ends the transaction, accepted or not
    if (error) return emit(body_error_reply(*error, config.limits.max_message_size));
    CommitMessage commit;
    commit.reverse_path = done.reverse_path.null ? "" : done.reverse_path.mailbox.address();
    commit.recipients = std::move(done.recipients);
    commit.params = done.params;
    // RFC 3848 / RFC 6531 §3.7.3: the protocol name for the Received: header.
    commit.facts.protocol = protocol_name(done.params.smtputf8);
    if (tls) {
        commit.facts.tls_version = tls->version;
        commit.facts.tls_cipher = tls->cipher;
    }
    commit.facts.login = login.value_or("");
    commit.facts.helo = helo.value_or("");
    commit.facts.peer_ip = peer.ip;
    commit.data = std::move(done.data);
    pending = Pending::Commit;
    step.effect = std::move(commit);
}

void Session::Impl::resume_commit(const CommitVerdict& verdict) {
    if (verdict.ok) return emit(make_reply(ReplyId::Queued, {{"id", verdict.queue_id}}));
    // Never 250 without stable storage: a failed commit is a temporary refusal.
    if (verdict.failure == CommitVerdict::Failure::InsufficientStorage) {
        return emit(make_reply(ReplyId::InsufficientStorage));
    }
    emit(make_reply(ReplyId::LocalError));
}

}  // namespace mw::smtp
