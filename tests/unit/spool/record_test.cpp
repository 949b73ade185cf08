#include "spool/record.hpp"

#include <gtest/gtest.h>

#include "unit/spool/spool_test_util.hpp"

namespace mw::spool {
namespace {

std::string payload_of(const std::string& rec) {
    auto h = parse_header(rec);
    return rec.substr(kHeaderSize, h->payload_len);
}

TEST(SpoolRecordFormat, MessageRoundTripsExactly) {
    Envelope e = test::make_envelope({"a@x.org", "b@y.org"});
    e.queue_id = "0123456789abcdefg";
    e.smtputf8 = true;
    e.tls = "TLSv1.3 TLS_AES_256_GCM_SHA384";
    e.login = "alice@example.org";
    using namespace std::string_literals;
    std::string data = "Subject: hi\r\n\r\n\0binary\xff\r\n.\r\n\0"s;
    std::string rec;
    append_message_record(rec, e, data);
    EXPECT_EQ(rec.size(), message_record_size(e, data));
    auto h = parse_header(rec);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->type, RecordType::Message);
    EXPECT_EQ(h->record_size(), rec.size());
    EXPECT_EQ(check_record(rec), RecordCheck::Ok);
    auto m = decode_message(payload_of(rec));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, data);
    EXPECT_EQ(m->envelope.queue_id, e.queue_id);
    EXPECT_EQ(m->envelope.recipients, e.recipients);
    EXPECT_EQ(m->envelope.sender, e.sender);
    EXPECT_EQ(m->envelope.received_at, e.received_at);
    EXPECT_EQ(m->envelope.helo, e.helo);
    EXPECT_EQ(m->envelope.peer_ip, e.peer_ip);
    EXPECT_EQ(m->envelope.protocol, e.protocol);
    EXPECT_EQ(m->envelope.tls, e.tls);
    EXPECT_EQ(m->envelope.login, e.login);
    EXPECT_TRUE(m->envelope.smtputf8);
    EXPECT_FALSE(m->envelope.eight_bit);
}

TEST(SpoolRecordFormat, TruncatedPayloadNeverDecodes) {
    std::string rec;
    append_message_record(rec, test::make_envelope(), "body\r\n");
    std::string p = payload_of(rec);
    for (std::size_t cut = 0; cut < p.size(); ++cut)
        EXPECT_FALSE(decode_message(p.substr(0, cut))) << cut;
    std::string ids;
    append_id_list_record(ids, RecordType::Delivered, {"aaa", "bbb"});
    std::string q = payload_of(ids);
    ASSERT_TRUE(decode_id_list(q));
    EXPECT_EQ(*decode_id_list(q), (std::vector<std::string>{"aaa", "bbb"}));
    for (std::size_t cut = 0; cut < q.size(); ++cut) EXPECT_FALSE(decode_id_list(q.substr(0, cut)));
}

TEST(SpoolRecordFormat, CommitMarkerAndCrcAreChecked) {
    std::string rec;
    append_id_list_record(rec, RecordType::Delivered, {"abc"});
    std::string torn = rec;
    torn[torn.size() - 1] = 'X';  // commit marker damaged: the record never completed
    EXPECT_EQ(check_record(torn), RecordCheck::Torn);
    std::string flipped = rec;
    flipped[kHeaderSize + 5] ^= 0x10;  // payload damaged inside an intact frame
    EXPECT_EQ(check_record(flipped), RecordCheck::BadCrc);
    std::string bad_magic = rec;
    bad_magic[0] = 'X';
    EXPECT_FALSE(parse_header(bad_magic));
    EXPECT_FALSE(parse_header(rec.substr(0, kHeaderSize - 1)));
}

// Messages spooled by a version without the TLS/login facts (record version 1) are still read
// after an upgrade: the same payload minus the two empty strings, with version byte 1.
TEST(SpoolRecordFormat, VersionOneMessagesAreStillRead) {
    Envelope e = test::make_envelope({"a@x.org"});
    e.queue_id = "q1";
    std::string data = "Subject: old\r\n\r\nbody\r\n";
    std::string rec;
    append_message_record(rec, e, data);
    std::string payload = payload_of(rec);
    ASSERT_EQ(payload[0], 2);
    const std::size_t facts_end = payload.size() - data.size() - 8 - 1;  // before flags, size
    ASSERT_EQ(payload.substr(facts_end - 8, 8), std::string(8, '\0'));   // two empty strings
    std::string v1 = payload.substr(0, facts_end - 8) + payload.substr(facts_end);
    v1[0] = 1;
    auto m = decode_message(v1);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->data, data);
    EXPECT_EQ(m->envelope.protocol, e.protocol);
    EXPECT_TRUE(m->envelope.tls.empty());
    EXPECT_FALSE(decode_message(std::string(1, '\x03') + v1.substr(1))) << "unknown version";
}

}  // namespace
}  // namespace mw::spool
