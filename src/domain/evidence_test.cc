#include "domain/evidence.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "store/accounts.h"
#include "store/record.h"

namespace lvyuan::domain {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::int64_t kNow = 1'780'000'000'000;  // 2026-05-28

std::vector<std::uint8_t> PngBytes(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  while (out.size() < size) out.push_back(static_cast<std::uint8_t>(out.size() * 7 + seed));
  out.resize(size);
  return out;
}

std::string Hex(const crypto::Digest& d) { return core::HexEncode(d); }

class EvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto catalog = EvidenceCatalog::Load(fs::path(LVYUAN_SOURCE_ROOT) / "data");
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::make_unique<EvidenceCatalog>(std::move(catalog).value());
  }
  static void TearDownTestSuite() { catalog_.reset(); }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lvyuan-evidence-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = store::Open({.url = (dir_ / "lvyuan.db").string()});
    ASSERT_TRUE(db.ok()) << db.error().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
    log_ = std::move(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3).value());
    blobs_ = std::make_unique<record::BlobStore>(dir_ / "files");
    evidence_ = std::make_unique<Evidence>(*db_, *log_, *blobs_, *catalog_, clock_);

    ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                     ecology_unit_ = TRY(AddUnit(conn, "湖州市生态环境局", "ecology_environment"));
                     court_unit_ = TRY(AddUnit(conn, "湖州市中级人民法院", "court"));
                     officer_ = TRY(AddUser(conn, "hzhb_officer", ecology_unit_));
                     officer2_ = TRY(AddUser(conn, "hzhb_officer2", ecology_unit_));
                     judge_ = TRY(AddUser(conn, "hzzy_judge", court_unit_));
                     return core::Ok();
                   })
                    .ok());
    officer_.permissions = {std::string(kEvidenceUploadPermission),
                            std::string(kEvidenceReadPermission)};
    officer2_.permissions = officer_.permissions;
    judge_.permissions = officer_.permissions;
    auditor_.username = "auditadmin";
    auditor_.user_id = 999;
    auditor_.unit_id = 998;
    auditor_.permissions = {"audit:event:list"};
  }

  void TearDown() override {
    evidence_.reset();
    log_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  static core::Result<std::int64_t> AddUnit(store::Conn& conn, const char* name, const char* type) {
    store::UnitRecord u;
    u.name = name;
    u.type = type;
    u.region_code = "330500";
    u.created_at = u.updated_at = kNow;
    return store::InsertUnit(conn, u);
  }

  static core::Result<Principal> AddUser(store::Conn& conn, const char* username,
                                         std::int64_t unit) {
    store::UserRecord u;
    u.username = username;
    u.display_name = username;
    u.unit_id = unit;
    u.password_hash = "x";
    u.created_at = u.updated_at = u.password_changed_at = kNow;
    Principal p;
    p.user_id = TRY(store::InsertUser(conn, u));
    p.username = username;
    p.unit_id = unit;
    return p;
  }

  static Provenance ValidProvenance() {
    Provenance p;
    p.source = "on_site_capture";
    p.captured_at = "2026-05-27T09:30:00Z";
    p.captured_by = "杨执法";
    p.location = EvidenceLocation{"湖州市吴兴区某化工厂排污口", "30.8703", "120.0933"};
    p.description = "排污口现场照片";
    p.object_type = "matter";
    p.object_id = "42";
    return p;
  }

  UploadInput Input(std::int64_t size, std::string filename = "排污口.png") {
    return {std::move(filename), size, ValidProvenance()};
  }

  // Opens an upload and sends all of `bytes` in one piece.
  core::Result<UploadResult> UploadAll(const Principal& who, const std::vector<std::uint8_t>& bytes,
                                       std::string filename = "排污口.png") {
    auto upload = TRY(evidence_->CreateUpload(
        who, Input(static_cast<std::int64_t>(bytes.size()), std::move(filename)), meta_));
    auto session = TRY(evidence_->ContinueUpload(who, upload.id, std::uint64_t{0}, meta_));
    TRY(session->Write(bytes));
    return session->Finish();
  }

  std::vector<store::EventRecord> Events(std::string action_prefix) {
    std::vector<store::EventRecord> out;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     store::EventFilter f;
                     f.action_prefix = std::move(action_prefix);
                     f.limit = 100;
                     out = TRY(store::ListEvents(conn, f));
                     return core::Ok();
                   })
                    .ok());
    return out;
  }

  std::int64_t CountFiles() {
    std::int64_t n = -1;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     n = TRY(store::CountFiles(conn));
                     return core::Ok();
                   })
                    .ok());
    return n;
  }

  std::int64_t CountEvidence() {
    std::int64_t n = -1;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     n = static_cast<std::int64_t>(
                         TRY(store::ListEvidence(conn, {.limit = 1000})).size());
                     return core::Ok();
                   })
                    .ok());
    return n;
  }

  static std::unique_ptr<EvidenceCatalog> catalog_;
  fs::path dir_;
  core::FakeClock clock_{kNow};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<record::BlobStore> blobs_;
  std::unique_ptr<Evidence> evidence_;
  std::int64_t ecology_unit_ = 0;
  std::int64_t court_unit_ = 0;
  Principal officer_;
  Principal officer2_;
  Principal judge_;
  Principal auditor_;
  RequestMeta meta_{"10.0.0.8", "req-evidence"};
};
std::unique_ptr<EvidenceCatalog> EvidenceTest::catalog_;

// ------------------------------------------------------------------ catalogue

TEST_F(EvidenceTest, CatalogueListsTheSourcesAndAFourGibLimit) {
  EXPECT_EQ(catalog_->max_size_bytes(), std::uint64_t{4} << 30);
  ASSERT_NE(catalog_->FindSource("on_site_capture"), nullptr);
  EXPECT_EQ(catalog_->FindSource("on_site_capture")->name_zh, "现场取证");
  EXPECT_EQ(catalog_->FindSource("public_report")->name_zh, "群众举报");
  EXPECT_NE(catalog_->FindMediaType("video/mp4"), nullptr);
  EXPECT_EQ(catalog_->FindMediaType("application/octet-stream"), nullptr);
}

TEST_F(EvidenceTest, CatalogueRejectsAFileWithoutSources) {
  fs::path dir = dir_ / "bad";
  fs::create_directories(dir);
  std::ofstream(dir / "evidence.json")
      << R"({"max_size_bytes": 10, "media_types": [{"type": "image/png", "zh": "图", "en": "PNG"}]})";
  auto loaded = EvidenceCatalog::Load(dir);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("sources"), std::string::npos) << loaded.error().message;
}

// ------------------------------------------------------------------ provenance

struct ProvenanceCase {
  const char* name;
  std::function<void(Provenance&)> change;
  const char* field;
};

TEST_F(EvidenceTest, ProvenanceValidationNamesTheFieldAtFault) {
  const std::vector<ProvenanceCase> cases = {
      {"missing source", [](Provenance& p) { p.source.clear(); }, "source"},
      {"unknown source", [](Provenance& p) { p.source = "hearsay"; }, "source"},
      {"missing time", [](Provenance& p) { p.captured_at.clear(); }, "captured_at"},
      {"malformed time", [](Provenance& p) { p.captured_at = "2026/05/27 09:30"; }, "captured_at"},
      {"time in the future",
       [](Provenance& p) { p.captured_at = core::FormatIsoUtc(kNow + 6 * 60 * 1000); },
       "captured_at"},
      {"no officer and no device",
       [](Provenance& p) {
         p.captured_by.clear();
         p.device_id.clear();
       },
       "captured_by"},
      {"control character in device", [](Provenance& p) { p.device_id = "DSJ\x01-001"; },
       "device_id"},
      {"latitude beyond 90", [](Provenance& p) { p.location->lat = "90.5"; }, "location.lat"},
      {"longitude not a number", [](Provenance& p) { p.location->lng = "东经120"; },
       "location.lng"},
      {"latitude without longitude", [](Provenance& p) { p.location->lng.clear(); },
       "location.lng"},
      {"description too long",
       [](Provenance& p) {
         p.description.clear();
         for (int i = 0; i < 2001; ++i) p.description += "证";
       },
       "description"},
      {"object id without type", [](Provenance& p) { p.object_type.clear(); }, "object_type"},
      {"object type with capitals", [](Provenance& p) { p.object_type = "Matter"; }, "object_type"},
  };
  for (const auto& c : cases) {
    Provenance p = ValidProvenance();
    c.change(p);
    auto result = ValidateProvenance(p, *catalog_, kNow);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(result.error().field, c.field) << c.name << ": " << result.error().message;
  }
}

TEST_F(EvidenceTest, ProvenanceAcceptsADeviceInsteadOfAnOfficerAndSmallClockSkew) {
  Provenance p = ValidProvenance();
  p.captured_by.clear();
  p.device_id = "执法记录仪 DSJ-A8-0031";
  p.captured_at = core::FormatIsoUtc(kNow + 4 * 60 * 1000);
  p.location.reset();
  auto result = ValidateProvenance(p, *catalog_, kNow);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(*result, kNow + 4 * 60 * 1000);
}

TEST_F(EvidenceTest, CreateUploadRefusesADeclaredSizeOverTheLimit) {
  auto result = evidence_->CreateUpload(
      officer_, Input(static_cast<std::int64_t>(catalog_->max_size_bytes()) + 1), meta_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(result.error().field, "size");
}

TEST_F(EvidenceTest, CreateUploadNeedsTheUploadPermission) {
  Principal reader = officer_;
  reader.permissions = {std::string(kEvidenceReadPermission)};
  auto result = evidence_->CreateUpload(reader, Input(100), meta_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kPermissionDenied);
}

// ------------------------------------------------------------------ upload

TEST_F(EvidenceTest, CompletedUploadRecordsTheFileHashesInOneEvent) {
  const auto bytes = PngBytes(200'000, 1);
  auto result = UploadAll(officer_, bytes);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  ASSERT_TRUE(result->evidence.has_value());
  const store::EvidenceRecord& ev = *result->evidence;
  EXPECT_EQ(ev.sm3, Hex(crypto::Sm3(bytes)));
  EXPECT_EQ(ev.sha256, Hex(crypto::Sha256(bytes)));
  EXPECT_EQ(ev.size, 200'000);
  EXPECT_EQ(ev.media_type, "image/png");
  EXPECT_EQ(ev.unit_id, ecology_unit_);
  EXPECT_EQ(result->upload.state, store::UploadState::kDone);
  EXPECT_EQ(result->upload.evidence_id, ev.id);

  auto events = Events("evidence.upload");
  ASSERT_EQ(events.size(), 2u);  // newest first: the upload, then its opening
  const store::EventRecord& e = events[0];
  EXPECT_EQ(e.action, "evidence.upload");
  EXPECT_EQ(e.object_type, "evidence");
  EXPECT_EQ(e.object_id, std::to_string(ev.id));
  EXPECT_EQ(e.seq, ev.event_seq);
  EXPECT_EQ(e.actor_username, "hzhb_officer");
  json::value files = json::parse(e.files);
  ASSERT_EQ(files.as_array().size(), 1u);
  EXPECT_EQ(files.at(0).at("sm3").as_string(), ev.sm3);
  EXPECT_EQ(files.at(0).at("sha256").as_string(), ev.sha256);
  EXPECT_EQ(files.at(0).at("size").as_int64(), 200'000);
  EXPECT_EQ(files.at(0).at("name").as_string(), "排污口.png");
  json::value changes = json::parse(e.changes);
  EXPECT_EQ(changes.at("source").at("after").as_string(), "on_site_capture");
  EXPECT_EQ(changes.at("captured_at").at("after").as_string(), "2026-05-27T09:30:00.000Z");
  EXPECT_EQ(changes.at("location").at("after").at("lat").as_string(), "30.8703");

  auto path = blobs_->PathOf(ev.sm3);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(fs::file_size(*path), 200'000u);
}

TEST_F(EvidenceTest, SameBytesTwiceAreStoredOnceAsTwoEvidenceRows) {
  const auto bytes = PngBytes(5000, 2);
  auto first = UploadAll(officer_, bytes, "a.png");
  auto second = UploadAll(officer2_, bytes, "b.png");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_NE(first->evidence->id, second->evidence->id);
  EXPECT_EQ(first->evidence->sm3, second->evidence->sm3);
  EXPECT_EQ(CountFiles(), 1);
  EXPECT_EQ(CountEvidence(), 2);
  json::value detail = json::parse(Events("evidence.upload")[0].detail);
  EXPECT_TRUE(detail.at("stored_before").as_bool());
}

TEST_F(EvidenceTest, AFailingEventLeavesNoEvidenceRowAndNoFileRow) {
  ASSERT_TRUE(db_->Write([](store::Conn& conn) -> core::Status {
                   TRY(
                       conn.Exec("CREATE TRIGGER test_refuse_upload BEFORE INSERT ON record_events "
                                 "WHEN NEW.action = 'evidence.upload' "
                                 "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
                   return core::Ok();
                 })
                  .ok());
  auto result = UploadAll(officer_, PngBytes(3000, 3));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(CountEvidence(), 0);
  EXPECT_EQ(CountFiles(), 0);
  EXPECT_TRUE(Events("evidence.upload").size() == 1u);  // only the opening
}

TEST_F(EvidenceTest, InterruptedUploadResumesAtTheReceivedOffset) {
  const auto bytes = PngBytes(300'000, 4);
  auto upload = evidence_->CreateUpload(officer_, Input(300'000), meta_);
  ASSERT_TRUE(upload.ok()) << upload.error().ToString();
  {
    auto session = evidence_->ContinueUpload(officer_, upload->id, std::nullopt, meta_);
    ASSERT_TRUE(session.ok()) << session.error().ToString();
    ASSERT_TRUE((*session)->Write(std::span(bytes).first(120'000)).ok());
    (*session)->Abort();  // the connection dropped
  }
  auto status = evidence_->GetUpload(officer_, upload->id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->upload.received, 120'000);
  EXPECT_EQ(status->upload.state, store::UploadState::kOpen);
  EXPECT_FALSE(status->in_progress);

  auto wrong = evidence_->ContinueUpload(officer_, upload->id, std::uint64_t{0}, meta_);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(wrong.error().field, "Upload-Offset");
  EXPECT_NE(wrong.error().message.find("120000"), std::string::npos) << wrong.error().message;

  auto session = evidence_->ContinueUpload(officer_, upload->id, std::uint64_t{120'000}, meta_);
  ASSERT_TRUE(session.ok()) << session.error().ToString();
  ASSERT_TRUE((*session)->Write(std::span(bytes).subspan(120'000)).ok());
  auto done = (*session)->Finish();
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  ASSERT_TRUE(done->evidence.has_value());
  EXPECT_EQ(done->evidence->sm3, Hex(crypto::Sm3(bytes)));
}

TEST_F(EvidenceTest, WritingBeyondTheDeclaredSizeIsRefused) {
  auto upload = evidence_->CreateUpload(officer_, Input(10), meta_);
  ASSERT_TRUE(upload.ok());
  auto session = evidence_->ContinueUpload(officer_, upload->id, std::nullopt, meta_);
  ASSERT_TRUE(session.ok());
  auto written = (*session)->Write(PngBytes(11, 5));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().field, "size");
}

TEST_F(EvidenceTest, OnlyTheUploaderMayContinueAnUpload) {
  auto upload = evidence_->CreateUpload(officer_, Input(100), meta_);
  ASSERT_TRUE(upload.ok());
  auto other = evidence_->ContinueUpload(officer2_, upload->id, std::nullopt, meta_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, core::ErrorCode::kNotFound);
  auto status = evidence_->GetUpload(officer2_, upload->id);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kNotFound);
}

TEST_F(EvidenceTest, ASecondWriterForTheSameUploadIsRefusedWhileTheFirstIsOpen) {
  auto upload = evidence_->CreateUpload(officer_, Input(100), meta_);
  ASSERT_TRUE(upload.ok());
  auto first = evidence_->ContinueUpload(officer_, upload->id, std::nullopt, meta_);
  ASSERT_TRUE(first.ok());
  auto second = evidence_->ContinueUpload(officer_, upload->id, std::nullopt, meta_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, core::ErrorCode::kAborted);
  EXPECT_TRUE(evidence_->GetUpload(officer_, upload->id)->in_progress);
}

TEST_F(EvidenceTest, DisallowedContentIsRefusedAndNothingIsStored) {
  std::vector<std::uint8_t> elf = {0x7F, 'E', 'L', 'F', 2, 1, 1, 0};
  elf.resize(4096, 0);
  auto result = UploadAll(officer_, elf, "video.mp4");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "media_type");
  EXPECT_EQ(CountFiles(), 0);
  EXPECT_EQ(CountEvidence(), 0);
  EXPECT_FALSE(fs::exists(dir_ / "files" / "sm3" / Hex(crypto::Sm3(elf)).substr(0, 2)));
  EXPECT_TRUE(fs::is_empty(dir_ / "files" / "tmp"));
  auto events = Events("evidence.upload");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].outcome, "failed");
}

TEST_F(EvidenceTest, AbandonedUploadIsDeletedAndCannotContinue) {
  auto upload = evidence_->CreateUpload(officer_, Input(100), meta_);
  ASSERT_TRUE(upload.ok());
  ASSERT_TRUE(evidence_->AbandonUpload(officer_, upload->id, meta_).ok());
  EXPECT_TRUE(fs::is_empty(dir_ / "files" / "tmp"));
  auto again = evidence_->ContinueUpload(officer_, upload->id, std::nullopt, meta_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(evidence_->GetUpload(officer_, upload->id)->upload.state, store::UploadState::kAborted);
}

// ------------------------------------------------------------------ reading

TEST_F(EvidenceTest, AnotherUnitSeesNothingAndTheAuditAdministratorSeesAll) {
  auto result = UploadAll(officer_, PngBytes(1000, 6));
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const std::int64_t id = result->evidence->id;

  auto judge_get = evidence_->Get(judge_, id, meta_);
  ASSERT_FALSE(judge_get.ok());
  EXPECT_EQ(judge_get.error().code, core::ErrorCode::kNotFound);
  auto judge_open = evidence_->Open(judge_, id, meta_);
  ASSERT_FALSE(judge_open.ok());
  EXPECT_EQ(judge_open.error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(evidence_->List(judge_, {})->items.empty());

  EXPECT_TRUE(evidence_->Get(auditor_, id, meta_).ok());
  EXPECT_EQ(evidence_->List(auditor_, {})->items.size(), 1u);
  EXPECT_TRUE(evidence_->Get(officer2_, id, meta_).ok());  // same unit

  Principal nobody = judge_;
  nobody.permissions.clear();
  auto refused = evidence_->List(nobody, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(EvidenceTest, EveryReadIsAnEventNamingTheReaderAndTheFile) {
  const auto bytes = PngBytes(1000, 7);
  auto result = UploadAll(officer_, bytes);
  ASSERT_TRUE(result.ok());
  const std::int64_t id = result->evidence->id;
  ASSERT_TRUE(evidence_->Get(officer2_, id, meta_).ok());
  auto content = evidence_->Open(auditor_, id, meta_);
  ASSERT_TRUE(content.ok()) << content.error().ToString();
  std::ifstream in(content->path, std::ios::binary);
  std::ostringstream read;
  read << in.rdbuf();
  EXPECT_EQ(read.str(), std::string(bytes.begin(), bytes.end()));

  auto views = Events("evidence.view");
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].actor_username, "hzhb_officer2");
  EXPECT_EQ(views[0].object_id, std::to_string(id));
  auto downloads = Events("evidence.download");
  ASSERT_EQ(downloads.size(), 1u);
  EXPECT_EQ(downloads[0].actor_username, "auditadmin");
  EXPECT_EQ(json::parse(downloads[0].files).at(0).at("sm3").as_string(), Hex(crypto::Sm3(bytes)));
  // A refused read leaves no event.
  EXPECT_FALSE(evidence_->Open(judge_, id, meta_).ok());
  EXPECT_EQ(Events("evidence.download").size(), 1u);
}

TEST_F(EvidenceTest, ListFiltersByAttachedObjectAndPages) {
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(UploadAll(officer_, PngBytes(500, i + 10)).ok());
  store::EvidenceFilter f;
  f.object_type = "matter";
  f.object_id = "42";
  f.limit = 2;
  auto page = evidence_->List(officer_, f);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  ASSERT_TRUE(page->next_after.has_value());
  f.before_id = *page->next_after;
  auto rest = evidence_->List(officer_, f);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_FALSE(rest->next_after.has_value());
  f.object_id = "43";
  f.before_id = 0;
  EXPECT_TRUE(evidence_->List(officer_, f)->items.empty());
}

}  // namespace
}  // namespace lvyuan::domain
