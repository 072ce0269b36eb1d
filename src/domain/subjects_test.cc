// Subjects and the unit directory on a real SQLite deployment (the matters
// fixture): what a unit may find and see of the people and companies
// matters are about, when the ID number is shown and that each showing is
// recorded; the directory's units; matter files for every unit that sees
// the matter; timeline reads in the record.
#include "domain/subjects.h"

#include <gtest/gtest.h>

#include "domain/matters_fixture.h"
#include "domain/unit_directory.h"
#include "store/record.h"

namespace lvyuan::domain {
namespace {

class SubjectsTest : public MattersFixture {
 protected:
  void SetUp() override {
    MattersFixture::SetUp();
    subjects_ = std::make_unique<Subjects>(*db_, *log_, cipher_);
  }
  void TearDown() override {
    subjects_.reset();
    MattersFixture::TearDown();
  }

  std::int64_t SubjectOf(std::int64_t matter) {
    const Principal& officer = User("ecology_environment", "enforcement_officer");
    MatterView view = Ok(matters_->Get(officer, matter));
    return view.fields.at("subject").at("subject_id").as_int64();
  }

  std::vector<store::EventRecord> Events(std::string_view action_prefix) {
    std::vector<store::EventRecord> out;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     store::EventFilter filter;
                     filter.action_prefix = std::string(action_prefix);
                     filter.limit = 500;
                     out = TRY(store::ListEvents(conn, filter));
                     return core::Ok();
                   })
                    .ok());
    return out;
  }

  std::vector<std::int64_t> Found(const Principal& who, std::string q) {
    SubjectQuery query;
    query.q = std::move(q);
    std::vector<std::int64_t> ids;
    for (const auto& s : Ok(subjects_->Search(who, query)).page.items) ids.push_back(s.id);
    return ids;
  }

  std::unique_ptr<Subjects> subjects_;
};

TEST_F(SubjectsTest, ASubjectOnlyOtherUnitsDealWithDoesNotExistForTheCaller) {
  const std::int64_t transfer = CriminalTransfer();
  const std::int64_t subject = SubjectOf(transfer);
  const Principal& judge = User("court", "judge");
  auto hidden = subjects_->Get(judge, subject, {});
  ASSERT_FALSE(hidden.ok());
  auto missing = subjects_->Get(judge, subject + 1000, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, missing.error().message);
  EXPECT_TRUE(Found(judge, "张").empty());
  EXPECT_TRUE(Found(judge, std::string(kIdNumber)).empty());
  EXPECT_TRUE(Found(judge, "").empty());
  // The subject's matters through the list filter: none for the court.
  MatterListFilter filter;
  filter.subject_id = subject;
  EXPECT_TRUE(Ok(matters_->List(judge, filter)).items.empty());
  EXPECT_EQ(Ok(matters_->List(User("public_security", "police_officer"), filter)).items.size(), 1u);
  EXPECT_EQ(
      Ok(matters_->List(User("ecology_environment", "enforcement_officer"), filter)).items.size(),
      2u);  // the clue and the criminal transfer
}

TEST_F(SubjectsTest, ShowsTheIdNumberToOwnerAndRecipientOnlyAndRecordsEachShowing) {
  const std::int64_t subject = SubjectOf(CriminalTransfer());
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const Principal& police = User("public_security", "police_officer");
  const Principal& procurator = User("procuratorate", "procurator");

  SubjectView own = Ok(subjects_->Get(officer, subject, {.client_ip = "10.0.0.7"}));
  EXPECT_EQ(own.id_number, std::string(kIdNumber));
  EXPECT_EQ(own.subject.id_number_masked, "330502********1231");
  EXPECT_FALSE(own.subject.id_number_sealed.has_value());
  EXPECT_FALSE(own.subject.id_number_index.has_value());
  EXPECT_EQ(own.relations, std::vector<std::string>{"owner"});

  SubjectView received = Ok(subjects_->Get(police, subject, {}));
  EXPECT_EQ(received.id_number, std::string(kIdNumber));
  EXPECT_EQ(received.relations, std::vector<std::string>{"recipient"});

  SubjectView copied = Ok(subjects_->Get(procurator, subject, {}));
  EXPECT_FALSE(copied.id_number.has_value());
  EXPECT_EQ(copied.subject.id_number_masked, "330502********1231");
  EXPECT_EQ(copied.relations, std::vector<std::string>{"copied"});

  const auto views = Events("subject.view");
  ASSERT_EQ(views.size(), 2u);  // newest first; the procurator's masked view is not one
  EXPECT_EQ(views[0].actor_username, police.username);
  EXPECT_EQ(views[1].actor_username, officer.username);
  EXPECT_EQ(views[1].object_type, "subject");
  EXPECT_EQ(views[1].object_id, std::to_string(subject));
  EXPECT_EQ(views[1].client_ip, "10.0.0.7");
  EXPECT_EQ(views[1].detail.find(std::string(kIdNumber)), std::string::npos);
}

TEST_F(SubjectsTest, FindsByIdNumberCreditCodeAndNamePrefixWithinWhatTheUnitSees) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const std::int64_t person = SubjectOf(CriminalTransfer());
  json::object fields = ClueFields(officer);
  fields["subject"] =
      json::object{{"kind", "company"}, {"credit_code", kCreditCode}, {"name", "某化工有限公司"}};
  const std::int64_t company = SubjectOf(Ok(matters_->Create(officer, "clue", fields, {})));

  SubjectQuery by_number{.q = std::string(kIdNumber)};
  SubjectSearch number = Ok(subjects_->Search(officer, by_number));
  EXPECT_EQ(number.matched_by, "id_number");
  ASSERT_EQ(number.page.items.size(), 1u);
  EXPECT_EQ(number.page.items[0].id, person);
  EXPECT_FALSE(number.page.items[0].id_number_sealed.has_value());

  std::string lower = kCreditCode;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string spaced = " ";
  spaced += lower;
  SubjectSearch code = Ok(subjects_->Search(officer, {.q = spaced}));
  EXPECT_EQ(code.matched_by, "credit_code");
  ASSERT_EQ(code.page.items.size(), 1u);
  EXPECT_EQ(code.page.items[0].id, company);

  EXPECT_EQ(Found(officer, "某化"), std::vector<std::int64_t>{company});
  EXPECT_EQ(Found(officer, "张"), std::vector<std::int64_t>{person});
  EXPECT_TRUE(Found(officer, "化工").empty());  // a prefix, not anywhere in the name
  // The police see the person (the criminal transfer), not the company.
  EXPECT_EQ(Found(User("public_security", "police_officer"), ""),
            std::vector<std::int64_t>{person});

  SubjectSearch first = Ok(subjects_->Search(officer, {.q = "", .after_id = 0, .limit = 1}));
  ASSERT_EQ(first.page.items.size(), 1u);
  ASSERT_TRUE(first.page.next_after.has_value());
  SubjectSearch second =
      Ok(subjects_->Search(officer, {.q = "", .after_id = *first.page.next_after, .limit = 1}));
  ASSERT_EQ(second.page.items.size(), 1u);
  EXPECT_FALSE(second.page.next_after.has_value());
  EXPECT_NE(first.page.items[0].id, second.page.items[0].id);

  auto too_long = subjects_->Search(officer, {.q = std::string(101, 'a')});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().field, "q");
  auto bad_limit = subjects_->Search(officer, {.q = "", .after_id = 0, .limit = 0});
  ASSERT_FALSE(bad_limit.ok());
  EXPECT_EQ(bad_limit.error().field, "limit");
  Principal admin;
  admin.user_id = 999;
  admin.unit_id = officer.unit_id;
  admin.permissions = {"system:unit:list"};
  auto refused = subjects_->Search(admin, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(SubjectsTest, DirectoryListsActiveUnitsWithAbbreviationToMatterReaders) {
  UnitDirectory directory(*db_);
  const std::int64_t resources = units_["natural_resources"];
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                   auto unit = TRY(store::FindUnit(conn, resources));
                   unit->enabled = false;
                   return store::UpdateUnit(conn, *unit);
                 })
                  .ok());
  const Principal& judge = User("court", "judge");
  auto page = Ok(directory.List(judge, {.limit = 200}));
  std::map<std::int64_t, store::DirectoryUnit> by_id;
  for (const auto& unit : page.items) by_id[unit.id] = unit;
  EXPECT_EQ(by_id.size(), 4u);
  EXPECT_FALSE(by_id.contains(resources));
  EXPECT_EQ(by_id.at(units_["public_security"]).abbreviation, "湖公");
  EXPECT_EQ(by_id.at(units_["public_security"]).type, "public_security");
  EXPECT_EQ(by_id.at(units_["public_security"]).region_code, "330500");

  auto court = Ok(directory.List(judge, {.type = "court", .limit = 200}));
  ASSERT_EQ(court.items.size(), 1u);
  EXPECT_EQ(court.items[0].name, "湖州市中级人民法院");
  auto paged = Ok(directory.List(judge, {.limit = 3}));
  EXPECT_EQ(paged.items.size(), 3u);
  EXPECT_TRUE(paged.next_after.has_value());

  Principal admin;
  admin.user_id = 999;
  admin.unit_id = judge.unit_id;
  admin.permissions = {"system:unit:list"};
  auto refused = directory.List(admin, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(SubjectsTest, MatterFilesOpenForEveryUnitThatSeesTheMatterAndNobodyElse) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const std::int64_t file = EvidenceOf(officer);
  CriminalTransfer();
  const auto before = Events("evidence.download").size();
  // The recipient and the copied unit see the criminal transfer, which
  // carries the clue's attachment.
  EXPECT_TRUE(evidence_->Open(User("public_security", "police_officer"), file, {}).ok());
  EXPECT_TRUE(evidence_->Get(User("procuratorate", "procurator"), file, {}).ok());
  // A unit that does not take part: not found, as for a missing id.
  for (const Principal* stranger : {&User("court", "judge"), &User("court", "mediator")}) {
    auto refused = evidence_->Open(*stranger, file, {});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, core::ErrorCode::kNotFound);
  }
  // An unattached file of another unit stays its own.
  const std::int64_t police_file = EvidenceOf(User("public_security", "police_officer"));
  auto other = evidence_->Open(officer, police_file, {});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(Events("evidence.download").size(), before + 1);
}

TEST_F(SubjectsTest, ReadingATimelineIsARecordedReadNamingTheActorsUnits) {
  const std::int64_t transfer = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const auto before = Events("record.view").size();
  MatterTimeline timeline = Ok(matters_->Timeline(police, transfer, 0, 50, {.request_id = "r-1"}));
  ASSERT_FALSE(timeline.events.empty());
  EXPECT_EQ(timeline.unit_names.at(units_["ecology_environment"]), "湖州市生态环境局");
  const auto views = Events("record.view");
  ASSERT_EQ(views.size(), before + 1);
  EXPECT_EQ(views[0].actor_username, police.username);
  EXPECT_EQ(views[0].object_type, "record");
  EXPECT_EQ(views[0].object_id, std::string("matter:").append(std::to_string(transfer)));
  EXPECT_EQ(views[0].request_id, "r-1");
  const json::value detail = json::parse(views[0].detail);
  EXPECT_EQ(detail.at("view"), "timeline");
  EXPECT_EQ(detail.at("events").as_int64(), static_cast<std::int64_t>(timeline.events.size()));
  // A stranger's refused read adds nothing.
  EXPECT_FALSE(matters_->Timeline(User("court", "judge"), transfer, 0, 50, {}).ok());
  EXPECT_EQ(Events("record.view").size(), before + 1);
}

}  // namespace
}  // namespace lvyuan::domain
