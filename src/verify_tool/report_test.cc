#include "verify_tool/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lvyuan::verify_tool {
namespace {

record::BundleReport Verified() {
  record::BundleReport r;
  r.origin = "lvyuan/0123456789abcdef";
  r.key_id = "0123456789abcdef";
  r.signature = "sm2";
  r.object_type = "unit";
  r.object_id = "3";
  r.checkpoint_size = 7;
  r.events_checked = 4;
  r.files_checked = 1;
  return r;
}

TEST(PrintReportTest, VerifiedBundleWithoutTrustedKeyWarnsToCompareTheKeyId) {
  std::ostringstream out;
  EXPECT_EQ(PrintReport(Verified(), out), kVerified);
  EXPECT_NE(out.str().find("证据包校验通过 bundle verified"), std::string::npos);
  EXPECT_NE(out.str().find("key id 0123456789abcdef"), std::string::npos);
  EXPECT_NE(out.str().find("WARNING"), std::string::npos);
  EXPECT_NE(out.str().find("unit:3"), std::string::npos);
}

TEST(PrintReportTest, TrustedKeyGivesNoWarning) {
  record::BundleReport r = Verified();
  r.key_trusted = true;
  std::ostringstream out;
  EXPECT_EQ(PrintReport(r, out), kVerified);
  EXPECT_EQ(out.str().find("WARNING"), std::string::npos);
  EXPECT_NE(out.str().find("the key is the trusted key"), std::string::npos);
}

TEST(PrintReportTest, FailureNamesTheFirstFailingItemAndExitsThree) {
  record::BundleReport r = Verified();
  r.problem = record::BundleProblem{"events/4.json", "事件内容已被改动"};
  std::ostringstream out;
  EXPECT_EQ(PrintReport(r, out), kFailed);
  EXPECT_NE(out.str().find("verification FAILED"), std::string::npos);
  EXPECT_NE(out.str().find("first failing item: events/4.json"), std::string::npos);
}

TEST(RunVerifyTest, MissingBundleOrUnreadableKeyCannotRun) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("lvyuan_verify_tool_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ostringstream out, err;
  EXPECT_EQ(RunVerify(dir / "absent.tar", {}, out, err), kCannotRun);
  EXPECT_NE(err.str().find("absent.tar"), std::string::npos);
  std::ofstream(dir / "key.pem") << "not a key";
  std::ofstream(dir / "junk.tar") << "not a tar";
  EXPECT_EQ(RunVerify(dir / "junk.tar", dir / "key.pem", out, err), kCannotRun);
  EXPECT_NE(err.str().find("key.pem"), std::string::npos);
  EXPECT_EQ(RunVerify(dir / "junk.tar", {}, out, err), kCannotRun);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lvyuan::verify_tool
