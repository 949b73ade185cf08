// MX routing against a real DNS server (dnsmasq on loopback): preference order, seeded shuffling
// of equal preferences, implicit MX, IPv6, null MX, NXDOMAIN, a dead or silent server, MX hosts
// without addresses, CNAMEs and address literals. RFC 5321 §5.1, RFC 7505, RFC 5321 §4.1.3.
#include "delivery/mx_resolver.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include "delivery/mx_resolver_names.hpp"
#include "unit/delivery/dnsmasq_fixture.hpp"

namespace mw::delivery {
namespace {

using namespace std::chrono_literals;
using test::DnsmasqServer;
using test::DnsRecords;

// Short timeouts keep the failure tests quick; the loopback server answers in microseconds.
MxResolverOptions options_for(const std::string& server) {
    MxResolverOptions o;
    o.servers = {server};
    o.timeout = 300ms;
    o.tries = 2;
    o.seed = 1;
    return o;
}

std::unique_ptr<MxResolver> make_resolver(MxResolverOptions options) {
    auto r = MxResolver::create(std::move(options));
    if (!r) throw std::runtime_error("MxResolver::create: " + r.error());
    return std::move(r).value();
}

ResolveResult resolve(MxResolver& resolver, const std::string& domain) {
    auto f = resolver.resolve_destination(domain);
    if (f.wait_for(20s) != std::future_status::ready)
        throw std::runtime_error("no result for " + domain + " within 20 s");
    return f.get();
}

std::vector<std::string> host_names(const Destination& d) {
    std::vector<std::string> out;
    for (const auto& h : d.hosts) out.push_back(h.name);
    return out;
}

std::vector<std::string> addresses(const MxHost& h) {
    std::vector<std::string> out;
    for (const auto& a : h.addresses) out.push_back(a.text);
    return out;
}

std::string describe(const ResolveResult& r) {
    if (r) return "ok: " + std::to_string(r->hosts.size()) + " hosts";
    return std::string(r.error().reason()) + ": " + r.error().detail;
}

bool notes_mention(const Destination& d, const std::string& text) {
    for (const auto& n : d.notes)
        if (n.find(text) != std::string::npos) return true;
    return false;
}

class Rfc5321MxRouting : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        DnsRecords records;
        records.mx("pref.test", "mx2.pref.test", 20)
            .mx("pref.test", "mx1.pref.test", 10)
            .address("mx1.pref.test", "127.0.0.1")
            .address("mx1.pref.test", "::1")
            .address("mx2.pref.test", "127.0.0.2")
            // four hosts at preference 10 behind one at 5
            .mx("equal.test", "first.equal.test", 5)
            .address("first.equal.test", "127.0.1.1");
        int octet = 1;
        for (const std::string h : {"a", "b", "c", "d"}) {
            records.mx("equal.test", h + ".equal.test", 10)
                .address(h + ".equal.test", "127.0.2." + std::to_string(octet++));
        }
        records.address("plain.test", "127.0.0.3")
            .address("plain.test", "::1")
            .mx("v6only.test", "mx.v6only.test", 10)
            .address("mx.v6only.test", "::1")
            .null_mx("nullmx.test")
            .mx("skip.test", "gone.skip.test", 10)  // no record: NXDOMAIN for its A and AAAA
            .mx("skip.test", "txt.skip.test", 15)   // exists, but only a TXT record
            .txt("txt.skip.test", "no address here")
            .mx("skip.test", "ok.skip.test", 20)
            .address("ok.skip.test", "127.0.0.4")
            .mx("noaddr.test", "gone1.noaddr.test", 10)
            .mx("noaddr.test", "gone2.noaddr.test", 20)
            .txt("txtonly.test", "a domain with neither MX nor address")
            .mx("cn.test", "mxalias.cn.test", 10)
            .cname("mxalias.cn.test", "real.cn.test")
            .address("real.cn.test", "127.0.0.5")
            .cname("alias.test", "cn.test")
            .mx("ipmx.test", "127.0.0.9", 5)
            .mx("ipmx.test", "named.ipmx.test", 10)
            .address("named.ipmx.test", "127.0.0.6")
            .mx("dup.test", "one.dup.test", 10)
            .mx("dup.test", "two.dup.test", 20)
            .address("one.dup.test", "127.0.0.7")
            .address("two.dup.test", "127.0.0.7")
            .mx("blocked.test", "mx.blocked.test", 10)
            .address("mx.blocked.test", "0.0.0.0")
            .address("mx.blocked.test", "127.0.0.8")
            .timeout_zone("silent.test");
        // 30 MX records do not fit a 512-octet UDP answer: the resolver must retry over TCP.
        for (int i = 1; i <= 30; ++i) {
            const auto host = "host-number-" + std::to_string(i) + ".big.test";
            records.mx("big.test", host, i).address(host, "127.0.3." + std::to_string(i));
        }
        server_ = new DnsmasqServer(records);
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override { resolver_ = make_resolver(options_for(server_->address())); }

    ResolveResult lookup(const std::string& domain) {
        auto r = resolve(*resolver_, domain);
        RecordProperty("lookup", describe(r));
        return r;
    }

    static DnsmasqServer* server_;
    std::unique_ptr<MxResolver> resolver_;
};
DnsmasqServer* Rfc5321MxRouting::server_ = nullptr;

TEST_F(Rfc5321MxRouting, HostsComeInPreferenceOrderWithAllTheirAddresses) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("pref.test");
    ASSERT_TRUE(r) << describe(r) << "\n" << server_->log();
    EXPECT_EQ(host_names(*r), (std::vector<std::string>{"mx1.pref.test", "mx2.pref.test"}));
    EXPECT_EQ(r->hosts[0].preference, 10);
    EXPECT_EQ(r->hosts[1].preference, 20);
    EXPECT_EQ(addresses(r->hosts[0]), (std::vector<std::string>{"::1", "127.0.0.1"}));
    EXPECT_EQ(r->hosts[0].addresses[0].family, IpAddress::Family::v6);
    EXPECT_EQ(addresses(r->hosts[1]), (std::vector<std::string>{"127.0.0.2"}));
    EXPECT_EQ(r->hosts[0].port, 25);
    EXPECT_FALSE(r->implicit_mx);
    EXPECT_EQ(r->answered_by, server_->address());
    EXPECT_TRUE(notes_mention(*r, "loopback address 127.0.0.1")) << "loopback is allowed, noted";
}

TEST_F(Rfc5321MxRouting, Ipv4FirstWhenAskedAndThePortIsConfigurable) {
    auto o = options_for(server_->address());
    o.prefer_ipv6 = false;
    o.port = 2525;
    auto resolver = make_resolver(o);
    auto r = resolve(*resolver, "PREF.test.");  // case and the trailing dot do not matter
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(r->domain, "pref.test");
    EXPECT_EQ(addresses(r->hosts[0]), (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(r->hosts[0].port, 2525);
}

TEST_F(Rfc5321MxRouting, EqualPreferencesAreShuffledReproduciblyBySeed) {
    RecordProperty("rfc", "5321 5.1");
    std::set<std::vector<std::string>> orders;
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        auto o = options_for(server_->address());
        o.seed = seed;
        auto first = resolve(*make_resolver(o), "equal.test");
        auto again = resolve(*make_resolver(o), "equal.test");
        ASSERT_TRUE(first && again) << describe(first);
        ASSERT_EQ(first->hosts.size(), 5u);
        EXPECT_EQ(first->hosts[0].name, "first.equal.test") << "preference 5 always leads";
        EXPECT_EQ(host_names(*first), host_names(*again)) << "same seed, same order; seed " << seed;
        const auto names = host_names(*first);
        std::set<std::string> equal(names.begin() + 1, names.end());
        EXPECT_EQ(equal, (std::set<std::string>{"a.equal.test", "b.equal.test", "c.equal.test",
                                                "d.equal.test"}));
        orders.insert(host_names(*first));
    }
    // 12 seeds over 24 permutations: one single order would mean no shuffling at all.
    EXPECT_GE(orders.size(), 3u);
}

TEST_F(Rfc5321MxRouting, NoMxRecordMakesTheDomainItsOwnImplicitMx) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("plain.test");
    ASSERT_TRUE(r) << describe(r);
    EXPECT_TRUE(r->implicit_mx);
    EXPECT_EQ(host_names(*r), (std::vector<std::string>{"plain.test"}));
    EXPECT_EQ(r->hosts[0].preference, 0);
    EXPECT_EQ(addresses(r->hosts[0]), (std::vector<std::string>{"::1", "127.0.0.3"}));
    EXPECT_EQ(r->answered_by, server_->address());
}

TEST_F(Rfc5321MxRouting, AnIpv6OnlyHostIsUsable) {
    auto r = lookup("v6only.test");
    ASSERT_TRUE(r) << describe(r);
    ASSERT_EQ(r->hosts.size(), 1u);
    EXPECT_EQ(addresses(r->hosts[0]), (std::vector<std::string>{"::1"}));
    EXPECT_EQ(r->hosts[0].addresses[0].family, IpAddress::Family::v6);
}

TEST_F(Rfc5321MxRouting, NullMxMeansTheDomainAcceptsNoMail) {
    RecordProperty("rfc", "7505 3; 7505 4");
    auto r = lookup("nullmx.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::null_mx);
    EXPECT_TRUE(r.error().permanent());
    EXPECT_EQ(r.error().enhanced_status(), "5.1.10");
    EXPECT_NE(r.error().detail.find("accepts no mail"), std::string::npos) << r.error().detail;
}

TEST_F(Rfc5321MxRouting, NxdomainMeansTheDomainDoesNotExist) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("missing.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::domain_not_found);
    EXPECT_TRUE(r.error().permanent());
    EXPECT_EQ(r.error().enhanced_status(), "5.1.2");
    EXPECT_NE(r.error().detail.find("does not exist"), std::string::npos) << r.error().detail;
    EXPECT_NE(r.error().detail.find(server_->address()), std::string::npos) << r.error().detail;
}

TEST_F(Rfc5321MxRouting, MxHostsWithoutAddressesAreSkipped) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("skip.test");
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(host_names(*r), (std::vector<std::string>{"ok.skip.test"}));
    EXPECT_TRUE(notes_mention(*r, "skipped MX gone.skip.test"));
    EXPECT_TRUE(notes_mention(*r, "skipped MX txt.skip.test"));
}

TEST_F(Rfc5321MxRouting, NoMxHostWithAnAddressIsATemporaryFailure) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("noaddr.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::no_usable_mx);
    EXPECT_FALSE(r.error().permanent());
    EXPECT_EQ(r.error().enhanced_status(), "4.4.4");
    EXPECT_NE(r.error().detail.find("gone1.noaddr.test"), std::string::npos) << r.error().detail;
}

TEST_F(Rfc5321MxRouting, NoMxAndNoAddressMeansNoMailServer) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("txtonly.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::no_mail_host);
    EXPECT_TRUE(r.error().permanent());
    EXPECT_EQ(r.error().enhanced_status(), "5.4.4");
}

TEST_F(Rfc5321MxRouting, CnamesAreFollowedForTheDomainAndTheExchange) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("alias.test");  // alias.test CNAME cn.test; cn.test MX mxalias (a CNAME)
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(host_names(*r), (std::vector<std::string>{"mxalias.cn.test"}));
    EXPECT_EQ(addresses(r->hosts[0]), (std::vector<std::string>{"127.0.0.5"}));
}

TEST_F(Rfc5321MxRouting, AnMxNamingAnIpAddressIsSkipped) {
    RecordProperty("rfc", "5321 5.1");
    auto r = lookup("ipmx.test");
    ASSERT_TRUE(r) << describe(r);
    EXPECT_EQ(host_names(*r), (std::vector<std::string>{"named.ipmx.test"}));
    EXPECT_TRUE(notes_mention(*r, "not an IP address"));
}

TEST_F(Rfc5321MxRouting, AnAddressIsTriedOnceAndUnspecifiedAddressesNever) {
    auto dup = lookup("dup.test");
    ASSERT_TRUE(dup) << describe(dup);
    EXPECT_EQ(host_names(*dup), (std::vector<std::string>{"one.dup.test"}));
    auto blocked = lookup("blocked.test");
    ASSERT_TRUE(blocked) << describe(blocked);
    EXPECT_EQ(addresses(blocked->hosts[0]), (std::vector<std::string>{"127.0.0.8"}));
    EXPECT_TRUE(notes_mention(*blocked, "0.0.0.0"));
}

TEST_F(Rfc5321MxRouting, ALargeMxSetArrivesOverTcpAndIsCapped) {
    RecordProperty("rfc", "1035 4.2.1; 5321 5.1");
    auto r = lookup("big.test");
    ASSERT_TRUE(r) << describe(r) << "\n" << server_->log();
    ASSERT_EQ(r->hosts.size(), 10u) << "max_hosts defaults to 10";
    for (std::size_t i = 0; i < r->hosts.size(); ++i) {
        EXPECT_EQ(r->hosts[i].preference, i + 1);
        EXPECT_EQ(addresses(r->hosts[i]),
                  (std::vector<std::string>{"127.0.3." + std::to_string(i + 1)}));
    }
    EXPECT_TRUE(notes_mention(*r, "tried only the first 10 of 30 MX hosts"));
    EXPECT_EQ(r->answered_by, server_->address());
    EXPECT_NE(server_->log().find("query[MX] big.test"), std::string::npos);
}

TEST_F(Rfc5321MxRouting, AServerThatNeverAnswersIsATemporaryFailure) {
    const auto start = std::chrono::steady_clock::now();
    auto r = lookup("x.silent.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::dns_temporary);
    EXPECT_FALSE(r.error().permanent());
    EXPECT_EQ(r.error().enhanced_status(), "4.4.3");
    EXPECT_NE(r.error().detail.find("no answer within the timeout"), std::string::npos)
        << r.error().detail;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << "bounded by timeout and tries";
}

TEST_F(Rfc5321MxRouting, ARefusedQueryIsATemporaryFailure) {
    auto r = lookup("example.com");  // outside every zone of the test server: REFUSED
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::dns_temporary);
    EXPECT_FALSE(r.error().permanent());
}

TEST_F(Rfc5321MxRouting, ManyLookupsInFlightAllComplete) {
    // UDP answers, NXDOMAIN and a TCP retry interleaved on one channel.
    const std::vector<std::pair<std::string, std::size_t>> cases = {
        {"pref.test", 2}, {"missing.test", 0}, {"big.test", 10}, {"plain.test", 1}};
    std::vector<std::future<ResolveResult>> futures;
    for (std::size_t i = 0; i < 60; ++i)
        futures.push_back(resolver_->resolve_destination(cases[i % cases.size()].first));
    for (std::size_t i = 0; i < futures.size(); ++i) {
        const auto& [domain, hosts] = cases[i % cases.size()];
        ASSERT_EQ(futures[i].wait_for(20s), std::future_status::ready) << domain;
        auto r = futures[i].get();
        EXPECT_EQ(r ? r->hosts.size() : 0u, hosts) << domain << ": " << describe(r);
    }
}

TEST(Rfc5321MxRoutingNoServer, ADeadServerIsATemporaryFailure) {
    auto resolver =
        make_resolver(options_for("127.0.0.1:" + std::to_string(test::unused_loopback_port())));
    auto r = resolve(*resolver, "example.test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::dns_temporary);
    EXPECT_EQ(r.error().enhanced_status(), "4.4.3");
    EXPECT_NE(r.error().detail.find(resolver->servers()), std::string::npos) << r.error().detail;
}

TEST(Rfc5321MxRoutingNoServer, StoppingCompletesLookupsStillInFlight) {
    DnsmasqServer server(DnsRecords{}.timeout_zone("silent.test"));
    auto o = options_for(server.address());
    o.timeout = 5000ms;
    o.tries = 3;
    auto resolver = make_resolver(o);
    auto pending = resolver->resolve_destination("a.silent.test");
    std::this_thread::sleep_for(100ms);  // let the query go out
    const auto start = std::chrono::steady_clock::now();
    resolver.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    ASSERT_EQ(pending.wait_for(0s), std::future_status::ready);
    auto r = pending.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().failure, ResolveFailure::resolver_stopped);
    EXPECT_FALSE(r.error().permanent());
}

TEST(DnsmasqFixture, TheServerDiesWithACrashedTest) {
    // The fixture's own promise: a test that crashes leaves no dnsmasq behind.
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        pid_t dns = -1;
        try {
            auto* server = new DnsmasqServer(DnsRecords{});  // never destroyed: the "crash"
            dns = server->pid();
        } catch (...) {}
        [[maybe_unused]] auto n = ::write(pipe_fds[1], &dns, sizeof dns);
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    pid_t dns = -1;
    ASSERT_EQ(::read(pipe_fds[0], &dns, sizeof dns), static_cast<ssize_t>(sizeof dns));
    ::close(pipe_fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_GT(dns, 0) << "the child could not start dnsmasq";
    bool gone = false;
    for (int i = 0; i < 250 && !gone; ++i) {  // at most 5 s
        // Its parent is gone, so whoever adopts it reaps it; until then it is a zombie.
        std::ifstream stat("/proc/" + std::to_string(dns) + "/stat");
        std::string pid_field, comm, state;
        gone = !(stat >> pid_field >> comm >> state) || state == "Z";
        if (!gone) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(gone) << "dnsmasq " << dns << " outlived the process that started it";
}

TEST(Rfc5321AddressLiteral, ALiteralIsTheOnlyHostWithNoDnsLookup) {
    RecordProperty("rfc", "5321 4.1.3");
    // The server is dead: a literal must not need it.
    auto resolver =
        make_resolver(options_for("127.0.0.1:" + std::to_string(test::unused_loopback_port())));
    auto v4 = resolve(*resolver, "[127.0.0.1]");
    ASSERT_TRUE(v4) << describe(v4);
    EXPECT_TRUE(v4->address_literal);
    ASSERT_EQ(v4->hosts.size(), 1u);
    EXPECT_EQ(addresses(v4->hosts[0]), (std::vector<std::string>{"127.0.0.1"}));
    EXPECT_EQ(v4->hosts[0].port, 25);
    auto v6 = resolve(*resolver, "[ipv6:0:0::1]");
    ASSERT_TRUE(v6) << describe(v6);
    EXPECT_EQ(addresses(v6->hosts[0]), (std::vector<std::string>{"::1"}));
    auto other = resolve(*resolver, "[x-tag:something]");
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().failure, ResolveFailure::bad_domain);
    EXPECT_TRUE(other.error().permanent());
}

TEST(Rfc5321AddressLiteral, ParsesIpv4AndTaggedIpv6Only) {
    RecordProperty("rfc", "5321 4.1.3");
    struct Case {
        const char* input;
        const char* want;  // nullptr: an error
    };
    const Case cases[] = {
        {"[192.0.2.1]", "192.0.2.1"},
        {"[IPv6:2001:db8::1]", "2001:db8::1"},
        {"[IPV6:2001:DB8:0:0:0:0:0:1]", "2001:db8::1"},
        {"[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1"},
        {"[192.0.2.256]", nullptr},
        {"[192.0.2]", nullptr},
        {"[2001:db8::1]", nullptr},  // IPv6 needs its tag
        {"[IPv6:192.0.2.1]", nullptr},
        {"[IPv6:]", nullptr},
        {"[]", nullptr},
        {"192.0.2.1", nullptr},
        {"[192.0.2.1", nullptr},
        {"[ 192.0.2.1]", nullptr},
    };
    for (const auto& c : cases) {
        auto got = parse_address_literal(c.input);
        if (c.want == nullptr) {
            EXPECT_FALSE(got) << c.input << ": got " << got->text << ", want an error";
        } else {
            ASSERT_TRUE(got) << c.input << ": " << got.error();
            EXPECT_EQ(got->text, c.want) << c.input;
        }
    }
}

TEST(MxResolverInput, BadDomainsAreRefusedWithTheReason) {
    auto resolver =
        make_resolver(options_for("127.0.0.1:" + std::to_string(test::unused_loopback_port())));
    const std::vector<std::string> bad_domains = {"",
                                                  ".",
                                                  "exa mple.test",
                                                  "a..test",
                                                  "b\\.test",
                                                  "caf\xc3\xa9.test",
                                                  std::string(64, 'a') + ".test",
                                                  std::string(250, 'a') + ".test"};
    for (const auto& bad : bad_domains) {
        auto r = resolve(*resolver, bad);
        ASSERT_FALSE(r) << "'" << bad << "'";
        EXPECT_EQ(r.error().failure, ResolveFailure::bad_domain) << "'" << bad << "'";
        EXPECT_TRUE(r.error().permanent());
    }
    auto idn = resolve(*resolver, "caf\xc3\xa9.test");
    ASSERT_FALSE(idn);
    EXPECT_NE(idn.error().detail.find("xn--"), std::string::npos) << idn.error().detail;
}

TEST(MxResolverInput, DomainsAreNormalisedOrRefused) {
    RecordProperty("rfc", "1035 2.3.4");
    const std::string label63(63, 'a');
    struct Case {
        std::string input;
        std::string want;  // empty: refused
    };
    const Case cases[] = {
        {"Example.TEST", "example.test"},
        {"example.test.", "example.test"},
        {"mx_1.example-2.test", "mx_1.example-2.test"},
        {label63 + ".test", label63 + ".test"},  // the longest label allowed
        {"example..test", ""},
        {".example.test", ""},
        {"example.test..", ""},
        {"exa mple.test", ""},
        {"exa\\046mple.test", ""},
        {"ex@mple.test", ""},
        {label63 + "a.test", ""},
        {std::string(254, 'a'), ""},
    };
    for (const auto& c : cases) {
        auto got = detail::normalize_domain(c.input);
        if (c.want.empty()) {
            EXPECT_FALSE(got) << c.input << ": got " << *got << ", want refused";
        } else {
            ASSERT_TRUE(got) << c.input << ": " << got.error();
            EXPECT_EQ(*got, c.want);
        }
    }
}

TEST(MxResolverInput, ServerAddressesTakeAnOptionalPort) {
    struct Case {
        const char* input;
        const char* want;  // nullptr: refused
    };
    const Case cases[] = {
        {"127.0.0.1", "127.0.0.1:53"},
        {"127.0.0.1:5353", "127.0.0.1:5353"},
        {"::1", "[::1]:53"},
        {"[::1]", "[::1]:53"},
        {"[2001:DB8::1]:5353", "[2001:db8::1]:5353"},
        {"127.0.0.1:", nullptr},
        {"127.0.0.1:x", nullptr},
        {"127.0.0.1:53x", nullptr},
        {"[::1]5353", nullptr},
        {"dns.example:53", nullptr},
        {"", nullptr},
    };
    for (const auto& c : cases) {
        auto got = detail::parse_server(c.input);
        if (c.want == nullptr) {
            EXPECT_FALSE(got) << c.input << ": got " << *got << ", want refused";
        } else {
            ASSERT_TRUE(got) << c.input << ": " << got.error();
            EXPECT_EQ(*got, c.want);
        }
    }
}

TEST(MxResolverInput, BadOptionsAreNamed) {
    struct Case {
        std::vector<std::string> servers;
        int tries;
        const char* want;
    };
    const Case cases[] = {
        {{"localhost:53"}, 2, "not an IP address"},
        {{"127.0.0.1:0"}, 2, "port must be"},
        {{"127.0.0.1:99999"}, 2, "port must be"},
        {{"[::1:53"}, 2, "missing ']'"},
        {{"127.0.0.1"}, 0, "tries"},
    };
    for (const auto& c : cases) {
        MxResolverOptions o;
        o.servers = c.servers;
        o.tries = c.tries;
        auto r = MxResolver::create(o);
        ASSERT_FALSE(r) << c.want;
        EXPECT_NE(r.error().find(c.want), std::string::npos) << "got: " << r.error();
    }
    MxResolverOptions ok;
    ok.servers = {"127.0.0.1", "[::1]:5353", "192.0.2.1:53"};
    auto r = MxResolver::create(ok);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ((*r)->servers(), "127.0.0.1:53,[::1]:5353,192.0.2.1:53");
}

TEST(MxResolverInput, DefaultsToTheSystemResolverConfiguration) {
    auto r = MxResolver::create(MxResolverOptions{});
    ASSERT_TRUE(r) << r.error();
    EXPECT_NE((*r)->servers(), "none configured");
}

TEST(MxResolverAddressScope, LoopbackPrivateAndUnspecifiedAreRecognised) {
    using F = IpAddress::Family;
    EXPECT_EQ(classify({F::v4, "127.0.0.1"}), AddressScope::loopback);
    EXPECT_EQ(classify({F::v4, "10.1.2.3"}), AddressScope::private_use);
    EXPECT_EQ(classify({F::v4, "172.16.0.1"}), AddressScope::private_use);
    EXPECT_EQ(classify({F::v4, "172.32.0.1"}), AddressScope::global);
    EXPECT_EQ(classify({F::v4, "192.168.1.1"}), AddressScope::private_use);
    EXPECT_EQ(classify({F::v4, "169.254.1.1"}), AddressScope::link_local);
    EXPECT_EQ(classify({F::v4, "0.0.0.0"}), AddressScope::unspecified);
    EXPECT_EQ(classify({F::v4, "192.0.2.1"}), AddressScope::global);
    EXPECT_EQ(classify({F::v6, "::1"}), AddressScope::loopback);
    EXPECT_EQ(classify({F::v6, "::"}), AddressScope::unspecified);
    EXPECT_EQ(classify({F::v6, "fd00::1"}), AddressScope::private_use);
    EXPECT_EQ(classify({F::v6, "fe80::1"}), AddressScope::link_local);
    EXPECT_EQ(classify({F::v6, "::ffff:127.0.0.1"}), AddressScope::loopback);
    EXPECT_EQ(classify({F::v6, "2001:db8::1"}), AddressScope::global);
}

}  // namespace
}  // namespace mw::delivery
