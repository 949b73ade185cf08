// c-ares 1.18 (Debian 12) has no event thread of its own: one thread here polls the channel's
// sockets (reported through ARES_OPT_SOCK_STATE_CB, so any number of them) plus an eventfd that
// wakes it for new requests and for shutdown. Every c-ares call and every Lookup lives on that
// thread; other threads only touch the request queue under mu.
#include "delivery/mx_resolver.hpp"

#include "delivery/mx_resolver_names.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

namespace mw::delivery {
namespace {

using detail::endpoint_text;
using detail::normalize_domain;
using detail::parse_ip;
using detail::parse_server;

// More addresses in one answer are ignored: a host is tried address by address.
constexpr int max_addresses_per_answer = 32;

std::string peer_of(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    std::array<char, INET6_ADDRSTRLEN> buf{};
    if (ss.ss_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
        if (!inet_ntop(AF_INET, &sin->sin_addr, buf.data(), buf.size())) return {};
        return endpoint_text({IpAddress::Family::v4, buf.data()}, ntohs(sin->sin_port));
    }
    if (ss.ss_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        if (!inet_ntop(AF_INET6, &sin6->sin6_addr, buf.data(), buf.size())) return {};
        return endpoint_text({IpAddress::Family::v6, buf.data()}, ntohs(sin6->sin6_port));
    }
    return {};
}

// ares_library_init is not thread-safe in 1.18: once per process, never cleaned up.
int init_cares_once() {
    static const int rc = ares_library_init(ARES_LIB_INIT_ALL);
    return rc;
}

ResolveError error(ResolveFailure failure, std::string detail) {
    return ResolveError{failure, std::move(detail)};
}

struct Lookup;

// What one A or AAAA query found for one host.
struct FamilyAnswer {
    std::vector<IpAddress> addresses;
    std::string temporary_failure;  // set when the answer may differ on a later attempt
};

struct HostLookup {
    std::string name;
    std::uint16_t preference = 0;
    FamilyAnswer v4;
    FamilyAnswer v6;
};

// The argument of one ares_query: c-ares calls back exactly once per query (with
// ARES_ECANCELLED / ARES_EDESTRUCTION at shutdown), which is when this is freed.
struct QueryArg {
    Lookup* lookup;
    std::size_t host;
    IpAddress::Family family;
};

}  // namespace

struct MxResolver::Impl {
    MxResolverOptions options;
    std::string servers_text;
    ares_channel channel = nullptr;
    int wake_fd = -1;
    std::thread thread;

    std::mutex mu;
    std::deque<std::pair<std::string, Callback>> incoming;  // guarded by mu
    bool stop_requested = false;                            // guarded by mu

    // Resolver thread only.
    std::map<int, short> sockets;  // fd → poll events c-ares wants
    int answering_fd = -1;         // the socket ares_process_fd is reading from
    bool stopping = false;
    std::mt19937_64 rng;
    std::unordered_map<Lookup*, std::unique_ptr<Lookup>> lookups;

    ~Impl();
    void run();
    void wait_and_process();
    void start(std::string domain, Callback done);
    void finish(Lookup* lookup);
    std::string answering_server() const {
        auto peer = peer_of(answering_fd);
        return peer.empty() ? servers_text : peer;
    }
};

namespace {

struct Lookup {
    MxResolver::Impl& impl;
    MxResolver::Callback done;
    Destination dest;
    std::vector<HostLookup> hosts;
    std::optional<ResolveError> failed;  // decided before or instead of the address lookups
    int outstanding = 0;
    bool issuing = false;  // queries may call back from inside ares_query

    void query_mx();
    void on_mx(int status, const unsigned char* abuf, int alen);
    void use_mx_records(const ares_mx_reply* records);
    void query_addresses();
    void on_address(std::size_t host, IpAddress::Family family, int status,
                    const unsigned char* abuf, int alen);
    void maybe_finish() {
        if (outstanding == 0 && !issuing) impl.finish(this);
    }
    ResolveResult result();
    std::string what_was_asked() const {
        return "(DNS server " + impl.servers_text + ", " + std::to_string(impl.options.tries) +
               " tries of " + std::to_string(impl.options.timeout.count()) + " ms)";
    }
};

void on_mx_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    static_cast<Lookup*>(arg)->on_mx(status, abuf, alen);
}

void on_address_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<QueryArg> q(static_cast<QueryArg*>(arg));
    q->lookup->on_address(q->host, q->family, status, abuf, alen);
}

// c-ares reports a REFUSED answer as "Could not contact DNS servers", which misleads whoever
// reads the delivery log: say what may have happened.
std::string describe_status(int status) {
    switch (status) {
        case ARES_ETIMEOUT:
            return "no answer within the timeout";
        case ARES_ECONNREFUSED:
            return "the DNS server refused the query or could not be reached";
        case ARES_ESERVFAIL:
            return "the DNS server reported a failure (SERVFAIL)";
        case ARES_EREFUSED:
            return "the DNS server refused the query";
        case ARES_EBADRESP:
        case ARES_EFORMERR:
            return "malformed DNS answer";
        default:
            return ares_strerror(status);
    }
}

bool is_temporary(int status) {
    return status != ARES_SUCCESS && status != ARES_ENODATA && status != ARES_ENOTFOUND;
}

void Lookup::query_mx() {
    ++outstanding;
    ares_query(impl.channel, dest.domain.c_str(), ns_c_in, ns_t_mx, on_mx_answer, this);
}

void Lookup::on_mx(int status, const unsigned char* abuf, int alen) {
    --outstanding;
    const std::string server = impl.answering_server();
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION || impl.stopping) {
        failed = error(ResolveFailure::resolver_stopped,
                       "the resolver stopped before the MX lookup of " + dest.domain + " ended");
        return maybe_finish();
    }
    ares_mx_reply* records = nullptr;
    if (status == ARES_SUCCESS) {
        status = ares_parse_mx_reply(abuf, alen, &records);
        // A CNAME chain that ends without MX records parses as success with no records.
        if (status == ARES_SUCCESS && records == nullptr) status = ARES_ENODATA;
    }
    if (status == ARES_SUCCESS) {
        dest.answered_by = server;
        use_mx_records(records);
        ares_free_data(records);
    } else if (status == ARES_ENODATA) {
        // RFC 5321 §5.1: no MX records, so the domain is its own implicit MX of preference 0.
        dest.answered_by = server;
        dest.implicit_mx = true;
        hosts.push_back(HostLookup{dest.domain, 0, {}, {}});
    } else if (status == ARES_ENOTFOUND) {
        failed = error(ResolveFailure::domain_not_found, "the domain " + dest.domain +
                                                             " does not exist (DNS server " +
                                                             server + " answered NXDOMAIN)");
    } else {
        failed = error(ResolveFailure::dns_temporary, "the MX lookup of " + dest.domain +
                                                          " failed: " + describe_status(status) +
                                                          " " + what_was_asked());
    }
    if (!failed) query_addresses();
    maybe_finish();
}

void Lookup::use_mx_records(const ares_mx_reply* records) {
    std::vector<HostLookup> found;
    std::size_t null_exchanges = 0;
    for (const auto* r = records; r != nullptr; r = r->next) {
        const std::string_view exchange = r->host;
        // RFC 7505 §3: the null MX is preference 0 and exchange "." (c-ares gives "").
        if (exchange.empty() || exchange == ".") {
            ++null_exchanges;
            continue;
        }
        if (parse_ip(exchange)) {
            // RFC 1035 §3.3.9: the exchange is a domain name. An address in its place is a
            // misconfiguration: skipped with a note rather than guessed at.
            dest.notes.push_back("skipped MX " + std::string(exchange) +
                                 ": an MX must name a host, not an IP address");
            continue;
        }
        auto name = normalize_domain(exchange);
        if (!name) {
            dest.notes.push_back("skipped MX " + std::string(exchange) + ": " + name.error());
            continue;
        }
        const auto same = [&](const HostLookup& h) { return h.name == *name; };
        const auto dup = std::find_if(found.begin(), found.end(), same);
        if (dup != found.end()) {  // listed twice: keep the better preference
            dup->preference = std::min(dup->preference, r->priority);
            continue;
        }
        found.push_back(HostLookup{std::move(*name), r->priority, {}, {}});
    }
    if (found.empty()) {
        if (null_exchanges > 0) {
            failed = error(ResolveFailure::null_mx,
                           "the domain " + dest.domain +
                               " accepts no mail: it publishes a null MX record (RFC 7505)");
        } else {
            failed = error(ResolveFailure::no_usable_mx,
                           "none of the MX records of " + dest.domain +
                               " names a usable host: " + dest.notes.front());
        }
        return;
    }
    if (null_exchanges > 0)
        dest.notes.push_back("ignored a null MX record listed beside real ones (RFC 7505 §3)");
    // RFC 5321 §5.1: lowest preference first; equal preferences in random order, which spreads
    // load over a domain's equal MX hosts.
    std::stable_sort(found.begin(), found.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    for (auto first = found.begin(); first != found.end();) {
        const auto last = std::find_if(
            first, found.end(), [&](const auto& h) { return h.preference != first->preference; });
        std::shuffle(first, last, impl.rng);
        first = last;
    }
    if (found.size() > impl.options.max_hosts) {
        dest.notes.push_back("tried only the first " + std::to_string(impl.options.max_hosts) +
                             " of " + std::to_string(found.size()) + " MX hosts");
        found.resize(impl.options.max_hosts);
    }
    hosts = std::move(found);
}

void Lookup::query_addresses() {
    issuing = true;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        for (auto family : {IpAddress::Family::v6, IpAddress::Family::v4}) {
            ++outstanding;
            const int type = family == IpAddress::Family::v4 ? ns_t_a : ns_t_aaaa;
            ares_query(impl.channel, hosts[i].name.c_str(), ns_c_in, type, on_address_answer,
                       new QueryArg{this, i, family});
        }
    }
    issuing = false;
}

void Lookup::on_address(std::size_t host, IpAddress::Family family, int status,
                        const unsigned char* abuf, int alen) {
    --outstanding;
    auto& answer = family == IpAddress::Family::v4 ? hosts[host].v4 : hosts[host].v6;
    if (status == ARES_SUCCESS) {
        std::array<char, INET6_ADDRSTRLEN> text{};
        int n = max_addresses_per_answer;
        if (family == IpAddress::Family::v4) {
            std::array<ares_addrttl, max_addresses_per_answer> a{};
            status = ares_parse_a_reply(abuf, alen, nullptr, a.data(), &n);
            for (int i = 0; status == ARES_SUCCESS && i < n; ++i)
                if (inet_ntop(AF_INET, &a[i].ipaddr, text.data(), text.size()))
                    answer.addresses.push_back({family, text.data()});
        } else {
            std::array<ares_addr6ttl, max_addresses_per_answer> a{};
            status = ares_parse_aaaa_reply(abuf, alen, nullptr, a.data(), &n);
            for (int i = 0; status == ARES_SUCCESS && i < n; ++i)
                if (inet_ntop(AF_INET6, &a[i].ip6addr, text.data(), text.size()))
                    answer.addresses.push_back({family, text.data()});
        }
        if (status == ARES_EBADRESP) answer.temporary_failure = "malformed answer";
    } else if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
        failed =
            error(ResolveFailure::resolver_stopped,
                  "the resolver stopped before the address lookups for " + dest.domain + " ended");
    } else if (is_temporary(status)) {
        answer.temporary_failure = describe_status(status);
    }
    maybe_finish();
}

ResolveResult Lookup::result() {
    if (failed) return unexpected(std::move(*failed));
    std::set<std::string> seen;  // an address listed under two MX hosts is tried once
    std::vector<std::string> temporary;
    for (auto& h : hosts) {
        auto& first = impl.options.prefer_ipv6 ? h.v6 : h.v4;
        auto& second = impl.options.prefer_ipv6 ? h.v4 : h.v6;
        MxHost host{h.name, h.preference, {}, impl.options.port};
        for (auto* answer : {&first, &second}) {
            for (auto& a : answer->addresses) {
                const auto scope = classify(a);
                if (scope == AddressScope::unspecified) {
                    dest.notes.push_back("skipped address " + a.text + " of " + h.name +
                                         ": unspecified address");
                    continue;
                }
                if (!seen.insert(a.text).second) continue;
                if (scope != AddressScope::global)
                    dest.notes.push_back(h.name + " has the " + std::string(scope_name(scope)) +
                                         " address " + a.text);
                host.addresses.push_back(a);
            }
        }
        const std::string failure =
            !h.v6.temporary_failure.empty() ? h.v6.temporary_failure : h.v4.temporary_failure;
        if (!failure.empty()) {
            temporary.push_back(h.name + ": " + failure);
            if (!host.addresses.empty())
                dest.notes.push_back("partial address lookup for " + h.name + ": " + failure);
        }
        if (host.addresses.empty()) {
            const bool had_any = !h.v4.addresses.empty() || !h.v6.addresses.empty();
            if (failure.empty())
                dest.notes.push_back("skipped MX " + h.name +
                                     (had_any ? ": its addresses are unusable or already listed"
                                              : ": it has no A or AAAA record"));
            continue;
        }
        dest.hosts.push_back(std::move(host));
    }
    if (!dest.hosts.empty()) return std::move(dest);

    std::string why;
    for (const auto& t : temporary) why += (why.empty() ? "" : "; ") + t;
    if (!temporary.empty())
        return unexpected(error(ResolveFailure::dns_temporary,
                                "the address lookup for the mail hosts of " + dest.domain +
                                    " failed: " + why + " " + what_was_asked()));
    if (dest.implicit_mx)
        return unexpected(error(ResolveFailure::no_mail_host,
                                "the domain " + dest.domain +
                                    " has no MX record and no A or AAAA record: it has no mail "
                                    "server"));
    // The notes say host by host why each was skipped: that is the useful part of this error.
    std::string why_skipped;
    for (const auto& n : dest.notes) why_skipped += (why_skipped.empty() ? "" : "; ") + n;
    return unexpected(
        error(ResolveFailure::no_usable_mx,
              "no MX host of " + dest.domain + " has a usable address: " + why_skipped));
}

void sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto& sockets = static_cast<MxResolver::Impl*>(data)->sockets;
    if (!readable && !writable) {
        sockets.erase(fd);
        return;
    }
    sockets[fd] = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
}

}  // namespace

MxResolver::Impl::~Impl() {
    if (channel != nullptr) ares_destroy(channel);
    if (wake_fd >= 0) ::close(wake_fd);
}

void MxResolver::Impl::start(std::string domain, Callback done) {
    auto* l = new Lookup{*this, std::move(done), {}, {}, {}, 0, false};
    lookups.emplace(l, std::unique_ptr<Lookup>(l));
    if (stopping) {
        l->failed = error(ResolveFailure::resolver_stopped, "the resolver is stopping");
        return finish(l);
    }
    if (!domain.empty() && domain.front() == '[') {
        auto ip = parse_address_literal(domain);
        if (!ip) {
            l->failed = error(ResolveFailure::bad_domain, ip.error());
            return finish(l);
        }
        // RFC 5321 §4.1.3: a literal names the host directly, no DNS involved.
        l->dest.domain = domain;
        l->dest.address_literal = true;
        l->hosts.push_back(HostLookup{domain, 0, {}, {}});
        (ip->family == IpAddress::Family::v4 ? l->hosts[0].v4 : l->hosts[0].v6)
            .addresses.push_back(*ip);
        return finish(l);
    }
    auto name = normalize_domain(domain);
    if (!name) {
        l->failed =
            error(ResolveFailure::bad_domain, "cannot route to '" + domain + "': " + name.error());
        return finish(l);
    }
    l->dest.domain = std::move(*name);
    l->query_mx();
}

void MxResolver::Impl::finish(Lookup* lookup) {
    auto node = lookups.extract(lookup);
    if (node.empty()) return;
    auto owned = std::move(node.mapped());
    auto done = std::move(owned->done);
    auto result = owned->result();
    owned.reset();
    done(std::move(result));
}

void MxResolver::Impl::wait_and_process() {
    std::vector<pollfd> fds;
    fds.push_back({wake_fd, POLLIN, 0});
    for (const auto& [fd, events] : sockets) fds.push_back({fd, events, 0});
    timeval tv{};
    int timeout_ms = -1;  // nothing in flight: sleep until woken
    if (const timeval* next = ares_timeout(channel, nullptr, &tv); next != nullptr)
        timeout_ms = static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR)
        throw std::runtime_error(std::string("resolver poll: ") + std::strerror(errno));
    if (fds[0].revents != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(wake_fd, &count, sizeof count);
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
        const auto ev = fds[i].revents;
        if (ev == 0) continue;
        const bool read = (ev & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool write = (ev & POLLOUT) != 0;
        answering_fd = fds[i].fd;
        ares_process_fd(channel, read ? fds[i].fd : ARES_SOCKET_BAD,
                        write ? fds[i].fd : ARES_SOCKET_BAD);
        answering_fd = -1;
    }
    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // expire timed-out tries
}

void MxResolver::Impl::run() {
    for (;;) {
        std::deque<std::pair<std::string, Callback>> batch;
        bool stop = false;
        {
            std::lock_guard lock(mu);
            batch.swap(incoming);
            stop = stop_requested;
        }
        for (auto& [domain, done] : batch) start(std::move(domain), std::move(done));
        if (stop) break;
        wait_and_process();
    }
    // Every lookup still waiting completes now with resolver_stopped: the cancel calls back every
    // query in flight (`stopping` keeps those callbacks from sending more), and what is left has
    // no query in c-ares that could still point at it.
    stopping = true;
    ares_cancel(channel);
    std::deque<std::pair<std::string, Callback>> late;
    {
        std::lock_guard lock(mu);
        late.swap(incoming);
    }
    for (auto& [domain, done] : late) start(std::move(domain), std::move(done));
    while (!lookups.empty()) {
        Lookup* l = lookups.begin()->first;
        if (!l->failed) l->failed = error(ResolveFailure::resolver_stopped, "the resolver stopped");
        finish(l);
    }
}

Result<std::unique_ptr<MxResolver>, std::string> MxResolver::create(MxResolverOptions options) {
    if (options.timeout < std::chrono::milliseconds(1) ||
        options.timeout > std::chrono::milliseconds(60'000))
        return unexpected(std::string("DNS timeout must be from 1 ms to 60 s"));
    if (options.tries < 1 || options.tries > 10)
        return unexpected(std::string("DNS tries must be from 1 to 10"));
    if (options.max_hosts < 1) return unexpected(std::string("max_hosts must be at least 1"));
    std::string csv;
    for (const auto& s : options.servers) {
        auto server = parse_server(s);
        if (!server) return unexpected(std::move(server).error());
        csv += (csv.empty() ? "" : ",") + *server;
    }

    if (int rc = init_cares_once(); rc != ARES_SUCCESS)
        return unexpected(std::string("c-ares init: ") + ares_strerror(rc));
    auto impl = std::make_unique<Impl>();
    ares_options ao{};
    ao.timeout = static_cast<int>(options.timeout.count());
    ao.tries = options.tries;
    // No search list and no /etc/hosts: a mail domain is always a fully qualified DNS name.
    ao.flags = ARES_FLAG_NOSEARCH;
    ao.lookups = const_cast<char*>("b");
    ao.sock_state_cb = sock_state;
    ao.sock_state_cb_data = impl.get();
    const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS |
                     ARES_OPT_SOCK_STATE_CB;
    if (int rc = ares_init_options(&impl->channel, &ao, mask); rc != ARES_SUCCESS)
        return unexpected(std::string("c-ares channel: ") + ares_strerror(rc));
    if (!csv.empty()) {
        if (int rc = ares_set_servers_ports_csv(impl->channel, csv.c_str()); rc != ARES_SUCCESS)
            return unexpected("DNS servers '" + csv + "': " + ares_strerror(rc));
    }
    ares_addr_port_node* list = nullptr;
    if (ares_get_servers_ports(impl->channel, &list) == ARES_SUCCESS) {
        for (auto* n = list; n != nullptr; n = n->next) {
            std::array<char, INET6_ADDRSTRLEN> buf{};
            if (!inet_ntop(n->family, &n->addr, buf.data(), buf.size())) continue;
            const auto fam = n->family == AF_INET6 ? IpAddress::Family::v6 : IpAddress::Family::v4;
            const int port = n->udp_port != 0 ? n->udp_port : 53;
            impl->servers_text += (impl->servers_text.empty() ? "" : ",") +
                                  endpoint_text({fam, buf.data()}, static_cast<unsigned>(port));
        }
        ares_free_data(list);
    }
    if (impl->servers_text.empty()) impl->servers_text = "none configured";
    impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (impl->wake_fd < 0) return unexpected(std::string("eventfd: ") + std::strerror(errno));
    impl->rng.seed(options.seed ? *options.seed : std::random_device{}());
    impl->options = std::move(options);
    impl->thread = std::thread([p = impl.get()] { p->run(); });
    return std::unique_ptr<MxResolver>(new MxResolver(std::move(impl)));
}

MxResolver::MxResolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MxResolver::~MxResolver() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stop_requested = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
    impl_->thread.join();
}

void MxResolver::resolve_destination(std::string domain, Callback done) {
    {
        std::lock_guard lock(impl_->mu);
        impl_->incoming.emplace_back(std::move(domain), std::move(done));
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
}

std::future<ResolveResult> MxResolver::resolve_destination(std::string domain) {
    auto promise = std::make_shared<std::promise<ResolveResult>>();
    auto future = promise->get_future();
    resolve_destination(std::move(domain),
                        [promise](ResolveResult r) { promise->set_value(std::move(r)); });
    return future;
}

const std::string& MxResolver::servers() const {
    return impl_->servers_text;
}

}  // namespace mw::delivery
