// Helpers shared by the store tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/database.h"

namespace lvyuan::store::testing {

// Success, or a failure that prints the error.
template <typename R>
::testing::AssertionResult IsOk(const R& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << result.error().ToString();
}

// The error code of result, which must have failed.
template <typename R>
core::ErrorCode CodeOf(const R& result) {
  return result.ok() ? core::ErrorCode::kUnknown : result.error().code;
}

// A fresh, empty directory for one test, removed when the object goes away.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info != nullptr ? info->name() : "test";
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("lvyuan_store_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
             name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The PostgreSQL database the tests may use (the environment variable
// LVYUAN_TEST_PG_URL, e.g. as printed by scripts/pg-test-cluster), or "" when
// the tests run on SQLite only.
inline std::string PostgresTestUrl() {
  const char* url = std::getenv("LVYUAN_TEST_PG_URL");
  return url != nullptr ? std::string(url) : std::string();
}

// The backends a parameterised test runs on: "sqlite", and "postgresql" when
// PostgresTestUrl() is set. For INSTANTIATE_TEST_SUITE_P(..., ValuesIn(...)).
inline std::vector<std::string> TestBackends() {
  std::vector<std::string> backends = {"sqlite"};
  if (!PostgresTestUrl().empty()) backends.emplace_back("postgresql");
  return backends;
}

// PostgresTestUrl() with its search_path set to schema, so that every
// connection a Database opens on it works in that schema only.
inline std::string UrlWithSchema(const std::string& url, const std::string& schema) {
  const char separator = url.find('?') == std::string::npos ? '?' : '&';
  return url + separator + "options=-c%20search_path%3D" + schema;
}

// A fresh, empty PostgreSQL schema for one test on PostgresTestUrl(), dropped
// (with everything in it) when the object goes away, so that tests sharing
// one server never see each other's tables. ok() is false (and error() says
// why) when the server cannot be reached.
class ScratchSchema {
 public:
  ScratchSchema() {
    static std::atomic<int> counter{0};
    name_ = "lvyuan_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    auto admin = Open({.url = PostgresTestUrl()});
    if (!admin.ok()) {
      status_ = admin.error();
      return;
    }
    admin_ = std::move(admin).value();
    status_ = admin_->Write([this](Conn& conn) -> core::Status {
      TRY(conn.Exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"));
      TRY(conn.Exec("CREATE SCHEMA " + name_));
      return core::Ok();
    });
    url_ = UrlWithSchema(PostgresTestUrl(), name_);
  }
  ~ScratchSchema() {
    if (admin_ == nullptr) return;
    (void)admin_->Write([this](Conn& conn) -> core::Status {
      TRY(conn.Exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE"));
      return core::Ok();
    });
  }
  ScratchSchema(const ScratchSchema&) = delete;
  ScratchSchema& operator=(const ScratchSchema&) = delete;

  bool ok() const { return status_.ok(); }
  const core::Status& status() const { return status_; }
  const std::string& name() const { return name_; }
  // The URL to open: the server's, confined to this schema.
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
  std::unique_ptr<Database> admin_;
  core::Status status_;
};

// A fresh, empty database of one backend for one test ("sqlite": a file in a
// scratch directory; "postgresql": a scratch schema on PostgresTestUrl()).
// Tests written against store::Database take the backend as their parameter
// (TestBackends()) and open url():
//   testing::TestDatabase scratch(GetParam());
//   ASSERT_TRUE(IsOk(scratch.status()));
//   auto db = store::Open({.url = scratch.url()});
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& backend) {
    if (backend == "postgresql") {
      schema_ = std::make_unique<ScratchSchema>();
      url_ = schema_->url();
    } else {
      directory_ = std::make_unique<ScratchDirectory>();
      url_ = "sqlite:" + (directory_->path() / "lvyuan.db").string();
    }
  }
  // Ok, or why the scratch schema could not be made.
  core::Status status() const { return schema_ ? schema_->status() : core::Ok(); }
  const std::string& url() const { return url_; }

 private:
  std::unique_ptr<ScratchDirectory> directory_;
  std::unique_ptr<ScratchSchema> schema_;
  std::string url_;
};

}  // namespace lvyuan::store::testing
