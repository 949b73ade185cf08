// The relay decision (issue #3 part 4): each classic open-relay trick has its own test, citing
// the rule. Every one must end in a real local mailbox or a refusal, never in AcceptRelay for an
// unauthenticated session, and never in relaying out of a local-looking address.
#include "policy/relay.hpp"

#include "policy_fixture.hpp"

namespace mw::policy {
namespace {

using Kind = RecipientDecision::Kind;
using Strings = std::vector<std::string>;

class Rfc5321RelayPolicy : public testing::PolicyFixture {
protected:
    RecipientDecision anon(const smtp::Mailbox& m) {
        return decide_recipient_targets(m, "", *dir_);
    }
    RecipientDecision authed(const smtp::Mailbox& m) {
        return decide_recipient_targets(m, "bob@example.org", *dir_);
    }
    static smtp::Mailbox mailbox(std::string local, std::string domain) {
        smtp::Mailbox m;
        m.local_part = std::move(local);
        m.domain = std::move(domain);
        return m;
    }
};

TEST_F(Rfc5321RelayPolicy, LocalUserIsAccepted) {
    RecordProperty("rfc", "issue #3 part 4");
    auto d = anon(parsed("<alice@example.org>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, UnknownLocalUserIsRefusedEvenWhenAuthenticated) {
    RecordProperty("rfc", "RFC 5321 §3.3 (550 for an unknown mailbox)");
    EXPECT_EQ(anon(parsed("<carol@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<carol@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, UnauthenticatedNonLocalIsRelayDenied) {
    RecordProperty("rfc", "issue #3 part 4; RFC 5321 §3.6.1");
    auto d = anon(parsed("<user@other.org>"));
    EXPECT_EQ(d.kind, Kind::NotLocal);
    EXPECT_TRUE(d.targets.empty());
}

TEST_F(Rfc5321RelayPolicy, AuthenticatedNonLocalIsAcceptRelay) {
    RecordProperty("rfc", "issue #3 part 4; RFC 6409 §4.3");
    auto d = authed(parsed("<User@Other.org>"));
    EXPECT_EQ(d.kind, Kind::AcceptRelay);
    EXPECT_EQ(d.targets, Strings{"User@Other.org"});
}

TEST_F(Rfc5321RelayPolicy, TrustedNetworkRelaysWithoutLogin) {
    // Issue #3: relay.trusted_networks (like Postfix mynetworks) may relay without AUTH; every
    // other client still gets NotLocal, and local recipients are decided as before.
    RecordProperty("rfc", "issue #3 part 4");
    const std::vector<auth::Cidr> trusted = *auth::parse_cidr_list(
        {"127.0.0.5/32", "192.0.2.0/24", "2001:db8:1::/48"}, "relay.trusted_networks");
    auto from = [&](std::string ip, std::string_view path) {
        return decide_recipient_targets(parsed(path), RelayClient{"", std::move(ip), &trusted},
                                        *dir_);
    };
    for (const char* ip : {"127.0.0.5", "192.0.2.200", "::ffff:192.0.2.1", "2001:db8:1:ff::9"}) {
        auto d = from(ip, "<User@Other.org>");
        EXPECT_EQ(d.kind, Kind::AcceptRelay) << ip;
        EXPECT_EQ(d.targets, Strings{"User@Other.org"}) << ip;
        EXPECT_TRUE(d.via_trusted_network) << ip;
        EXPECT_EQ(from(ip, "<u@[192.0.2.9]>").kind, Kind::AcceptRelay) << ip << " address literal";
    }
    for (const char* ip : {"127.0.0.6", "192.0.3.1", "2001:db8:2::1", "not-an-ip", ""}) {
        auto d = from(ip, "<user@other.org>");
        EXPECT_EQ(d.kind, Kind::NotLocal) << ip;
        EXPECT_FALSE(d.via_trusted_network) << ip;
    }
    // The open-relay tricks still end at a local mailbox or a refusal, trusted or not.
    EXPECT_EQ(from("127.0.0.5", "<user%other.org@example.org>").kind, Kind::UnknownUser);
    EXPECT_EQ(from("127.0.0.5", "<alice@example.org>").kind, Kind::Accept);
    EXPECT_FALSE(from("127.0.0.5", "<alice@example.org>").via_trusted_network);
    // A login relays whatever the network; the flag tells the log which rule allowed it.
    auto authed_trusted = decide_recipient_targets(
        parsed("<u@other.org>"), RelayClient{"bob@example.org", "127.0.0.5", &trusted}, *dir_);
    EXPECT_EQ(authed_trusted.kind, Kind::AcceptRelay);
    EXPECT_FALSE(authed_trusted.via_trusted_network);
    // No list (the default) trusts nobody.
    EXPECT_EQ(decide_recipient_targets(parsed("<u@other.org>"), RelayClient{"", "127.0.0.5", nullptr},
                                       *dir_)
                  .kind,
              Kind::NotLocal);
}

TEST_F(Rfc5321RelayPolicy, PercentHackDoesNotRelay) {
    RecordProperty("rfc", "issue #3 part 4 (percent hack); RFC 5321 §3.6.1");
    EXPECT_EQ(anon(parsed("<user%other.org@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<user%other.org@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, PercentHackWithCatchAllStaysLocal) {
    RecordProperty("rfc", "issue #3 part 4 (percent hack) and part 5 (catch-all)");
    ASSERT_TRUE(dir_->add_alias("@example.org", {"alice@example.org"}).ok());
    auto d = anon(parsed("<user%other.org@example.org>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, BangPathDoesNotRelay) {
    RecordProperty("rfc", "issue #3 part 4 (UUCP bang path); RFC 5321 §3.6.1");
    EXPECT_EQ(anon(parsed("<other.org!user@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<other.org!user@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, SourceRouteIsIgnoredAndTheFinalDomainDecides) {
    RecordProperty("rfc", "RFC 5321 §4.1.1.3 and Appendix C (source routes are ignored)");
    EXPECT_EQ(anon(parsed("<@example.org:user@other.org>")).kind, Kind::NotLocal);
    EXPECT_EQ(anon(parsed("<@example.org,@zeta.test:user@other.org>")).kind, Kind::NotLocal);
    auto local = anon(parsed("<@other.org:alice@example.org>"));
    EXPECT_EQ(local.kind, Kind::Accept);
    EXPECT_EQ(local.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, QuotedLocalPartWithAtDoesNotRelay) {
    RecordProperty("rfc", "issue #3 part 4 (quoted '@'); RFC 5321 §4.1.2 Quoted-string");
    EXPECT_EQ(anon(parsed("<\"user@other.org\"@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<\"user@other.org\"@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, QuotedLocalPartWithAtDoesNotReachTheCatchAll) {
    RecordProperty("rfc", "issue #3 part 4 (quoted '@')");
    ASSERT_TRUE(dir_->add_alias("@example.org", {"alice@example.org"}).ok());
    EXPECT_EQ(anon(parsed("<\"user@other.org\"@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, QuotedLocalPartWithPercentDoesNotRelay) {
    RecordProperty("rfc", "issue #3 part 4 (quoted '%')");
    EXPECT_EQ(anon(parsed("<\"user%other.org\"@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<\"user%other.org\"@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, QuotedLocalPartWithBangDoesNotRelay) {
    RecordProperty("rfc", "issue #3 part 4 (quoted '!')");
    EXPECT_EQ(anon(parsed("<\"other.org!user\"@example.org>")).kind, Kind::UnknownUser);
    EXPECT_EQ(authed(parsed("<\"other.org!user\"@example.org>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, QuotedPlainLocalPartIsTheSameMailbox) {
    RecordProperty("rfc", "RFC 5321 §4.1.2 (a quoted Dot-string names the same mailbox)");
    auto d = anon(parsed("<\"alice\"@example.org>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, IpLiteralIsNeverLocal) {
    RecordProperty("rfc", "issue #3 part 4 (IP literals); RFC 5321 §4.1.3");
    EXPECT_EQ(anon(parsed("<alice@[127.0.0.1]>")).kind, Kind::NotLocal);
    EXPECT_EQ(anon(parsed("<alice@[IPv6:::1]>")).kind, Kind::NotLocal);
    EXPECT_EQ(anon(parsed("<postmaster@[127.0.0.1]>")).kind, Kind::NotLocal);
}

TEST_F(Rfc5321RelayPolicy, IpLiteralRelaysOnlyWhenAuthenticated) {
    RecordProperty("rfc", "issue #3 part 4 (IP literals); RFC 5321 §4.1.3");
    auto d = authed(parsed("<user@[192.0.2.1]>"));
    EXPECT_EQ(d.kind, Kind::AcceptRelay);
    EXPECT_EQ(d.targets, Strings{"user@[192.0.2.1]"});
}

TEST_F(Rfc5321RelayPolicy, TrailingDotOfLocalDomainIsNormalised) {
    RecordProperty("rfc", "issue #3 part 4 (trailing dot); RFC 1034 §3.1 absolute names");
    // The SMTP parser already refuses "<alice@example.org.>"; the policy must be safe without it.
    EXPECT_FALSE(smtp::parse_path("<alice@example.org.>", false).ok());
    auto d = anon(mailbox("alice", "example.org."));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
    EXPECT_EQ(anon(mailbox("carol", "example.org.")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, OddCaseOfLocalDomainIsNormalised) {
    RecordProperty("rfc", "issue #3 part 4 (odd case); RFC 5321 §2.4 (domains are case-blind)");
    auto d = anon(parsed("<ALICE@ExAmPlE.OrG>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
    EXPECT_EQ(anon(parsed("<user%other.org@EXAMPLE.ORG>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, TrailingDotOrOddCaseOfForeignDomainIsStillRelaying) {
    RecordProperty("rfc", "issue #3 part 4");
    EXPECT_EQ(anon(mailbox("user", "Other.ORG.")).kind, Kind::NotLocal);
    EXPECT_EQ(anon(mailbox("user", "example.org..")).kind, Kind::NotLocal);
}

TEST_F(Rfc5321RelayPolicy, LookalikeOfALocalDomainIsNotLocal) {
    RecordProperty("rfc", "issue #3 part 4");
    EXPECT_EQ(anon(parsed("<alice@example.org.other.test>")).kind, Kind::NotLocal);
    EXPECT_EQ(anon(parsed("<alice@mail.example.org>")).kind, Kind::NotLocal);
}

TEST_F(Rfc5321RelayPolicy, AliasAcceptsWithAllTargets) {
    RecordProperty("rfc", "issue #3 part 5 (aliases)");
    ASSERT_TRUE(dir_->add_alias("team@example.org", {"bob@example.org", "alice@example.org"}).ok());
    auto d = anon(parsed("<Team@example.org>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, (Strings{"alice@example.org", "bob@example.org"}));
}

TEST_F(Rfc5321RelayPolicy, AliasToAnExternalAddressIsAcceptedUnauthenticated) {
    RecordProperty("rfc", "issue #3 part 5: the admin chose the forward; not an open relay");
    ASSERT_TRUE(dir_->add_alias("fwd@example.org", {"someone@other.test"}).ok());
    auto d = anon(parsed("<fwd@example.org>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"someone@other.test"});
}

TEST_F(Rfc5321RelayPolicy, CatchAllAcceptsOnlyWhenNothingElseMatches) {
    RecordProperty("rfc", "issue #3 part 5 (catch-all per domain)");
    ASSERT_TRUE(dir_->add_alias("@example.org", {"bob@example.org"}).ok());
    EXPECT_EQ(anon(parsed("<whoever@example.org>")).targets, Strings{"bob@example.org"});
    EXPECT_EQ(anon(parsed("<alice@example.org>")).targets, Strings{"alice@example.org"});
    EXPECT_EQ(anon(parsed("<whoever@zeta.test>")).kind, Kind::UnknownUser);
}

TEST_F(Rfc5321RelayPolicy, BarePostmasterGoesToThePostmasterAliasOfTheFirstDomain) {
    RecordProperty("rfc", "RFC 5321 §4.1.1.3 and §4.5.1 (RCPT TO:<Postmaster>)");
    ASSERT_TRUE(dir_->add_alias("postmaster@example.org", {"alice@example.org"}).ok());
    auto d = anon(rcpt("RCPT TO:<Postmaster>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, PostmasterOfEachHostedDomainIsAccepted) {
    RecordProperty("rfc", "RFC 5321 §4.5.1 (postmaster@domain must be accepted)");
    ASSERT_TRUE(dir_->add_alias("postmaster@example.org", {"alice@example.org"}).ok());
    auto d = anon(parsed("<POSTMASTER@Zeta.TEST>"));
    EXPECT_EQ(d.kind, Kind::Accept);
    EXPECT_EQ(d.targets, Strings{"alice@example.org"});
}

TEST_F(Rfc5321RelayPolicy, PostmasterAliasOfTheDomainWins) {
    RecordProperty("rfc", "RFC 5321 §4.5.1");
    ASSERT_TRUE(dir_->add_alias("postmaster@example.org", {"alice@example.org"}).ok());
    ASSERT_TRUE(dir_->add_alias("postmaster@zeta.test", {"zed@zeta.test"}).ok());
    ASSERT_TRUE(dir_->add_alias("@zeta.test", {"zed@zeta.test"}).ok());
    EXPECT_EQ(anon(parsed("<postmaster@zeta.test>")).targets, Strings{"zed@zeta.test"});
}

TEST_F(Rfc5321RelayPolicy, PostmasterWithoutAliasIsRefusedWithAHintForTheAdmin) {
    RecordProperty("rfc", "RFC 5321 §4.5.1; issue #3 part 4 (no ordinary user gets it)");
    auto d = anon(rcpt("RCPT TO:<Postmaster>"));
    EXPECT_EQ(d.kind, Kind::UnknownUser);
    EXPECT_EQ(d.note,
              "no postmaster mailbox (RFC 5321 §4.5.1 requires one): create it with 'mailwarden "
              "alias add postmaster@example.org YOUR-ADDRESS'");
    EXPECT_EQ(anon(parsed("<postmaster@zeta.test>")).kind, Kind::UnknownUser);
    // A catch-all is better than nothing when no postmaster alias exists anywhere.
    ASSERT_TRUE(dir_->add_alias("@zeta.test", {"zed@zeta.test"}).ok());
    EXPECT_EQ(anon(parsed("<postmaster@zeta.test>")).targets, Strings{"zed@zeta.test"});
}

TEST_F(Rfc5321RelayPolicy, PostmasterOfAForeignDomainIsRelaying) {
    RecordProperty("rfc", "RFC 5321 §4.5.1 covers our domains only");
    EXPECT_EQ(anon(parsed("<postmaster@other.org>")).kind, Kind::NotLocal);
}

TEST_F(Rfc5321RelayPolicy, VerdictForTheSmtpSession) {
    RecordProperty("rfc", "issue #3 part 4");
    using V = smtp::RecipientVerdict::Kind;
    auto accept = decide_recipient(parsed("<Alice@example.org>"), "", *dir_);
    EXPECT_EQ(accept.kind, V::Accept);
    EXPECT_EQ(accept.canonical, "alice@example.org");
    auto relay = decide_recipient(parsed("<u@other.org>"), "bob@example.org", *dir_);
    EXPECT_EQ(relay.kind, V::AcceptRelay);
    EXPECT_EQ(relay.canonical, "u@other.org");
    EXPECT_EQ(decide_recipient(parsed("<u@other.org>"), "", *dir_).kind, V::NotLocal);
    EXPECT_EQ(decide_recipient(parsed("<u%other.org@example.org>"), "", *dir_).kind,
              V::UnknownUser);
}

}  // namespace
}  // namespace mw::policy
