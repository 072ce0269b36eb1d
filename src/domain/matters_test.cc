#include "domain/matters.h"

#include "domain/matters_fixture.h"

namespace lvyuan::domain {
namespace {

class MattersTest : public MattersFixture {};

TEST_F(MattersTest, CreateNumbersTheMatterKeepsTheSubjectSealedAndRecordsOneEvent) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const std::int64_t id = Ok(matters_->Create(officer, "clue", ClueFields(officer), {"", "r1"}));
  MatterView view = Ok(matters_->Get(officer, id));
  EXPECT_EQ(view.matter.number, "湖环线〔2026〕1号");
  EXPECT_EQ(view.matter.state, "registered");
  EXPECT_EQ(view.matter.title, "某化工厂夜间偷排");
  EXPECT_EQ(view.matter.region_code, "330502");
  EXPECT_EQ(view.matter.domain, "water");
  ASSERT_TRUE(view.matter.subject_id.has_value());
  const json::object& subject = view.fields.at("subject").as_object();
  EXPECT_EQ(subject.at("id_number_masked").as_string(), "330502********1231");
  EXPECT_FALSE(subject.contains("id_number"));
  EXPECT_EQ(view.relations, std::vector<std::string>{"owner"});
  EXPECT_EQ(view.files.size(), 1u);
  EXPECT_FALSE(view.allowed_actions.empty());
  ASSERT_EQ(view.deadlines.size(), 1u);
  EXPECT_EQ(view.deadlines[0].status, "ok");

  MatterTimeline timeline = Ok(matters_->Timeline(officer, id, 0, 50));
  ASSERT_EQ(timeline.events.size(), 1u);
  EXPECT_EQ(timeline.events[0].action, "matter.create");
  EXPECT_EQ(timeline.events[0].request_id, "r1");
  EXPECT_NE(timeline.events[0].files, "[]");
  EXPECT_EQ(timeline.events[0].changes.find(kIdNumber), std::string::npos);

  // The same person again is the same subject row; the second number is 2.
  const std::int64_t second = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  MatterView again = Ok(matters_->Get(officer, second));
  EXPECT_EQ(again.matter.subject_id, view.matter.subject_id);
  EXPECT_EQ(again.matter.number, "湖环线〔2026〕2号");

  db_.reset();  // close, so every byte is in the file
  EXPECT_EQ(DatabaseBytes().find(kIdNumber), std::string::npos);
}

TEST_F(MattersTest, UnitWithoutAbbreviationNumbersWithItsName) {
  const Principal& officer = User("natural_resources", "enforcement_officer");
  const std::int64_t id = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  EXPECT_EQ(Ok(matters_->Get(officer, id)).matter.number, "湖州市自然资源和规划局线〔2026〕1号");
}

TEST_F(MattersTest, CriminalTransferCopiesTheProcuratorateAndNotifiesItsProcurators) {
  const std::int64_t id = CriminalTransfer();
  const Principal& procurator = User("procuratorate", "procurator");
  MatterView view = Ok(matters_->Get(procurator, id));
  EXPECT_EQ(view.matter.kind, "criminal_transfer");
  EXPECT_EQ(view.matter.state, "sent");
  EXPECT_EQ(view.matter.number, "湖环刑移〔2026〕1号");
  EXPECT_EQ(view.relations, std::vector<std::string>{"copied"});
  std::map<std::string, std::string> relations;
  for (const auto& p : view.participants) relations[p.unit_name] = p.relation;
  EXPECT_EQ(relations["湖州市生态环境局"], "owner");
  EXPECT_EQ(relations["湖州市公安局"], "recipient");
  EXPECT_EQ(relations["湖州市人民检察院"], "copied");
  // The subject carried over is the same row, still masked.
  EXPECT_EQ(view.fields.at("subject").at("id_number_masked").as_string(), "330502********1231");

  const Principal& police = User("public_security", "police_officer");
  auto inbox = Ok(matters_->ListNotifications(police, false, 0, 50));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].title, "收到涉嫌犯罪案件移送");
  EXPECT_EQ(inbox[0].matter_id, id);
  EXPECT_EQ(Ok(matters_->UnreadCount(police)), 1);
  ASSERT_TRUE(matters_->MarkRead(police, inbox[0].id).ok());
  EXPECT_EQ(Ok(matters_->UnreadCount(police)), 0);
  EXPECT_EQ(matters_->MarkRead(procurator, inbox[0].id).error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(Ok(matters_->ListNotifications(procurator, false, 0, 50)).size(), 1u);
  // The copy goes to procurators only: the court's and other units' users hear nothing.
  EXPECT_TRUE(Ok(matters_->ListNotifications(User("court", "judge"), false, 0, 50)).empty());

  Ok(matters_->Act(police, id, "accept", json::object{}, 1, {}));
  Ok(matters_->Act(police, id, "decline", json::object{{"reason", "证据不足，不构成犯罪"}}, 2, {}));
  Ok(matters_->Act(procurator, id, "open_supervision",
                   json::object{{"supervision_opinion", "应当立案"}}, 3, {}));
  view = Ok(matters_->Get(procurator, id));
  EXPECT_EQ(view.matter.state, "under_supervision");
  EXPECT_EQ(view.relations, (std::vector<std::string>{"copied", "supervisor"}));
}

TEST_F(MattersTest, NotificationsReachOnlyTheUsersWhoReadMatters) {
  // The police's unit administrator manages its users; matters are not theirs
  // to read (三员分立), so they hear nothing of the transfer.
  std::int64_t admin_id = 0;
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                   store::UserRecord user;
                   user.username = "public_security.unit_admin";
                   user.display_name = user.username;
                   user.unit_id = units_["public_security"];
                   user.password_hash = "x";
                   user.created_at = user.updated_at = user.password_changed_at = kNow;
                   admin_id = TRY(store::InsertUser(conn, user));
                   return store::SetUserRoles(conn, admin_id, {"unit_admin"});
                 })
                  .ok());
  const std::int64_t id = CriminalTransfer();
  const Principal admin = PrincipalOf(admin_id, "public_security.unit_admin",
                                      units_["public_security"], "public_security", "unit_admin");
  EXPECT_TRUE(Ok(matters_->ListNotifications(admin, false, 0, 50)).empty());
  const Principal& police = User("public_security", "police_officer");
  auto inbox = Ok(matters_->ListNotifications(police, false, 0, 50));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].matter_id, id);
}

TEST_F(MattersTest, AnOfficerWithoutAValidCertificateCannotActButOthersStill) {
  clock_.Set(workflow::testing::ChinaTime("2026-03-02T09:00"));
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const std::int64_t clue = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  MatterView view = Ok(matters_->Get(officer, clue));
  EXPECT_TRUE(view.acting_notice.empty());
  ASSERT_FALSE(view.allowed_actions.empty());
  const std::size_t todos = Ok(matters_->Todos(officer, {})).items.size();
  ASSERT_GT(todos, 0u);

  // The certificate ran out on the last day of February.
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                   auto user = TRY(store::FindUser(conn, officer.user_id));
                   user->certificate->valid_to = "2026-02-28";
                   return store::UpdateUser(conn, *user);
                 })
                  .ok());
  view = Ok(matters_->Get(officer, clue));
  EXPECT_TRUE(view.allowed_actions.empty());
  EXPECT_NE(view.acting_notice.find("已于 2026-02-28 到期"), std::string::npos)
      << view.acting_notice;
  TodoList lapsed = Ok(matters_->Todos(officer, {}));
  EXPECT_TRUE(lapsed.items.empty());
  EXPECT_EQ(lapsed.acting_notice, view.acting_notice);
  auto refused = matters_->Act(officer, clue, "handle", json::object{}, 1, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().message, view.acting_notice);
  auto create = matters_->Create(officer, "clue", ClueFields(officer), {});
  ASSERT_FALSE(create.ok());
  EXPECT_EQ(create.error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(create.error().message, view.acting_notice);
  // Nothing changed; the unit's leader still acts.
  EXPECT_EQ(Ok(matters_->Get(officer, clue)).matter.version, 1);
  const Principal& leader = User("ecology_environment", "unit_leader");
  EXPECT_TRUE(Ok(matters_->Get(leader, clue)).acting_notice.empty());

  // A certificate not yet in force, and none at all, are refused the same way.
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                   auto user = TRY(store::FindUser(conn, officer.user_id));
                   user->certificate->valid_from = "2026-03-03";
                   user->certificate->valid_to = "2031-12-31";
                   return store::UpdateUser(conn, *user);
                 })
                  .ok());
  EXPECT_NE(Ok(matters_->Get(officer, clue)).acting_notice.find("自 2026-03-03 起生效"),
            std::string::npos);
  clock_.Advance(24 * 3'600'000LL);  // 2026-03-03: in force
  EXPECT_TRUE(Ok(matters_->Get(officer, clue)).acting_notice.empty());
  EXPECT_EQ(Ok(matters_->Act(officer, clue, "handle", json::object{}, 1, {})), 2);
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) -> core::Status {
                   auto user = TRY(store::FindUser(conn, officer.user_id));
                   user->certificate.reset();
                   return store::UpdateUser(conn, *user);
                 })
                  .ok());
  EXPECT_NE(Ok(matters_->Get(officer, clue)).acting_notice.find("未登记执法证"), std::string::npos);
}

TEST_F(MattersTest, NonParticipantGetsNotFoundAsForAMissingId) {
  const std::int64_t id = CriminalTransfer();
  const Principal& judge = User("court", "judge");
  auto hidden = matters_->Get(judge, id);
  auto missing = matters_->Get(judge, id + 1000);
  ASSERT_FALSE(hidden.ok());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, missing.error().message);
  EXPECT_EQ(matters_->Act(judge, id, "accept", json::object{}, 1, {}).error().code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(matters_->Timeline(judge, id, 0, 10).error().code, core::ErrorCode::kNotFound);
  EXPECT_TRUE(Ok(matters_->List(judge, {})).items.empty());
  // The owner may not take the police's action: 403, not 404.
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  EXPECT_EQ(matters_->Act(officer, id, "accept", json::object{}, 1, {}).error().code,
            core::ErrorCode::kPermissionDenied);
}

TEST_F(MattersTest, ActingOnAStaleVersionIsAborted) {
  const std::int64_t id = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const Principal& leader = User("public_security", "unit_leader");
  EXPECT_EQ(Ok(matters_->Act(police, id, "accept", json::object{}, 1, {})), 2);
  auto stale = matters_->Act(leader, id, "accept", json::object{}, 1, {});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, core::ErrorCode::kAborted);
  EXPECT_EQ(stale.error().message, "事项已被他人修改，请刷新后重试");
}

TEST_F(MattersTest, ListShowsTheUnitsMattersWithCountsAndScopeAllSeesEveryUnits) {
  CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  MatterList list = Ok(matters_->List(police, {}));
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0].kind, "criminal_transfer");
  EXPECT_EQ(list.counts["sent"], 1);
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  MatterListFilter only_clues;
  only_clues.kind = "clue";
  EXPECT_EQ(Ok(matters_->List(officer, only_clues)).items.size(), 1u);
  MatterListFilter paged;
  paged.limit = 1;
  MatterList first = Ok(matters_->List(officer, paged));
  ASSERT_TRUE(first.next.has_value());
  paged.after = first.next;
  MatterList second = Ok(matters_->List(officer, paged));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_NE(second.items[0].id, first.items[0].id);
  MatterListFilter too_many;
  too_many.limit = 101;
  EXPECT_EQ(matters_->List(officer, too_many).error().field, "limit");

  Principal analyst = PrincipalOf(0, "hz_analyst", 0, "", "analyst");
  analyst.user_id = 999;
  EXPECT_EQ(Ok(matters_->List(analyst, {})).items.size(), 2u);
  Principal auditor;
  auditor.user_id = 998;
  auditor.unit_id = units_["court"];
  auditor.permissions = {"audit:event:list"};
  EXPECT_EQ(matters_->List(auditor, {}).error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(MattersTest, BadInputNamesTheField) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  EXPECT_EQ(matters_->Create(officer, "nope", json::object{}, {}).error().field, "kind");
  json::object fields = ClueFields(officer);
  fields["subject"] =
      json::object{{"kind", "person"}, {"id_number", "330502198001011230"}, {"name", "张三"}};
  EXPECT_EQ(matters_->Create(officer, "clue", fields, {}).error().field, "subject");
  fields = ClueFields(officer);
  fields["attachments"] = json::array{EvidenceOf(User("court", "judge"))};
  auto foreign = matters_->Create(officer, "clue", fields, {});
  EXPECT_EQ(foreign.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(foreign.error().field, "attachments");
  const std::int64_t clue = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  auto unknown_unit = matters_->Act(
      officer, clue, "transfer_criminal",
      json::object{{"police_unit", 424242}, {"suspected_offence", "污染环境罪"}}, 1, {});
  EXPECT_EQ(unknown_unit.error().field, "police_unit");
}

// ------------------------------------------------------------------ authorization table

// A valid value for a field, for a form filled by `who`.
json::value SampleValue(const workflow::FieldDef& field, const Principal& who,
                        const std::map<std::string, std::int64_t>& units,
                        const std::function<std::int64_t()>& evidence) {
  using workflow::FieldType;
  switch (field.type) {
    case FieldType::kText:
      return json::value("测试内容");
    case FieldType::kRichText:
      return json::value("测试说明：事实与理由");
    case FieldType::kNumber:
      return json::value(field.min ? static_cast<std::int64_t>(*field.min) : 1);
    case FieldType::kMoney:
      return json::value(100);
    case FieldType::kDate:
      return json::value("2026-05-01");
    case FieldType::kDateTime:
      return json::value("2026-05-01T08:00:00.000Z");
    case FieldType::kEnum:
      return json::value(field.items.front().value);
    case FieldType::kRegion:
      return json::value("330500");  // 湖州市, where the units are: a region selector finds them
    case FieldType::kSubject:
      return json::object{{"kind", "company"}, {"credit_code", kCreditCode}, {"name", "某化工厂"}};
    case FieldType::kUnit:
    case FieldType::kUnits: {
      std::int64_t unit = field.name.find("police") != std::string::npos
                              ? units.at("public_security")
                              : units.at("court");
      if (unit == who.unit_id) unit = units.at("natural_resources");
      if (field.type == FieldType::kUnit) return json::value(unit);
      return json::array{unit};
    }
    case FieldType::kFiles:
      return json::array{evidence()};
    case FieldType::kGeoPoint:
      return json::object{{"lat", 30.5}, {"lng", 120.1}};
  }
  return nullptr;
}

TEST_F(MattersTest, EveryActionOfEveryKindAdmitsItsActorsAndRefusesOtherParticipants) {
  const Shipped& shipped = Shipped::Get();
  std::vector<std::string> roles;
  for (const Role& role : catalog_->roles()) {
    if (role.admin_class == AdminClass::kNone && role.code != "unit_admin") {
      roles.push_back(role.code);
    }
  }
  int admitted = 0;
  int refused = 0;

  auto relations_of = [&](std::int64_t matter, std::int64_t unit) {
    std::vector<workflow::Relation> out;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     for (const auto& name : TRY(store::RelationsOf(conn, matter, unit))) {
                       if (auto r = workflow::ParseRelation(name)) out.push_back(*r);
                     }
                     return core::Ok();
                   })
                    .ok());
    return out;
  };
  auto input_for = [&](const workflow::Definition& def, const workflow::ActionDef& form,
                       const Principal& who) {
    json::object input;
    for (const std::string& name : form.fields) {
      const workflow::FieldDef& field = *def.FindField(name);
      const bool is_units =
          field.type == workflow::FieldType::kUnit || field.type == workflow::FieldType::kUnits;
      const bool required =
          std::find(form.required.begin(), form.required.end(), name) != form.required.end();
      if (is_units && !required) continue;  // an optional copy could clash with the recipient
      input[name] = SampleValue(field, who, units_, [&] { return EvidenceOf(who); });
    }
    return input;
  };
  // The first user admitted by the action on the matter (nullptr: none).
  auto admitted_user = [&](const workflow::ActionDef& action,
                           std::int64_t matter) -> const Principal* {
    for (const Principal& p : users_) {
      workflow::Actor actor{
          p.roles, p.unit_type, p.unit_id,
          matter ? relations_of(matter, p.unit_id) : std::vector<workflow::Relation>{}};
      if (workflow::MayAct(action, actor)) return &p;
    }
    return nullptr;
  };

  for (const workflow::Definition& def : shipped.registry.definitions()) {
    const Principal* creator = admitted_user(def.create, 0);
    ASSERT_NE(creator, nullptr) << def.kind;
    // Shortest action path from the initial state to every state.
    std::map<std::string, std::vector<const workflow::ActionDef*>> paths;
    paths[def.initial_state().name] = {};
    std::deque<std::string> queue = {def.initial_state().name};
    while (!queue.empty()) {
      const std::string state = queue.front();
      queue.pop_front();
      for (const workflow::ActionDef& a : def.actions) {
        if (std::find(a.from.begin(), a.from.end(), state) == a.from.end()) continue;
        const std::string to = a.to.empty() ? state : a.to;
        if (paths.contains(to)) continue;
        paths[to] = paths[state];
        paths[to].push_back(&a);
        queue.push_back(to);
      }
    }

    for (const workflow::ActionDef& action : def.actions) {
      SCOPED_TRACE(def.kind + "." + action.name);
      const std::vector<const workflow::ActionDef*>* path = nullptr;
      for (const std::string& from : action.from) {
        if (paths.contains(from) && (!path || paths[from].size() < path->size())) {
          path = &paths[from];
        }
      }
      ASSERT_NE(path, nullptr);
      const std::int64_t id =
          Ok(matters_->Create(*creator, def.kind, input_for(def, def.create, *creator), {}));
      std::int64_t version = 1;
      for (const workflow::ActionDef* step : *path) {
        const Principal* actor = admitted_user(*step, id);
        ASSERT_NE(actor, nullptr) << "step " << step->name;
        version =
            Ok(matters_->Act(*actor, id, step->name, input_for(def, *step, *actor), version, {}));
      }
      // Every participant whose role the action's rules do not admit: 403.
      std::set<std::int64_t> participants;
      for (const auto& p : Ok(matters_->Get(*creator, id)).participants) {
        participants.insert(p.unit_id);
      }
      for (std::int64_t unit : participants) {
        for (const std::string& role : roles) {
          Principal probe = PrincipalOf(900000, "probe", unit, unit_types_[unit], role);
          workflow::Actor actor{probe.roles, probe.unit_type, unit, relations_of(id, unit)};
          if (workflow::MayAct(action, actor)) continue;
          auto denied = matters_->Act(probe, id, action.name, json::object{}, version, {});
          ASSERT_FALSE(denied.ok()) << role << " in " << unit_types_[unit];
          EXPECT_EQ(denied.error().code, core::ErrorCode::kPermissionDenied)
              << role << " in " << unit_types_[unit] << ": " << denied.error().ToString();
          ++refused;
        }
      }
      const Principal* actor = admitted_user(action, id);
      ASSERT_NE(actor, nullptr);
      auto done =
          matters_->Act(*actor, id, action.name, input_for(def, action, *actor), version, {});
      ASSERT_TRUE(done.ok()) << actor->username << ": " << done.error().ToString();
      ++admitted;
    }
  }
  EXPECT_GT(admitted, 20);
  EXPECT_GT(refused, admitted);
}

std::vector<std::int64_t> TodoIds(const TodoList& list) {
  std::vector<std::int64_t> ids;
  for (const TodoItem& item : list.items) ids.push_back(item.matter.id);
  return ids;
}

TEST_F(MattersTest, TodosListWhatTheCallerMayActOnWithTheNextDeadline) {
  clock_.Set(workflow::testing::ChinaTime("2026-03-02T09:00"));  // a Monday
  const std::int64_t id = CriminalTransfer();
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const Principal& police = User("public_security", "police_officer");
  const Principal& procurator = User("procuratorate", "procurator");
  const Principal& judge = User("court", "judge");

  // The police must accept or return it within 24 hours (by Tuesday 09:00).
  TodoList todos = Ok(matters_->Todos(police, {}));
  ASSERT_EQ(TodoIds(todos), std::vector<std::int64_t>{id});
  EXPECT_EQ(todos.items[0].actions, (std::vector<std::string>{"accept", "return"}));
  ASSERT_TRUE(todos.items[0].next_deadline.has_value());
  EXPECT_EQ(todos.items[0].next_deadline->deadline.name, "acceptance");
  EXPECT_EQ(todos.items[0].next_deadline->label_zh, "接受移送期限");
  EXPECT_EQ(todos.items[0].next_deadline->status, "due_soon");
  EXPECT_EQ(todos.counts.total, 1);
  EXPECT_EQ(todos.counts.due_soon, 1);
  EXPECT_EQ(todos.counts.overdue, 0);
  // The procuratorate is copied but has nothing to do until the police accept;
  // the agency's own criminal transfer awaits the police, not the agency (its
  // clue, transferred, may be closed); the court takes no part.
  EXPECT_TRUE(Ok(matters_->Todos(procurator, {})).items.empty());
  for (const TodoItem& item : Ok(matters_->Todos(officer, {})).items) {
    EXPECT_NE(item.matter.id, id);
  }
  EXPECT_TRUE(Ok(matters_->Todos(judge, {})).items.empty());

  // Accepted: the decision is due by the end of Thursday, three working days on.
  Ok(matters_->Act(police, id, "accept", json::object{}, 1, {}));
  EXPECT_EQ(TodoIds(Ok(matters_->Todos(procurator, {}))), std::vector<std::int64_t>{id});
  todos = Ok(matters_->Todos(police, {}));
  ASSERT_EQ(TodoIds(todos), std::vector<std::int64_t>{id});
  EXPECT_EQ(todos.items[0].actions, (std::vector<std::string>{"file_case", "decline"}));
  EXPECT_EQ(todos.items[0].next_deadline->deadline.name, "filing_decision");
  EXPECT_EQ(todos.items[0].next_deadline->status, "ok");
  EXPECT_EQ(todos.counts.due_soon, 0);

  // A week later it is overdue.
  clock_.Advance(7 * 24 * 3'600'000LL);
  todos = Ok(matters_->Todos(police, {}));
  EXPECT_EQ(todos.items.at(0).next_deadline->status, "overdue");
  EXPECT_EQ(todos.counts.overdue, 1);
  Ok(matters_->Act(police, id, "file_case", json::object{{"filing_number", "湖公立字〔2026〕8号"}},
                   2, {}));
  // Filed: the agency hands over the materials; the police have nothing left.
  EXPECT_TRUE(Ok(matters_->Todos(police, {})).items.empty());
  bool handover = false;
  for (const TodoItem& item : Ok(matters_->Todos(officer, {})).items) {
    if (item.matter.id == id) {
      handover = true;
      EXPECT_EQ(item.actions, std::vector<std::string>{"hand_over_materials"});
    }
  }
  EXPECT_TRUE(handover);

  // The administrators have no to-dos; bad limits name the field.
  Principal admin = PrincipalOf(0, "sysadmin", 0, "", "system_admin");
  EXPECT_EQ(matters_->Todos(admin, {}).error().code, core::ErrorCode::kPermissionDenied);
  EXPECT_EQ(matters_->Todos(police, {.after = std::nullopt, .limit = 0}).error().field, "limit");
}

TEST_F(MattersTest, TodosPageOverdueFirstAndMattersWithoutDeadlinesLast) {
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  // Three clues, each with its first-handling deadline; the second handled
  // (no deadline then, but still to be closed or transferred).
  const std::int64_t first = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  clock_.Advance(3'600'000);
  const std::int64_t second = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  clock_.Advance(3'600'000);
  const std::int64_t third = Ok(matters_->Create(officer, "clue", ClueFields(officer), {}));
  Ok(matters_->Act(officer, second, "handle", json::object{}, 1, {}));

  std::vector<std::int64_t> seen;
  TodoQuery query{.after = std::nullopt, .limit = 2};
  for (int page = 0; page < 5; ++page) {
    TodoList list = Ok(matters_->Todos(officer, query));
    EXPECT_EQ(list.counts.total, 3);
    for (std::int64_t id : TodoIds(list)) seen.push_back(id);
    if (!list.next) break;
    query.after = list.next;
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{first, third, second}));
}

TEST_F(MattersTest, NotificationsArePublishedToTheNotifierOnCommit) {
  auto notifier = store::MakeNotifier(*db_, {.url = (dir_ / "lvyuan.db").string()});
  matters_->UseNotifier(*notifier);
  std::vector<NotificationMessage> heard;
  auto subscription = notifier->Subscribe(std::string(kNotificationsChannel),
                                          [&](const store::Notification& message) {
                                            auto parsed = ParseNotificationPayload(message.payload);
                                            ASSERT_TRUE(parsed.has_value()) << message.payload;
                                            heard.push_back(std::move(*parsed));
                                          });
  const std::int64_t id = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const Principal& procurator = User("procuratorate", "procurator");
  std::map<std::int64_t, std::vector<NotificationMessage>> by_user;
  for (const NotificationMessage& m : heard) by_user[m.user_id].push_back(m);
  ASSERT_EQ(by_user[police.user_id].size(), 1u);
  const NotificationMessage& told = by_user[police.user_id][0];
  EXPECT_EQ(told.kind, "matter.create");
  EXPECT_EQ(told.title, "收到涉嫌犯罪案件移送");
  EXPECT_EQ(told.matter_id, id);
  // Every message is a stored row of that user.
  auto inbox = Ok(matters_->ListNotifications(police, false, 0, 10));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].id, told.id);
  EXPECT_EQ(by_user[procurator.user_id].size(), 1u);
  std::size_t stored = 0;
  for (const Principal& p : users_)
    stored += Ok(matters_->ListNotifications(p, false, 0, 50)).size();
  EXPECT_EQ(heard.size(), stored);

  // A failed action publishes nothing.
  heard.clear();
  EXPECT_FALSE(matters_->Act(police, id, "accept", json::object{}, 7, {}).ok());
  EXPECT_TRUE(heard.empty());
  EXPECT_FALSE(ParseNotificationPayload("{\"user_id\":1}").has_value());
  EXPECT_FALSE(ParseNotificationPayload("not json").has_value());
}

}  // namespace
}  // namespace lvyuan::domain
