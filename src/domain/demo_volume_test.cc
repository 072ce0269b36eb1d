// The demo at volume (demo_volume.h) at a small size, in a real SQLite file:
// the matters it makes are what the engine makes, and the record verifies.
#include "domain/demo_volume.h"

#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "domain/demo.h"
#include "record/blob_store.h"
#include "record/log.h"
#include "record/verify.h"
#include "store/accounts.h"
#include "store/matters.h"
#include "workflow/test_env.h"

namespace lvyuan::domain {
namespace {

namespace fs = std::filesystem;
using workflow::testing::Shipped;

constexpr std::int64_t kNow = 1'780'000'000'000;  // 2026-05-28

class DemoVolumeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = std::make_unique<Catalog>(
        std::move(Catalog::Load(workflow::testing::kRoot / "data")).value());
    evidence_catalog_ = std::make_unique<EvidenceCatalog>(
        std::move(EvidenceCatalog::Load(workflow::testing::kRoot / "data")).value());
  }
  static void TearDownTestSuite() {
    catalog_.reset();
    evidence_catalog_.reset();
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lvyuan-demo-volume-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = std::move(store::Open({.url = (dir_ / "lvyuan.db").string()})).value();
    ASSERT_TRUE(db_->Migrate().ok());
    log_ = std::move(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3)).value();
    const Shipped& shipped = Shipped::Get();
    AuthPolicy policy;
    policy.hash_params = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    policy.field_cipher = &cipher_;
    accounts_ = std::make_unique<Accounts>(*db_, *catalog_, shipped.regions, clock_, *log_, policy);
    ASSERT_TRUE(accounts_->Initialize().ok());
    blobs_ = std::make_unique<record::BlobStore>(dir_ / "files");
    evidence_ = std::make_unique<Evidence>(*db_, *log_, *blobs_, *evidence_catalog_, clock_);
    matters_ = std::make_unique<Matters>(*db_, *log_, shipped.registry, shipped.calendar,
                                         shipped.regions, cipher_, *catalog_, clock_);
    ASSERT_TRUE(CreateDemo(*accounts_, {}).ok());
    auto demo = CreateDemoMatters(*matters_, *evidence_, *db_, *catalog_);
    ASSERT_TRUE(demo.ok()) << demo.error().ToString();
  }

  void TearDown() override {
    matters_.reset();
    evidence_.reset();
    accounts_.reset();
    log_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  Result<DemoVolumeResult> Generate(std::int64_t total) {
    DemoVolumeOptions options;
    options.matters = total;
    options.stories_per_write = 50;
    return CreateDemoVolume(*accounts_, *matters_, *evidence_, *db_, *catalog_,
                            Shipped::Get().regions, clock_, options);
  }

  static inline std::unique_ptr<Catalog> catalog_;
  static inline std::unique_ptr<EvidenceCatalog> evidence_catalog_;
  fs::path dir_;
  core::FakeClock clock_{kNow};
  crypto::FieldCipher cipher_ = crypto::FieldCipher::Generate();
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<Accounts> accounts_;
  std::unique_ptr<record::BlobStore> blobs_;
  std::unique_ptr<Evidence> evidence_;
  std::unique_ptr<Matters> matters_;
};

TEST_F(DemoVolumeTest, TopsUpToTheTotalWithEngineMadeMattersAndATruthfulRecord) {
  auto made = Generate(600);
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  EXPECT_EQ(made->matters_before, 3);
  EXPECT_EQ(made->matters_after, 600);
  EXPECT_GT(made->units_added, 150);  // two bureaus for each of Zhejiang's ~90 counties

  // Every matter as stored: its kind and state, numbers, participants and
  // visibility, and the record events of its object.
  std::map<std::string, std::map<std::string, std::int64_t>> by_kind;
  std::set<std::string> numbers;
  std::set<std::string> domains;
  std::int64_t oldest = kNow;
  std::int64_t events = 0;
  ASSERT_TRUE(
      db_->Read([&](store::Conn& conn) -> Status {
           for (std::int64_t id = 1; id <= 600; ++id) {
             auto m = TRY(store::FindMatter(conn, id));
             if (!m) return core::Internal("matter " + std::to_string(id) + " missing");
             ++by_kind[m->kind][m->state];
             domains.insert(m->domain);
             oldest = std::min(oldest, m->created_at);
             const std::string year = core::ChinaDate(m->created_at).substr(0, 4);
             EXPECT_NE(m->number.find("〔" + year + "〕"), std::string::npos) << m->number;
             EXPECT_TRUE(
                 numbers.insert(std::to_string(m->owner_unit_id) + m->kind + m->number).second)
                 << m->number;
             const auto participants = TRY(store::ListParticipants(conn, id));
             bool owner = false;
             for (const auto& p : participants) {
               owner = owner || (p.relation == "owner" && p.unit_id == m->owner_unit_id);
               EXPECT_TRUE(TRY(store::IsVisibleTo(conn, id, p.unit_id)));
             }
             EXPECT_TRUE(owner) << id;
             store::EventFilter filter;
             filter.object_type = "matter";
             filter.object_id = std::to_string(id);
             filter.limit = 200;
             const auto matter_events = TRY(store::ListEvents(conn, filter));
             EXPECT_GE(matter_events.size(), 1u);
             // The oldest event is the creation; its state is the first.
             EXPECT_EQ(matter_events.back().action, "matter.create");
             events += static_cast<std::int64_t>(matter_events.size());
           }
           return core::Ok();
         })
          .ok());
  // Every state of every kind the stories reach.
  const Shipped& shipped = Shipped::Get();
  for (const char* kind : {"clue", "transfer", "criminal_transfer", "consultation", "notice"}) {
    for (const auto& state : shipped.Def(kind).states) {
      EXPECT_GT(by_kind[kind][state.name], 0) << kind << " " << state.name;
    }
  }
  EXPECT_GE(domains.size(), 10u);
  EXPECT_LT(oldest, kNow - 4LL * 365 * 24 * 3'600'000);
  EXPECT_GT(events, 600);

  // The counters agree with the matters, everywhere.
  ASSERT_TRUE(db_->Read([&](store::Conn& conn) -> Status {
                   auto all = TRY(store::CountMattersByState(conn, {}));
                   std::int64_t total = 0;
                   for (const auto& [state, n] : all.by_state) total += n;
                   EXPECT_EQ(total, 600);
                   store::UnitFilter units;
                   units.limit = 200;
                   for (const auto& unit : TRY(store::ListUnits(conn, units))) {
                     store::MatterFilter f;
                     f.visible_to_unit = unit.id;
                     auto counted = TRY(store::CountMattersByState(conn, f));
                     f.created_from = 0;  // not a kind filter: a real COUNT
                     auto bounded = TRY(store::CountMattersByState(conn, f));
                     EXPECT_EQ(counted.by_state, bounded.by_state) << unit.name;
                   }
                   return core::Ok();
                 })
                  .ok());

  record::VerifyOptions verify;
  verify.files_root = dir_ / "files";
  auto report = record::VerifyRecord(*db_, verify);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->ok()) << "first bad event " << report->problem->first_bad_seq;

  // Asked again for the same total: nothing more.
  auto again = Generate(600);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->matters_before, 600);
  EXPECT_EQ(again->matters_after, 600);
  EXPECT_EQ(again->units_added, 0);
}

}  // namespace
}  // namespace lvyuan::domain
