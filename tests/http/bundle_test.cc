// Evidence bundles end to end: activity through the API of the real server,
// then `lvyuan record export` on its data dir and `lvyuan-verify` on the
// bundle, both run as separate processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness.h"

#ifndef LVYUAN_BINARY
#define LVYUAN_BINARY ""
#endif
#ifndef LVYUAN_VERIFY_BINARY
#define LVYUAN_VERIFY_BINARY ""
#endif

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct ProgramRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

std::string Quote(const std::string& text) {
  std::string q = "'";
  for (char c : text) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// Runs `binary args...` with the LVYUAN_* environment cleared, then `env` set.
ProgramRun RunProgram(const fs::path& binary, const std::vector<std::string>& args,
                      const fs::path& scratch, const std::map<std::string, std::string>& env = {}) {
  if (binary.empty() || !fs::exists(binary)) {
    throw std::runtime_error("binary missing: \"" + binary.string() + "\"");
  }
  std::string command = "env $(env | sed -n 's/^\\(LVYUAN_[A-Z0-9_]*\\)=.*/-u \\1/p')";
  for (const auto& [key, value] : env) command += " " + Quote(key + "=" + value);
  command += " " + Quote(binary.string());
  for (const auto& a : args) command += " " + Quote(a);
  const fs::path output = scratch / "output.txt";
  command += " > " + Quote(output.string()) + " 2>&1";
  const int status = std::system(command.c_str());
  ProgramRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ostringstream text;
  text << std::ifstream(output).rdbuf();
  run.out = text.str();
  return run;
}

class BundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new fs::path(fs::path(::testing::TempDir()) /
                            ("lvyuan_bundle_http_" + std::to_string(::getpid())));
    fs::create_directories(*scratch_);
    auto server = ServerProcess::Start();
    Client admin(server->port());
    ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
    Reply created = admin.Post("/api/v1/units", {{"name", "安吉县证据包测试执法队"},
                                                 {"type", "ecology_environment"},
                                                 {"region_code", "330523"},
                                                 {"contact_person", "李四"},
                                                 {"contact_phone", "0572-5123456"}});
    ASSERT_EQ(created.status, 201u) << created;
    unit_id_ = new std::string(std::to_string(created.json().at("id").as_int64()));
    const std::string path = "/api/v1/units/" + *unit_id_;
    ASSERT_EQ(admin.Patch(path, {{"contact_person", "王小明"}}).status, 200u);
    ASSERT_EQ(admin.Patch(path, {{"contact_phone", "0572-7654321"}}).status, 200u);

    // One evidence file, whose events carry its hashes.
    Client officer(server->port());
    ASSERT_EQ(officer.Login("hzhb_officer", kDemoPassword).status, 200u);
    const std::string pdf = "%PDF-1.7\n现场检查笔录 证据包测试\n" + std::string(3000, 'x');
    Reply opened = officer.Post("/api/v1/uploads", {{"filename", "现场笔录.pdf"},
                                                    {"size", pdf.size()},
                                                    {"source", "on_site_capture"},
                                                    {"captured_at", "2026-01-15T02:30:00Z"},
                                                    {"captured_by", "杨执法"},
                                                    {"object_type", "unit"},
                                                    {"object_id", *unit_id_}});
    ASSERT_EQ(opened.status, 201u) << opened;
    Reply put =
        officer.Send("PUT", "/api/v1/uploads/" + std::string(opened.json().at("id").as_string()),
                     pdf, "application/octet-stream");
    ASSERT_EQ(put.status, 201u) << put;
    evidence_id_ = new std::string(std::to_string(put.json().at("id").as_int64()));

    Reply key = officer.Get("/api/public/record/key");
    ASSERT_EQ(key.status, 200u) << key;
    std::ofstream(*scratch_ / "published.pem")
        << std::string(key.json().at("public_key_pem").as_string());

    ASSERT_EQ(server->ExitCodeAfterTerm(), 0) << server->Stderr();
    // Keep the data dir: the server removes its own when it goes away.
    data_dir_ = new fs::path(*scratch_ / "data");
    fs::copy(server->data_dir(), *data_dir_, fs::copy_options::recursive);
    ShareStore(*data_dir_, server->data_dir());  // on PostgreSQL: the same database
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    if (scratch_ != nullptr) {
      for (auto it = fs::recursive_directory_iterator(*scratch_, ec);
           !ec && it != fs::recursive_directory_iterator(); ++it) {
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
      }
      fs::remove_all(*scratch_, ec);
    }
    delete scratch_;
    delete data_dir_;
    delete unit_id_;
    delete evidence_id_;
  }

  static ProgramRun Export(const std::string& object, const fs::path& out) {
    return RunProgram(LVYUAN_BINARY,
                      {"record", "export", "--data", data_dir_->string(), "--object", object,
                       "--out", out.string()},
                      *scratch_, StoreEnvironment(*data_dir_));
  }
  static ProgramRun Verify(const std::vector<std::string>& args) {
    return RunProgram(LVYUAN_VERIFY_BINARY, args, *scratch_);
  }

  static fs::path* scratch_;
  static fs::path* data_dir_;
  static std::string* unit_id_;
  static std::string* evidence_id_;
};
fs::path* BundleTest::scratch_ = nullptr;
fs::path* BundleTest::data_dir_ = nullptr;
std::string* BundleTest::unit_id_ = nullptr;
std::string* BundleTest::evidence_id_ = nullptr;

TEST_F(BundleTest, UnitBundleExportsAndVerifiesAgainstThePublishedKey) {
  const fs::path bundle = *scratch_ / "unit.tar";
  ProgramRun exported = Export("unit:" + *unit_id_, bundle);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.out.find(bundle.string()), std::string::npos) << exported.out;
  EXPECT_NE(exported.out.find("3 条事件 events"), std::string::npos) << exported.out;
  ASSERT_TRUE(fs::exists(bundle));

  ProgramRun verified =
      Verify({bundle.string(), "--public-key", (*scratch_ / "published.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("证据包校验通过 bundle verified"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("the key is the trusted key"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("unit:" + *unit_id_), std::string::npos) << verified.out;
}

TEST_F(BundleTest, EvidenceBundleCarriesTheFileAndVerifies) {
  const fs::path bundle = *scratch_ / "evidence.tar";
  ProgramRun exported = Export("evidence:" + *evidence_id_, bundle);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_NE(exported.out.find("1 个文件 files"), std::string::npos) << exported.out;
  ProgramRun verified = Verify({bundle.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("文件 files verified:         1"), std::string::npos) << verified.out;
  // Without --public-key the key id is printed with a warning.
  EXPECT_NE(verified.out.find("WARNING"), std::string::npos) << verified.out;
}

TEST_F(BundleTest, AlteredEventInTheTarFailsNamingIt) {
  const fs::path bundle = *scratch_ / "altered.tar";
  ProgramRun exported = Export("unit:" + *unit_id_, bundle);
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  std::string bytes;
  {
    std::ostringstream text;
    text << std::ifstream(bundle, std::ios::binary).rdbuf();
    bytes = text.str();
  }
  // The new contact person appears only inside an event's changes.
  const std::string before = "王小明";
  const auto at = bytes.find(before);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, before.size(), "王大明");
  std::ofstream(bundle, std::ios::binary | std::ios::trunc) << bytes;
  ProgramRun verified = Verify({bundle.string()});
  EXPECT_EQ(verified.exit_code, 3) << verified.out;
  EXPECT_NE(verified.out.find("first failing item: events/"), std::string::npos) << verified.out;
}

TEST_F(BundleTest, ObjectWithoutEventsExitsThreeAndMalformedObjectTwo) {
  ProgramRun none = Export("unit:999999", *scratch_);
  EXPECT_EQ(none.exit_code, 3) << none.out;
  EXPECT_NE(none.out.find("没有任何记录事件"), std::string::npos) << none.out;
  ProgramRun malformed = Export("unit", *scratch_);
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out;
}

TEST_F(BundleTest, VerifierRejectsUnreadableInputWithExitOne) {
  const fs::path junk = *scratch_ / "junk.tar";
  std::ofstream(junk) << "not a bundle";
  EXPECT_EQ(Verify({junk.string()}).exit_code, 1);
  EXPECT_EQ(Verify({}).exit_code, 1);
}

// The web's download: GET /api/v1/record/bundle on a running server.
class BundleDownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ =
        fs::path(::testing::TempDir()) / ("lvyuan_bundle_download_" + std::to_string(::getpid()));
    fs::create_directories(scratch_);
    server_ = ServerProcess::Start();
    Client admin(server_->port());
    ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
    Reply created = admin.Post("/api/v1/units", {{"name", "德清县证据包下载测试执法队"},
                                                 {"type", "ecology_environment"},
                                                 {"region_code", "330521"},
                                                 {"contact_person", "赵六"},
                                                 {"contact_phone", "0572-8123456"}});
    ASSERT_EQ(created.status, 201u) << created;
    unit_id_ = std::to_string(created.json().at("id").as_int64());
    ASSERT_EQ(admin.Patch("/api/v1/units/" + unit_id_, {{"contact_person", "钱七"}}).status, 200u);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }

  std::string Target() const {
    return "/api/v1/record/bundle?object_type=unit&object_id=" + unit_id_;
  }

  fs::path scratch_;
  std::unique_ptr<ServerProcess> server_;
  std::string unit_id_;
};

TEST_F(BundleDownloadTest, AuditAdminDownloadsABundleThatVerifiesAndRecordsItsOwnExport) {
  Client audit(server_->port());
  ASSERT_EQ(audit.Login("auditadmin", kDemoPassword).status, 200u);
  Reply bundle = audit.Get(Target());
  ASSERT_EQ(bundle.status, 200u) << bundle;
  EXPECT_EQ(bundle.header("Content-Type"), "application/x-tar");
  EXPECT_NE(bundle.header("Content-Disposition").find("evidence-unit-" + unit_id_ + "-"),
            std::string::npos)
      << bundle.header("Content-Disposition");
  EXPECT_EQ(bundle.header("Cache-Control"), "no-store");
  // Created and updated.
  EXPECT_EQ(bundle.header("X-Bundle-Events"), "2");
  const fs::path tar = scratch_ / "downloaded.tar";
  std::ofstream(tar, std::ios::binary) << bundle.body;

  Reply key = audit.Get("/api/public/record/key");
  ASSERT_EQ(key.status, 200u) << key;
  const fs::path pem = scratch_ / "published.pem";
  std::ofstream(pem) << std::string(key.json().at("public_key_pem").as_string());
  ProgramRun verified =
      RunProgram(LVYUAN_VERIFY_BINARY, {tar.string(), "--public-key", pem.string()}, scratch_);
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("the key is the trusted key"), std::string::npos) << verified.out;

  // The export is recorded as a read of the object's record, with who did it.
  Reply events =
      audit.Get("/api/v1/audit/events?object_type=record&object_id=unit:" + unit_id_ + "&limit=10");
  ASSERT_EQ(events.status, 200u) << events;
  const json::value listed = events.json();
  const auto& newest = listed.at("items").as_array().at(0).as_object();
  EXPECT_EQ(newest.at("action").as_string(), "record.view.bundle");
  EXPECT_EQ(newest.at("outcome").as_string(), "ok");
  EXPECT_EQ(newest.at("actor_username").as_string(), "auditadmin");

  // The tar was made for that one response: nothing is left on the server.
  std::size_t left = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(server_->data_dir() / "exports", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++left;
  }
  EXPECT_EQ(left, 0u);
}

TEST_F(BundleDownloadTest, OthersCannotExportAndTheRefusalIsRecorded) {
  // The unit was created by the platform's administrators, not by the
  // officer's unit: the officer may not see its events, so may not export them.
  Client officer(server_->port());
  ASSERT_EQ(officer.Login("hzhb_officer", kDemoPassword).status, 200u);
  Reply refused = officer.Get(Target());
  EXPECT_EQ(refused.status, 404u) << refused;
  EXPECT_EQ(officer.Get("/api/v1/record/bundle?object_type=unit&object_id=999999").status, 404u);

  Client audit(server_->port());
  ASSERT_EQ(audit.Login("auditadmin", kDemoPassword).status, 200u);
  Reply events = audit.Get("/api/v1/audit/events?action=record.view.bundle&limit=10");
  ASSERT_EQ(events.status, 200u) << events;
  const json::value listed = events.json();
  const auto& items = listed.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << events;  // nothing is recorded for an object without events
  EXPECT_EQ(items.at(0).at("outcome").as_string(), "denied");
  EXPECT_EQ(items.at(0).at("actor_username").as_string(), "hzhb_officer");
}

TEST_F(BundleDownloadTest, MissingObjectNamesTheField) {
  Client audit(server_->port());
  ASSERT_EQ(audit.Login("auditadmin", kDemoPassword).status, 200u);
  Reply no_type = audit.Get("/api/v1/record/bundle?object_id=" + unit_id_);
  EXPECT_EQ(no_type.status, 400u) << no_type;
  EXPECT_EQ(no_type.error_field(), "object_type");
  Reply no_id = audit.Get("/api/v1/record/bundle?object_type=unit");
  EXPECT_EQ(no_id.status, 400u) << no_id;
  EXPECT_EQ(no_id.error_field(), "object_id");
  Client anonymous(server_->port());
  EXPECT_EQ(anonymous.Get(Target()).status, 401u);
}

}  // namespace
}  // namespace lvyuan::http_test
