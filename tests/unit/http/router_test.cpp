#include "http/router.hpp"

#include <gtest/gtest.h>

namespace mw::http {
namespace {

Request get(std::string path) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
}

Response ok(std::string body) {
    Response r;
    r.body = std::move(body);
    return r;
}

TEST(HttpRouter, DispatchesByMethodAndPath) {
    Router router;
    router.add("GET", "/a", [](const Request&) { return ok("get a"); });
    router.add("POST", "/a", [](const Request& r) { return ok("post a " + r.body); });
    router.add("GET", "/b", [](const Request&) { return ok("get b"); });
    EXPECT_EQ(router.handle(get("/a")).body, "get a");
    EXPECT_EQ(router.handle(get("/b")).body, "get b");
    Request post = get("/a");
    post.method = "POST";
    post.body = "x";
    EXPECT_EQ(router.handle(post).body, "post a x");
}

TEST(HttpRouter, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    Router router;
    router.add("POST", "/only-post", [](const Request&) { return ok("p"); });
    EXPECT_EQ(router.handle(get("/nothing")).status, 404);
    auto r = router.handle(get("/only-post"));
    EXPECT_EQ(r.status, 405);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
    EXPECT_NE(r.body.find("POST"), std::string::npos);
}

TEST(HttpRouter, CaseInsensitivePathsMatchAnyCaseOthersDoNot) {
    Router router;
    router.add("GET", "/Exact", [](const Request&) { return ok("exact"); });
    router.add(
        "GET", "/autodiscover/autodiscover.xml", [](const Request&) { return ok("ad"); },
        PathMatch::ExactIgnoreCase);
    EXPECT_EQ(router.handle(get("/Autodiscover/Autodiscover.xml")).body, "ad");
    EXPECT_EQ(router.handle(get("/AUTODISCOVER/autodiscover.XML")).body, "ad");
    EXPECT_EQ(router.handle(get("/exact")).status, 404);
}

TEST(HttpRouter, HeadIsAnsweredByTheGetRoute) {
    Router router;
    router.add("GET", "/a", [](const Request&) { return ok("body"); });
    Request head = get("/a");
    head.method = "HEAD";
    EXPECT_EQ(router.handle(head).body, "body");  // the listener drops it, keeps the length
}

TEST(HttpRouter, TheFirstRouteForAPathWins) {
    Router router;
    router.add("GET", "/a", [](const Request&) { return ok("first"); });
    router.add("GET", "/a", [](const Request&) { return ok("second"); });
    EXPECT_EQ(router.handle(get("/a")).body, "first");
}

TEST(HttpTarget, SplitsPathAndDecodesTheQuery) {
    auto t = parse_target("/mail/config-v1.1.xml?emailaddress=alice%40example.org&x=a+b&flag");
    ASSERT_TRUE(t) << t.error();
    EXPECT_EQ(t->path, "/mail/config-v1.1.xml");
    ASSERT_EQ(t->query.size(), 3u);
    EXPECT_EQ(t->query[0],
              (std::pair<std::string, std::string>{"emailaddress", "alice@example.org"}));
    EXPECT_EQ(t->query[1].second, "a+b");  // '+' is kept: addresses may contain it
    EXPECT_EQ(t->query[2], (std::pair<std::string, std::string>{"flag", ""}));
    Request r;
    r.query = t->query;
    EXPECT_EQ(r.query_value("emailaddress"), "alice@example.org");
    EXPECT_FALSE(r.query_value("missing"));
}

TEST(HttpTarget, RejectsMalformedTargets) {
    EXPECT_FALSE(parse_target("http://example.org/a"));
    EXPECT_FALSE(parse_target(""));
    EXPECT_FALSE(parse_target("/a?x=%4"));
    EXPECT_FALSE(parse_target("/a?x=%zz"));
    EXPECT_FALSE(parse_target("/a?x=%"));
}

}  // namespace
}  // namespace mw::http
