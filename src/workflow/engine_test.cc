#include "workflow/engine.h"

#include "core/validators.h"
#include "workflow/test_env.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;
using testing::ChinaTime;
using testing::Shipped;

constexpr std::int64_t kEcology = 11;  // 湖州市生态环境局
constexpr std::int64_t kPolice = 21;   // 湖州市公安局
constexpr std::int64_t kForestry = 31;
constexpr std::int64_t kProcuratorate = 41;

Actor Officer() { return {{"enforcement_officer"}, "ecology_environment", kEcology, {}}; }
Actor Owner() {
  return {{"enforcement_officer"}, "ecology_environment", kEcology, {Relation::kOwner}};
}
Actor PoliceRecipient() {
  return {{"police_officer"}, "public_security", kPolice, {Relation::kRecipient}};
}
Actor ForestryCopied() {
  return {{"enforcement_officer"}, "forestry", kForestry, {Relation::kCopied}};
}
Actor Procurator() {
  return {{"procurator"}, "procuratorate", kProcuratorate, {Relation::kCopied}};
}

const Definition& Def(std::string_view kind) { return Shipped::Get().Def(kind); }
const core::WorkCalendar& Cal() { return Shipped::Get().calendar; }

json::object TransferInput() {
  return json::object{{"recipient", kPolice},
                      {"copied_units", json::array{kForestry}},
                      {"title", "某化工厂夜间偷排废水"},
                      {"domain", "water"},
                      {"region", "330502"},
                      {"address", "吴兴区八里店镇某路 8 号"},
                      {"summary", "巡查发现排污口夜间排放黑色废水。"},
                      {"attachments", json::array{101, 102}}};
}

MatterSnapshot Snapshot(const Plan& plan, std::int64_t version, std::int64_t created_ms) {
  MatterSnapshot s;
  s.state = plan.to_state;
  s.fields = plan.fields;
  s.version = version;
  s.created_ms = created_ms;
  s.owner_unit_id = kEcology;
  for (const DeadlineToSet& d : plan.deadlines_set)
    s.deadlines.push_back({d.name, d.started_ms, d.due_ms});
  return s;
}

// The snapshot after `plan` was applied to `before`.
MatterSnapshot Apply(MatterSnapshot before, const Plan& plan) {
  before.state = plan.to_state;
  before.fields = plan.fields;
  before.version += 1;
  std::erase_if(before.deadlines, [&](const ActiveDeadline& d) {
    return std::find(plan.deadlines_cleared.begin(), plan.deadlines_cleared.end(), d.name) !=
               plan.deadlines_cleared.end() ||
           std::any_of(plan.deadlines_set.begin(), plan.deadlines_set.end(),
                       [&](const DeadlineToSet& s) { return s.name == d.name; });
  });
  for (const DeadlineToSet& d : plan.deadlines_set)
    before.deadlines.push_back({d.name, d.started_ms, d.due_ms});
  return before;
}

std::vector<std::string> Names(const std::vector<const ActionDef*>& actions) {
  std::vector<std::string> out;
  for (const ActionDef* a : actions) out.push_back(a->name);
  return out;
}

TEST(AllowedActionsTest, DependOnStateRoleUnitTypeAndRelation) {
  const Definition& transfer = Def("transfer");
  EXPECT_EQ(Names(AllowedActions(transfer, "sent", PoliceRecipient())),
            (std::vector<std::string>{"sign_for", "return"}));
  EXPECT_EQ(Names(AllowedActions(transfer, "sent", Owner())),
            (std::vector<std::string>{"withdraw"}));
  EXPECT_TRUE(AllowedActions(transfer, "sent", ForestryCopied()).empty());
  EXPECT_EQ(Names(AllowedActions(transfer, "signed_for", PoliceRecipient())),
            (std::vector<std::string>{"accept", "return"}));
  EXPECT_TRUE(AllowedActions(transfer, "closed", Owner()).empty());
  Actor analyst{{"analyst"}, "public_security", kPolice, {Relation::kRecipient}};
  EXPECT_TRUE(AllowedActions(transfer, "sent", analyst).empty());
}

TEST(PlanCreateTest, OpensATransferWithParticipantsNotificationsAndDeadline) {
  const std::int64_t now = ChinaTime("2026-03-02T09:30");  // Monday
  auto plan = PlanCreate(Def("transfer"), Officer(), TransferInput(), now, Cal());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->action, "create");
  EXPECT_EQ(plan->to_state, "sent");
  EXPECT_EQ(plan->changes.size(), 8u);
  ASSERT_EQ(plan->participants.size(), 2u);
  EXPECT_EQ(plan->participants[0].relation, Relation::kRecipient);
  EXPECT_EQ(plan->participants[0].unit_ids, std::vector<std::int64_t>{kPolice});
  EXPECT_EQ(plan->participants[1].relation, Relation::kCopied);
  EXPECT_EQ(plan->participants[1].unit_ids, std::vector<std::int64_t>{kForestry});
  ASSERT_EQ(plan->notifications.size(), 2u);
  EXPECT_EQ(plan->notifications[0].relations, std::vector<Relation>{Relation::kRecipient});
  ASSERT_EQ(plan->deadlines_set.size(), 1u);
  EXPECT_EQ(plan->deadlines_set[0].name, "sign_for");
  EXPECT_EQ(plan->deadlines_set[0].due_date, "2026-03-04");
  EXPECT_EQ(core::FormatIsoUtc(plan->deadlines_set[0].due_ms), "2026-03-04T16:00:00.000Z");
}

TEST(PlanCreateTest, RefusesWhoMayNotCreateAndWhatGuardsForbid) {
  const std::int64_t now = ChinaTime("2026-03-02T09:30");
  Actor analyst{{"analyst"}, "ecology_environment", kEcology, {}};
  EXPECT_EQ(PlanCreate(Def("transfer"), analyst, TransferInput(), now, Cal()).error().code,
            core::ErrorCode::kPermissionDenied);
  Actor police_officer{{"police_officer"}, "public_security", kPolice, {}};
  auto criminal = PlanCreate(Def("criminal_transfer"), police_officer, json::object{}, now, Cal());
  EXPECT_EQ(criminal.error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(criminal.error().message, "无权新建涉嫌犯罪案件移送（行刑衔接）");

  json::object to_self = TransferInput();
  to_self["recipient"] = kEcology;
  auto self = PlanCreate(Def("transfer"), Officer(), to_self, now, Cal());
  EXPECT_EQ(self.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(self.error().message, "不能移送给本单位");
  EXPECT_EQ(self.error().field, "recipient");

  json::object no_files = TransferInput();
  no_files.erase("attachments");
  auto bare = PlanCreate(Def("transfer"), Officer(), no_files, now, Cal());
  EXPECT_EQ(bare.error().message, "请至少上传一份附件");

  json::object both = TransferInput();
  both["copied_units"] = json::array{kPolice};
  EXPECT_EQ(PlanCreate(Def("transfer"), Officer(), both, now, Cal()).error().field, "copied_units");
}

class TransferFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    created_ = ChinaTime("2026-03-02T09:30");
    auto plan = PlanCreate(Def("transfer"), Officer(), TransferInput(), created_, Cal());
    ASSERT_TRUE(plan.ok()) << plan.error().ToString();
    sent_ = Snapshot(*plan, 1, created_);
  }
  std::int64_t created_ = 0;
  MatterSnapshot sent_;
};

TEST_F(TransferFlowTest, PermissionStateFieldAndGuardOutcomes) {
  const Definition& transfer = Def("transfer");
  const std::int64_t now = ChinaTime("2026-03-03T10:00");
  auto copied = PlanAction(transfer, sent_, "sign_for", ForestryCopied(), nullptr, now, Cal());
  EXPECT_EQ(copied.error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(copied.error().message, "无权签收");

  auto early = PlanAction(transfer, sent_, "accept", PoliceRecipient(),
                          json::object{{"acceptance_opinion", "同意受理"}}, now, Cal());
  EXPECT_EQ(early.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(early.error().message, "事项当前为“待签收”，不能受理");

  auto unknown = PlanAction(transfer, sent_, "approve", PoliceRecipient(), nullptr, now, Cal());
  EXPECT_EQ(unknown.error().code, core::ErrorCode::kNotFound);

  auto signed_for = PlanAction(transfer, sent_, "sign_for", PoliceRecipient(), nullptr, now, Cal());
  ASSERT_TRUE(signed_for.ok()) << signed_for.error().ToString();
  EXPECT_EQ(signed_for->from_state, "sent");
  EXPECT_EQ(signed_for->to_state, "signed_for");
  EXPECT_EQ(signed_for->expected_version, 1);
  EXPECT_EQ(signed_for->deadlines_cleared, std::vector<std::string>{"sign_for"});
  ASSERT_EQ(signed_for->deadlines_set.size(), 1u);
  EXPECT_EQ(signed_for->deadlines_set[0].name, "accept_decision");
  const MatterSnapshot signed_snapshot = Apply(sent_, *signed_for);

  auto no_opinion = PlanAction(transfer, signed_snapshot, "accept", PoliceRecipient(),
                               json::object{}, now, Cal());
  EXPECT_EQ(no_opinion.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_opinion.error().field, "acceptance_opinion");
  EXPECT_EQ(no_opinion.error().message, "请填写受理意见");

  auto curt = PlanAction(transfer, signed_snapshot, "return", PoliceRecipient(),
                         json::object{{"reason", "否"}}, now, Cal());
  EXPECT_EQ(curt.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(curt.error().message, "请说明理由");
  EXPECT_EQ(curt.error().field, "reason");

  auto returned = PlanAction(transfer, signed_snapshot, "return", PoliceRecipient(),
                             json::object{{"reason", "不属于本机关管辖"}}, now, Cal());
  ASSERT_TRUE(returned.ok()) << returned.error().ToString();
  EXPECT_EQ(returned->to_state, "returned");
  EXPECT_EQ(returned->deadlines_cleared, std::vector<std::string>{"accept_decision"});
  ASSERT_EQ(returned->changes.size(), 1u);
  EXPECT_EQ(returned->changes[0].name, "reason");
  EXPECT_TRUE(returned->changes[0].before.is_null());
  EXPECT_EQ(returned->changes[0].after, json::value("不属于本机关管辖"));
}

TEST_F(TransferFlowTest, AcceptingOpensTheRecipientsOwnClue) {
  const Definition& transfer = Def("transfer");
  const std::int64_t now = ChinaTime("2026-03-03T10:00");
  auto signed_for = PlanAction(transfer, sent_, "sign_for", PoliceRecipient(), nullptr, now, Cal());
  ASSERT_TRUE(signed_for.ok());
  auto accepted =
      PlanAction(transfer, Apply(sent_, *signed_for), "accept", PoliceRecipient(),
                 json::object{{"acceptance_opinion", "同意受理，转治安大队办理"}}, now, Cal());
  ASSERT_TRUE(accepted.ok()) << accepted.error().ToString();
  ASSERT_EQ(accepted->open_matters.size(), 1u);
  const OpenMatterEffect& clue = accepted->open_matters[0];
  EXPECT_EQ(clue.kind, "clue");
  EXPECT_EQ(clue.for_unit_id, 0);
  EXPECT_EQ(clue.fields.at("source"), json::value("transferred"));
  EXPECT_EQ(clue.fields.at("title"), json::value("某化工厂夜间偷排废水"));
  EXPECT_EQ(clue.fields.at("description"), json::value("巡查发现排污口夜间排放黑色废水。"));
  EXPECT_EQ(clue.fields.at("attachments"), (json::array{101, 102}));
  EXPECT_FALSE(clue.fields.contains("recipient"));
  // The opened clue passes the clue kind's own create form.
  auto opened = PlanCreate(Def("clue"), PoliceRecipient(), clue.fields, now, Cal());
  EXPECT_TRUE(opened.ok()) << opened.error().ToString();
  ASSERT_EQ(accepted->deadlines_set.size(), 1u);
  EXPECT_EQ(accepted->deadlines_set[0].name, "feedback");
  EXPECT_EQ(accepted->notifications[0].relations,
            (std::vector<Relation>{Relation::kOwner, Relation::kCopied}));
}

TEST(ClueTransferTest, OpensOneTransferPerRecipientUnit) {
  const std::int64_t now = ChinaTime("2026-03-02T09:30");
  json::object input{
      {"title", "河道非法采砂"},       {"source", "patrol"},
      {"domain", "illegal_mining"},    {"region", "330502"},
      {"address", "东苕溪某河段"},     {"description", "巡查发现夜间有采砂船作业。"},
      {"attachments", json::array{7}}, {"location", json::object{{"lat", 30.87}, {"lng", 120.09}}}};
  auto created = PlanCreate(Def("clue"), Officer(), input, now, Cal());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  MatterSnapshot clue = Snapshot(*created, 1, now);
  auto plan = PlanAction(Def("clue"), clue, "transfer", Owner(),
                         json::object{{"recipients", json::array{kPolice, kForestry}},
                                      {"transfer_note", "请依法处理"}},
                         now, Cal());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->to_state, "transferred");
  EXPECT_EQ(plan->deadlines_cleared, std::vector<std::string>{"first_handling"});
  ASSERT_EQ(plan->open_matters.size(), 2u);
  EXPECT_EQ(plan->open_matters[0].kind, "transfer");
  EXPECT_EQ(plan->open_matters[0].for_unit_id, kPolice);
  EXPECT_EQ(plan->open_matters[0].fields.at("recipient"), json::value(kPolice));
  EXPECT_EQ(plan->open_matters[1].fields.at("recipient"), json::value(kForestry));
  EXPECT_EQ(plan->open_matters[1].fields.at("summary"), json::value("巡查发现夜间有采砂船作业。"));
  auto opened = PlanCreate(Def("transfer"), Officer(), plan->open_matters[1].fields, now, Cal());
  EXPECT_TRUE(opened.ok()) << opened.error().ToString();
}

class CriminalTransferTest : public ::testing::Test {
 protected:
  MatterSnapshot Create(std::int64_t now) {
    json::object input{{"police_unit", kPolice},
                       {"title", "某电镀厂非法排放含铬废水案"},
                       {"suspected_offence", "污染环境罪"},
                       {"domain", "water"},
                       {"region", "330502"},
                       {"address", "吴兴区某工业园"},
                       {"subject", json::object{{"kind", "company"},
                                                {"credit_code", Uscc()},
                                                {"name", "湖州某电镀有限公司"}}},
                       {"summary", "监测显示总铬超标 12 倍。"},
                       {"attachments", json::array{201}}};
    auto plan = PlanCreate(Def("criminal_transfer"), Officer(), input, now, Cal());
    EXPECT_TRUE(plan.ok()) << plan.error().ToString();
    created_ = *plan;
    return Snapshot(*plan, 1, now);
  }
  static std::string Uscc() {
    const std::string first = "91330500MA2B3C4D1";
    return first + core::UsccCheckCharacter(first);
  }
  Plan created_;
};

TEST_F(CriminalTransferTest, CopiesTheProcuratorateAndCountsTheFilingDecisionInDays) {
  MatterSnapshot sent = Create(ChinaTime("2026-02-11T15:00"));
  ASSERT_EQ(created_.participants.size(), 2u);
  EXPECT_EQ(created_.participants[1].relation, Relation::kCopied);
  EXPECT_EQ(created_.participants[1].unit_type, "procuratorate");
  EXPECT_TRUE(created_.participants[1].unit_ids.empty());
  EXPECT_EQ(created_.notifications[1].roles, std::vector<std::string>{"procurator"});
  ASSERT_EQ(created_.deadlines_set.size(), 1u);
  EXPECT_EQ(core::FormatIsoUtc(created_.deadlines_set[0].due_ms), "2026-02-12T07:00:00.000Z");

  // Accepted on Thursday 12 February: three days end on Sunday 15 February,
  // inside the Spring Festival holiday, so the limit moves to Tuesday 24 February.
  auto accepted = PlanAction(Def("criminal_transfer"), sent, "accept", PoliceRecipient(), nullptr,
                             ChinaTime("2026-02-12T09:00"), Cal());
  ASSERT_TRUE(accepted.ok()) << accepted.error().ToString();
  ASSERT_EQ(accepted->deadlines_set.size(), 1u);
  EXPECT_EQ(accepted->deadlines_set[0].name, "filing_decision");
  EXPECT_EQ(accepted->deadlines_set[0].due_date, "2026-02-24");
  EXPECT_EQ(core::FormatIsoUtc(accepted->deadlines_set[0].due_ms), "2026-02-24T16:00:00.000Z");
}

TEST_F(CriminalTransferTest, ReconsiderationOnlyWithinItsWindowAndSupervisionByTheProcuratorate) {
  const Definition& def = Def("criminal_transfer");
  MatterSnapshot matter = Create(ChinaTime("2026-03-02T09:00"));
  auto accepted = PlanAction(def, matter, "accept", PoliceRecipient(), nullptr,
                             ChinaTime("2026-03-02T11:00"), Cal());
  ASSERT_TRUE(accepted.ok());
  matter = Apply(matter, *accepted);
  auto declined = PlanAction(def, matter, "decline", PoliceRecipient(),
                             json::object{{"reason", "现有证据不足以证明达到立案追诉标准"}},
                             ChinaTime("2026-03-04T16:00"), Cal());  // Wednesday
  ASSERT_TRUE(declined.ok()) << declined.error().ToString();
  EXPECT_EQ(declined->deadlines_cleared, std::vector<std::string>{"filing_decision"});
  ASSERT_EQ(declined->deadlines_set.size(), 1u);
  EXPECT_EQ(declined->deadlines_set[0].name, "reconsideration_request");
  EXPECT_EQ(declined->deadlines_set[0].due_date, "2026-03-09");  // 3 working days: Thu, Fri, Mon
  matter = Apply(matter, *declined);

  const json::object why{{"reason", "监测报告显示已达严重污染环境标准"}};
  auto late = PlanAction(def, matter, "request_reconsideration", Owner(), why,
                         ChinaTime("2026-03-10T08:00"), Cal());
  EXPECT_EQ(late.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(late.error().message, "已超过“提请复议期限”，不能提请复议");
  auto in_time = PlanAction(def, matter, "request_reconsideration", Owner(), why,
                            ChinaTime("2026-03-09T23:59"), Cal());
  ASSERT_TRUE(in_time.ok()) << in_time.error().ToString();
  EXPECT_EQ(in_time->to_state, "reconsideration_requested");

  auto police_supervising =
      PlanAction(def, matter, "open_supervision", PoliceRecipient(),
                 json::object{{"supervision_opinion", "x"}}, ChinaTime("2026-03-05T10:00"), Cal());
  EXPECT_EQ(police_supervising.error().code, core::ErrorCode::kPermissionDenied);
  auto supervision = PlanAction(def, matter, "open_supervision", Procurator(),
                                json::object{{"supervision_opinion", "要求说明不立案理由"}},
                                ChinaTime("2026-03-05T10:00"), Cal());
  ASSERT_TRUE(supervision.ok()) << supervision.error().ToString();
  EXPECT_EQ(supervision->to_state, "under_supervision");
  ASSERT_EQ(supervision->participants.size(), 1u);
  EXPECT_EQ(supervision->participants[0].relation, Relation::kSupervisor);
  EXPECT_EQ(supervision->participants[0].unit_ids, std::vector<std::int64_t>{kProcuratorate});
  EXPECT_EQ(supervision->deadlines_cleared, std::vector<std::string>{"reconsideration_request"});
}

TEST_F(CriminalTransferTest, ReachingAFinalStateClearsEveryDeadline) {
  const Definition& def = Def("criminal_transfer");
  MatterSnapshot matter = Create(ChinaTime("2026-03-02T09:00"));
  auto returned = PlanAction(def, matter, "return", PoliceRecipient(),
                             json::object{{"reason", "不属于公安机关管辖"}},
                             ChinaTime("2026-03-02T10:00"), Cal());
  ASSERT_TRUE(returned.ok());
  EXPECT_EQ(returned->deadlines_cleared, std::vector<std::string>{"acceptance"});
  EXPECT_TRUE(returned->deadlines_set.empty());
}

TEST(DeadlineTest, WorkingDaysSkipTheSpringFestivalAndCountTheMakeUpSaturday) {
  const DeadlineDef& sign_for = *Def("transfer").FindDeadline("sign_for");  // 2 working days
  // Friday 13 February 2026: day 1 is Saturday 14 (worked, 调休), day 2 is
  // Tuesday 24 (15–23 are the holiday).
  auto before = ComputeDeadline(sign_for, ChinaTime("2026-02-13T10:00"), Cal());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->due_date, "2026-02-24");
  EXPECT_EQ(core::FormatIsoUtc(before->due_ms), "2026-02-24T16:00:00.000Z");
  EXPECT_FALSE(before->provisional);
  // Thursday 26 February: Friday 27, then Saturday 28 (worked).
  auto makeup = ComputeDeadline(sign_for, ChinaTime("2026-02-26T16:30"), Cal());
  EXPECT_EQ(makeup->due_date, "2026-02-28");
  // Late on a day counts from the next day all the same (the start day is not counted).
  auto late = ComputeDeadline(sign_for, ChinaTime("2026-02-26T23:59"), Cal());
  EXPECT_EQ(late->due_date, "2026-02-28");
  // Past the announced years the answer is provisional.
  auto future = ComputeDeadline(sign_for, ChinaTime("2027-12-30T10:00"), Cal());
  EXPECT_TRUE(future->provisional);
}

TEST(DeadlineTest, HoursAreCountedByTheClock) {
  const DeadlineDef& acceptance = *Def("criminal_transfer").FindDeadline("acceptance");
  auto due = ComputeDeadline(acceptance, ChinaTime("2026-02-14T18:00"), Cal());
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(core::FormatIsoUtc(due->due_ms), "2026-02-15T10:00:00.000Z");
  EXPECT_EQ(due->due_date, "2026-02-15");
}

TEST(DeadlineTest, StatusTurnsYellowWithOneWorkingDayLeftAndRedWhenPast) {
  const std::int64_t due = ChinaTime("2026-02-25T00:00");  // end of Tuesday 24 February
  EXPECT_EQ(ClassifyDeadline(due, ChinaTime("2026-02-13T10:00"), Cal()), DeadlineStatus::kOk);
  // Saturday 14 (make-up day): only the 24th follows as a working day.
  EXPECT_EQ(ClassifyDeadline(due, ChinaTime("2026-02-14T10:00"), Cal()), DeadlineStatus::kDueSoon);
  EXPECT_EQ(ClassifyDeadline(due, ChinaTime("2026-02-18T10:00"), Cal()), DeadlineStatus::kDueSoon);
  EXPECT_EQ(ClassifyDeadline(due, ChinaTime("2026-02-24T23:59"), Cal()), DeadlineStatus::kDueSoon);
  EXPECT_EQ(ClassifyDeadline(due, due, Cal()), DeadlineStatus::kOverdue);
  EXPECT_EQ(DeadlineStatusName(DeadlineStatus::kDueSoon), "due_soon");
}

TEST(NumberTest, FormatsThePerUnitPerYearSequence) {
  EXPECT_EQ(FormatNumber(Def("transfer"), "湖环", 2026, 12), "湖环移〔2026〕12号");
  EXPECT_EQ(FormatNumber(Def("criminal_transfer"), "湖环", 2026, 3), "湖环刑移〔2026〕3号");
}

// ------------------------------------------------------------------ consultation, meeting, notice

constexpr std::int64_t kCourt = 51;

TEST(ConsultationTest, PostsAreRecordedAsChangesButNeverKeptOnTheMatter) {
  const std::int64_t now = ChinaTime("2026-03-02T09:00");
  auto created = PlanCreate(Def("consultation"), Officer(),
                            json::object{{"title", "地下水污染案件定性会商"},
                                         {"description", "请各单位发表意见。"},
                                         {"invited_units", json::array{kCourt, kPolice}}},
                            now, Cal());
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_EQ(created->participants.size(), 1u);
  EXPECT_EQ(created->participants[0].unit_ids, (std::vector<std::int64_t>{kCourt, kPolice}));
  const MatterSnapshot open = Snapshot(*created, 1, now);
  const Actor judge{{"judge"}, "court", kCourt, {Relation::kRecipient}};
  auto post =
      PlanAction(Def("consultation"), open, "post", judge,
                 json::object{{"message", "建议先行委托鉴定。"}, {"message_files", json::array{9}}},
                 now, Cal());
  ASSERT_TRUE(post.ok()) << post.error().ToString();
  EXPECT_EQ(post->to_state, "open");
  EXPECT_FALSE(post->fields.contains("message"));
  EXPECT_FALSE(post->fields.contains("message_files"));
  ASSERT_EQ(post->changes.size(), 2u);
  EXPECT_EQ(post->changes[0].name, "message");
  EXPECT_TRUE(post->changes[0].before.is_null());
  EXPECT_EQ(post->changes[0].after, json::value("建议先行委托鉴定。"));
  EXPECT_EQ(post->changes[1].after, (json::value(json::array{9})));
  // A second post is again a change from nothing: none overwrites another.
  auto again = PlanAction(Def("consultation"), Apply(open, *post), "post", judge,
                          json::object{{"message", "补充意见。"}}, now, Cal());
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  ASSERT_EQ(again->changes.size(), 1u);
  EXPECT_TRUE(again->changes[0].before.is_null());
  // Inviting more units resolves the transient field into participants.
  auto invite = PlanAction(Def("consultation"), open, "invite", Owner(),
                           json::object{{"new_units", json::array{kForestry}}}, now, Cal());
  ASSERT_TRUE(invite.ok()) << invite.error().ToString();
  ASSERT_EQ(invite->participants.size(), 1u);
  EXPECT_EQ(invite->participants[0].unit_ids, std::vector<std::int64_t>{kForestry});
  auto own = PlanAction(Def("consultation"), open, "invite", Owner(),
                        json::object{{"new_units", json::array{kEcology}}}, now, Cal());
  ASSERT_FALSE(own.ok());
  EXPECT_EQ(own.error().field, "new_units");
  EXPECT_EQ(own.error().message, "不能选择本单位");
}

TEST(MeetingTest, EachActionItemOpensOneMeetingItemPerAssignedUnit) {
  const std::int64_t now = ChinaTime("2026-02-10T17:00");
  MatterSnapshot meeting;
  meeting.state = "minutes_recorded";
  meeting.version = 3;
  meeting.owner_unit_id = kCourt;
  meeting.fields = json::object{{"title", "第一季度联席会议"}};
  const Actor judge{{"judge"}, "court", kCourt, {Relation::kOwner}};
  auto plan = PlanAction(Def("meeting"), meeting, "assign_item", judge,
                         json::object{{"item_task", "制定证据收集清单"},
                                      {"item_units", json::array{kEcology, kPolice}}},
                         now, Cal());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->to_state, "minutes_recorded");
  EXPECT_FALSE(plan->fields.contains("item_task"));
  ASSERT_EQ(plan->open_matters.size(), 2u);
  EXPECT_EQ(plan->open_matters[1].kind, "meeting_item");
  EXPECT_EQ(plan->open_matters[1].fields.at("assignee"), json::value(kPolice));
  EXPECT_EQ(plan->open_matters[1].fields.at("task"), json::value("制定证据收集清单"));
  EXPECT_EQ(plan->open_matters[1].fields.at("meeting_title"), json::value("第一季度联席会议"));
  auto item = PlanCreate(Def("meeting_item"), judge, plan->open_matters[1].fields, now, Cal());
  ASSERT_TRUE(item.ok()) << item.error().ToString();
  ASSERT_EQ(item->deadlines_set.size(), 1u);
  // 15 working days: the Spring Festival skipped, both make-up Saturdays counted.
  EXPECT_EQ(item->deadlines_set[0].due_date, "2026-03-09");
}

TEST(NoticeTest, AudienceIsSelectedByUnitTypesAndRegion) {
  const std::int64_t now = ChinaTime("2026-03-02T09:00");
  const Actor clerk{{"clerk"}, "court", kCourt, {}};
  json::object input{{"title", "关于专项检查的通知"},
                     {"notice_type", "notice"},
                     {"body", "请报送台账。"},
                     {"audience_types", json::array{"court", "procuratorate"}},
                     {"audience_region", "330500"}};
  auto plan = PlanCreate(Def("notice"), clerk, input, now, Cal());
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  ASSERT_EQ(plan->participants.size(), 1u);
  const ParticipantEffect& audience = plan->participants[0];
  EXPECT_TRUE(audience.matching);
  EXPECT_EQ(audience.relation, Relation::kRecipient);
  EXPECT_EQ(audience.unit_types, (std::vector<std::string>{"court", "procuratorate"}));
  EXPECT_EQ(audience.region_code, "330500");
  // No selection: every unit.
  auto all =
      PlanCreate(Def("notice"), clerk,
                 json::object{{"title", "公告"}, {"notice_type", "announcement"}, {"body", "正文"}},
                 now, Cal());
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ(all->participants.size(), 1u);
  EXPECT_TRUE(all->participants[0].matching);
  EXPECT_TRUE(all->participants[0].unit_types.empty());
  EXPECT_TRUE(all->participants[0].region_code.empty());
}

TEST(NoticeTest, SeveralDictionaryValuesAreAListAndOneValueIsAListOfOne) {
  const Definition& notice = Def("notice");
  const FieldDef& types = *notice.FindField("audience_types");
  auto check = [&](json::value v) {
    auto r = ValidateValue(notice, types, v);
    return r.ok() ? json::serialize(*r) : "error(" + r.error().field + "): " + r.error().message;
  };
  EXPECT_EQ(check(json::array{"court", "forestry"}), R"(["court","forestry"])");
  EXPECT_EQ(check("court"), R"(["court"])");
  EXPECT_EQ(check(json::array{"court", "court"}), "error(audience_types): 发送单位类型有重复项");
  EXPECT_EQ(check(json::array{"bank"}), "error(audience_types): 发送单位类型中有不可选的值");
  EXPECT_EQ(check(7), "error(audience_types): 发送单位类型应为列表");
  // Reading keeps the state and records the note, not keeping it.
  MatterSnapshot published;
  published.state = "published";
  published.version = 1;
  const Actor reader{{"procurator"}, "procuratorate", kProcuratorate, {Relation::kRecipient}};
  auto read = PlanAction(notice, published, "read", reader, json::object{{"read_note", "已阅"}},
                         ChinaTime("2026-03-02T10:00"), Cal());
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(read->to_state, "published");
  EXPECT_TRUE(read->fields.empty());
  ASSERT_EQ(read->changes.size(), 1u);
  EXPECT_EQ(read->changes[0].name, "read_note");
}

}  // namespace
}  // namespace lvyuan::workflow
