// Helpers shared by the store tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "core/result.h"

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

}  // namespace lvyuan::store::testing
