#include "http/router.h"

#include <gtest/gtest.h>

namespace lvyuan::http {
namespace {

Handler Named(std::string name) {
  return [name](Request&) {
    Response response;
    response.body() = name;
    return response;
  };
}

std::vector<std::string> Segments(std::string_view path) { return SplitPath(path).value(); }

std::string HandlerName(const Router::Match& match) {
  Request request;
  return match.route->handler(request).body();
}

TEST(RouterTest, MatchesParametersAndDecodesThem) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/api/v1/units/{id}", .handler = Named("unit")});
  auto match = router.Find(Verb::get, Segments("/api/v1/units/%E6%B9%96"));
  ASSERT_EQ(match.kind, Router::MatchKind::kFound);
  EXPECT_EQ(match.params.at("id"), "湖");
  EXPECT_EQ(match.route->pattern, "/api/v1/units/{id}");
}

TEST(RouterTest, LiteralSegmentsBeatParameters) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/api/v1/me/{x}", .handler = Named("param")});
  router.Add({.method = Verb::get, .pattern = "/api/v1/me/password", .handler = Named("literal")});
  EXPECT_EQ(HandlerName(router.Find(Verb::get, Segments("/api/v1/me/password"))), "literal");
  EXPECT_EQ(HandlerName(router.Find(Verb::get, Segments("/api/v1/me/other"))), "param");
}

TEST(RouterTest, WrongMethodListsAllowedMethods) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/api/v1/units/{id}", .handler = Named("get")});
  router.Add({.method = Verb::patch, .pattern = "/api/v1/units/{id}", .handler = Named("patch")});
  auto match = router.Find(Verb::delete_, Segments("/api/v1/units/3"));
  ASSERT_EQ(match.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_NE(std::find(match.allowed.begin(), match.allowed.end(), Verb::get), match.allowed.end());
  EXPECT_NE(std::find(match.allowed.begin(), match.allowed.end(), Verb::patch),
            match.allowed.end());
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/healthz", .handler = Named("get")});
  EXPECT_EQ(router.Find(Verb::head, Segments("/healthz")).kind, Router::MatchKind::kFound);
}

TEST(RouterTest, UnknownPathAndEmptyParameterDoNotMatch) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/api/v1/units/{id}", .handler = Named("get")});
  EXPECT_EQ(router.Find(Verb::get, Segments("/api/v1/units")).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find(Verb::get, Segments("/api/v1/units/")).kind, Router::MatchKind::kNotFound);
  EXPECT_EQ(router.Find(Verb::get, Segments("/api/v1/units/3/x")).kind,
            Router::MatchKind::kNotFound);
}

TEST(RouterTest, RootPatternMatchesSlash) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/", .handler = Named("root")});
  EXPECT_EQ(HandlerName(router.Find(Verb::get, Segments("/"))), "root");
}

TEST(RouterDeathTest, DuplicateRouteAborts) {
  Router router;
  router.Add({.method = Verb::get, .pattern = "/a/{id}", .handler = Named("one")});
  EXPECT_DEATH(router.Add({.method = Verb::get, .pattern = "/a/{other}", .handler = Named("two")}),
               "duplicates");
}

TEST(SplitPathTest, RefusesEncodedSlashAndNul) {
  EXPECT_FALSE(SplitPath("/a%2Fb").ok());
  EXPECT_FALSE(SplitPath("/a%00b").ok());
  EXPECT_FALSE(SplitPath("/a%zz").ok());
  EXPECT_FALSE(SplitPath("relative").ok());
  EXPECT_EQ(SplitPath("/a/b%20c").value(), (std::vector<std::string>{"a", "b c"}));
}

TEST(RequestTest, PathIdAcceptsPositiveDecimalOnly) {
  Request request;
  request.path_params = {{"id", "42"}};
  EXPECT_EQ(request.PathId("id").value(), 42);
  for (std::string bad : {"0", "-1", "+1", "01", "1x", "", "99999999999999999999"}) {
    request.path_params["id"] = bad;
    auto id = request.PathId("id");
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.error().code, core::ErrorCode::kNotFound);
  }
}

TEST(RequestTest, QueryReturnsFirstValue) {
  Request request;
  request.query = {{"q", "first"}, {"q", "second"}};
  EXPECT_EQ(request.Query("q"), std::optional<std::string_view>("first"));
  EXPECT_EQ(request.Query("missing"), std::nullopt);
}

}  // namespace
}  // namespace lvyuan::http
