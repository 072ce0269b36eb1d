// Static files served by a real Server from a temporary web root.
#include "http/static_files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "http/server.h"
#include "http/test_client.h"

namespace lvyuan::http {
namespace {

namespace fs = std::filesystem;
using testing::ClientResponse;
using testing::Fetch;
using testing::HeaderOf;

void WriteFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("lvyuan_static_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    root_ = base_ / "dist";
    WriteFile(root_ / "index.html", "<!doctype html><title>绿源</title>");
    WriteFile(root_ / "assets" / "app.3f9a1c.js", "console.log('hello');");
    WriteFile(root_ / "assets" / "app.3f9a1c.js.gz", "GZIPPED-BYTES");
    WriteFile(root_ / "assets" / "style.8b2e.css", "body{}");
    WriteFile(root_ / "assets" / "font.woff2", "wOF2");
    std::string digits;
    for (int i = 0; i < 100; ++i) digits += static_cast<char>('0' + i % 10);
    WriteFile(root_ / "data.txt", digits);
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(base_ / "secret.txt", "outside the root");
    fs::create_symlink(base_ / "secret.txt", root_ / "escape.txt");

    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.web_root = root_;
    server_ = std::make_unique<Server>(options, router_, Hooks{});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
    server_.reset();
    fs::remove_all(base_);
  }

  ClientResponse Get(std::string target, const testing::Headers& headers = {}) {
    return Fetch(port_, Verb::get, std::move(target), headers);
  }

  fs::path base_;
  fs::path root_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

TEST_F(StaticFilesTest, ServesIndexWithSecurityHeadersAndNoCache) {
  auto response = Get("/");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "<!doctype html><title>绿源</title>");
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(response, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(response, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(response, "Referrer-Policy"), "same-origin");
  std::string csp = HeaderOf(response, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
}

TEST_F(StaticFilesTest, MimeTypesFollowExtensions) {
  EXPECT_EQ(HeaderOf(Get("/assets/app.3f9a1c.js"), "Content-Type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(Get("/assets/style.8b2e.css"), "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(HeaderOf(Get("/assets/font.woff2"), "Content-Type"), "font/woff2");
  EXPECT_EQ(HeaderOf(Get("/data.txt"), "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(MimeTypeFor("x.svg"), "image/svg+xml");
  EXPECT_EQ(MimeTypeFor("x.PNG"), "image/png");
  EXPECT_EQ(MimeTypeFor("x.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(MimeTypeFor("x.map"), "application/json; charset=utf-8");
  EXPECT_EQ(MimeTypeFor("x.wasm"), "application/wasm");
  EXPECT_EQ(MimeTypeFor("x.ico"), "image/x-icon");
  EXPECT_EQ(MimeTypeFor("x.unknown"), "application/octet-stream");
}

TEST_F(StaticFilesTest, AssetsAreImmutable) {
  auto response = Get("/assets/style.8b2e.css");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(Get("/data.txt"), "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, IfNoneMatchWithCurrentEtagIs304) {
  auto first = Get("/assets/style.8b2e.css");
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');  // strong
  auto again = Get("/assets/style.8b2e.css", {{"If-None-Match", etag}});
  EXPECT_EQ(again.result_int(), 304u);
  EXPECT_TRUE(again.body().empty());
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  auto stale = Get("/assets/style.8b2e.css", {{"If-None-Match", "\"other\""}});
  EXPECT_EQ(stale.result_int(), 200u);
}

TEST_F(StaticFilesTest, ServesPrecompressedVariantWhenAccepted) {
  auto gzip = Get("/assets/app.3f9a1c.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(gzip.result_int(), 200u);
  EXPECT_EQ(gzip.body(), "GZIPPED-BYTES");
  EXPECT_EQ(HeaderOf(gzip, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(gzip, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(gzip, "Content-Type"), "text/javascript; charset=utf-8");
  auto plain = Get("/assets/app.3f9a1c.js");
  EXPECT_EQ(plain.body(), "console.log('hello');");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  EXPECT_NE(HeaderOf(plain, "ETag"), HeaderOf(gzip, "ETag"));
  auto refused = Get("/assets/app.3f9a1c.js", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.body(), "console.log('hello');");
}

TEST_F(StaticFilesTest, RangeRequestsGet206) {
  auto middle = Get("/data.txt", {{"Range", "bytes=10-14"}});
  EXPECT_EQ(middle.result_int(), 206u);
  EXPECT_EQ(middle.body(), "01234");
  EXPECT_EQ(HeaderOf(middle, "Content-Range"), "bytes 10-14/100");
  auto suffix = Get("/data.txt", {{"Range", "bytes=-3"}});
  EXPECT_EQ(suffix.result_int(), 206u);
  EXPECT_EQ(suffix.body(), "789");
  EXPECT_EQ(HeaderOf(suffix, "Content-Range"), "bytes 97-99/100");
  auto open = Get("/data.txt", {{"Range", "bytes=95-"}});
  EXPECT_EQ(open.result_int(), 206u);
  EXPECT_EQ(open.body(), "56789");
  auto clamped = Get("/data.txt", {{"Range", "bytes=98-500"}});
  EXPECT_EQ(clamped.body(), "89");
}

TEST_F(StaticFilesTest, UnsatisfiableRangeIs416) {
  auto response = Get("/data.txt", {{"Range", "bytes=100-200"}});
  EXPECT_EQ(response.result_int(), 416u);
  EXPECT_EQ(HeaderOf(response, "Content-Range"), "bytes */100");
}

TEST_F(StaticFilesTest, MultipleRangesFallBackToWholeFile) {
  auto response = Get("/data.txt", {{"Range", "bytes=0-1,5-6"}});
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body().size(), 100u);
}

TEST_F(StaticFilesTest, HeadSendsLengthWithoutBody) {
  auto response = Fetch(port_, Verb::head, "/data.txt");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(HeaderOf(response, "Content-Length"), "100");
  EXPECT_TRUE(response.body().empty());
}

TEST_F(StaticFilesTest, ExtensionlessUnknownPathFallsBackToIndex) {
  auto response = Get("/system/units/3");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "<!doctype html><title>绿源</title>");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, MissingAssetWithExtensionIs404) {
  EXPECT_EQ(Get("/assets/missing.js").result_int(), 404u);
}

TEST_F(StaticFilesTest, TraversalIsRefused) {
  for (std::string target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                             "/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"}) {
    auto response = Get(target);
    EXPECT_GE(response.result_int(), 400u) << target;
    EXPECT_EQ(response.body().find("outside the root"), std::string::npos) << target;
  }
}

TEST_F(StaticFilesTest, SymlinkEscapingRootIsRefused) {
  auto response = Get("/escape.txt");
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(response.body().find("outside the root"), std::string::npos);
}

TEST_F(StaticFilesTest, DotFilesAreHidden) {
  auto response = Get("/.env");
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(response.body().find("SECRET"), std::string::npos);
}

TEST_F(StaticFilesTest, UnsafeMethodIs405) {
  auto response = Fetch(port_, Verb::post, "/index.html");
  EXPECT_EQ(response.result_int(), 405u);
  EXPECT_EQ(HeaderOf(response, "Allow"), "GET, HEAD");
}

TEST(StaticFilesNoRootTest, MissingRootServesNotFound) {
  StaticFiles files("/nonexistent/web/dist");
  EXPECT_FALSE(files.has_root());
  Request request;
  request.message.method(Verb::get);
  request.path = "/";
  StaticResponse response = files.Serve(request);
  ASSERT_TRUE(std::holds_alternative<Response>(response));
  EXPECT_EQ(std::get<Response>(response).result_int(), 404u);
}

}  // namespace
}  // namespace lvyuan::http
