// The matter tables (matters.h) on the migrated schema of each backend:
// SQLite always, PostgreSQL when LVYUAN_TEST_PG_URL is set.
#include "store/matters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/accounts.h"
#include "store/database.h"
#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::ErrorCode;
using core::Ok;
using testing::CodeOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::IsOk;
using ::testing::Pair;

class MattersTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scratch_.emplace(GetParam());
    ASSERT_TRUE(IsOk(scratch_->status()));
    auto opened = Open({.url = scratch_->url()});
    ASSERT_TRUE(IsOk(opened));
    db_ = std::move(opened).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    ASSERT_TRUE(IsOk(db_->Write([this](Conn& conn) -> Status {
      for (const char* name : {"湖州市生态环境局", "湖州市公安局", "湖州市人民检察院"}) {
        UnitRecord unit{.name = name, .type = "agency", .region_code = "330500"};
        unit.created_at = unit.updated_at = 1000;
        units_.push_back(TRY(InsertUnit(conn, unit)));
      }
      UserRecord user;
      user.username = "yang.zhifa";
      user.display_name = "杨执法";
      user.unit_id = units_[0];
      user.password_hash = "$argon2id$stub";
      user.password_changed_at = 1000;
      user.created_at = user.updated_at = 1000;
      user_ = TRY(InsertUser(conn, user));
      return Ok();
    })));
  }
  void TearDown() override { db_.reset(); }

  MatterRecord NewMatter(std::string kind, std::string number, std::int64_t at) {
    MatterRecord m;
    m.kind = std::move(kind);
    m.number = std::move(number);
    m.title = "长兴县某化工企业偷排废水";
    m.state = "registered";
    m.owner_unit_id = units_[0];
    m.region_code = "330522";
    m.domain = "water";
    m.fields = R"({"source":"complaint"})";
    m.created_by = user_;
    m.created_at = m.updated_at = at;
    return m;
  }

  // Inserts a matter owned by units_[0] and returns its id.
  std::int64_t Make(const std::string& kind, const std::string& number, std::int64_t at) {
    std::int64_t id = 0;
    EXPECT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
      id = TRY(InsertMatter(conn, NewMatter(kind, number, at)));
      TRY(AddParticipant(
          conn, {.matter_id = id, .unit_id = units_[0], .relation = "owner", .added_at = at}));
      return Ok();
    })));
    return id;
  }

  MatterPage List(const MatterFilter& filter) {
    MatterPage page;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      page = TRY(ListMatters(conn, filter));
      return Ok();
    })));
    return page;
  }

  std::vector<std::int64_t> Ids(const MatterPage& page) {
    std::vector<std::int64_t> ids;
    for (const auto& m : page.items) ids.push_back(m.id);
    return ids;
  }

  std::optional<testing::TestDatabase> scratch_;
  std::unique_ptr<Database> db_;
  std::vector<std::int64_t> units_;
  std::int64_t user_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, MattersTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

TEST_P(MattersTest, NumbersCountPerUnitKindAndYear) {
  std::vector<std::int64_t> got;
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    got.push_back(TRY(AllocateMatterNumber(conn, units_[0], "transfer", 2026)));
    got.push_back(TRY(AllocateMatterNumber(conn, units_[0], "transfer", 2026)));
    got.push_back(TRY(AllocateMatterNumber(conn, units_[0], "clue", 2026)));
    got.push_back(TRY(AllocateMatterNumber(conn, units_[1], "transfer", 2026)));
    got.push_back(TRY(AllocateMatterNumber(conn, units_[0], "transfer", 2027)));
    got.push_back(TRY(AllocateMatterNumber(conn, units_[0], "transfer", 2026)));
    return Ok();
  })));
  EXPECT_THAT(got, ElementsAre(1, 2, 1, 1, 1, 3));
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    EXPECT_EQ(TRY(UnitAbbreviation(conn, units_[0])), "");
    EXPECT_TRUE(TRY(SetUnitAbbreviation(conn, units_[0], "湖环")));
    EXPECT_FALSE(TRY(SetUnitAbbreviation(conn, units_[2] + 100, "无")));
    EXPECT_EQ(TRY(UnitAbbreviation(conn, units_[0])), "湖环");
    return Ok();
  })));
}

TEST_P(MattersTest, UpdateNeedsTheCurrentVersionAndKeepsVisibilityInStep) {
  const std::int64_t id = Make("clue", "湖环线〔2026〕1号", 2000);
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    auto found = TRY(FindMatter(conn, id));
    EXPECT_TRUE(found.has_value());
    if (!found) return Ok();
    EXPECT_EQ(found->number, "湖环线〔2026〕1号");
    EXPECT_EQ(found->fields, R"({"source":"complaint"})");
    EXPECT_EQ(found->version, 1);
    MatterRecord changed = *found;
    changed.state = "transferred";
    changed.updated_at = 3000;
    EXPECT_TRUE(TRY(UpdateMatter(conn, changed, 1)));
    EXPECT_FALSE(TRY(UpdateMatter(conn, changed, 1))) << "a stale version must not write";
    changed.id = id + 1000;
    EXPECT_FALSE(TRY(UpdateMatter(conn, changed, 2))) << "no such matter";
    auto after = TRY(FindMatter(conn, id));
    EXPECT_EQ(after->state, "transferred");
    EXPECT_EQ(after->version, 2);
    return Ok();
  })));
  MatterPage page = List({.visible_to_unit = units_[0], .states = {"transferred"}});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].updated_at, 3000);
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .states = {"registered"}})), IsEmpty());
}

TEST_P(MattersTest, NumberIsUniquePerUnitAndKind) {
  Make("clue", "湖环线〔2026〕1号", 2000);
  Status again = db_->Write([&](Conn& conn) -> Status {
    TRY(InsertMatter(conn, NewMatter("clue", "湖环线〔2026〕1号", 2100)));
    return Ok();
  });
  EXPECT_EQ(CodeOf(again), ErrorCode::kAlreadyExists);
  Make("transfer", "湖环线〔2026〕1号", 2200);  // another kind may reuse the text
}

TEST_P(MattersTest, OnlyParticipatingUnitsSeeAMatter) {
  const std::int64_t id = Make("criminal_transfer", "湖环刑移〔2026〕1号", 2000);
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0]})), ElementsAre(id));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[1]})), IsEmpty());
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    EXPECT_TRUE(TRY(AddParticipant(
        conn, {.matter_id = id, .unit_id = units_[1], .relation = "recipient", .added_at = 2100})));
    EXPECT_FALSE(TRY(AddParticipant(
        conn, {.matter_id = id, .unit_id = units_[1], .relation = "recipient", .added_at = 2200})));
    TRY(AddParticipant(
        conn, {.matter_id = id, .unit_id = units_[2], .relation = "copied", .added_at = 2100}));
    TRY(AddParticipant(
        conn, {.matter_id = id, .unit_id = units_[2], .relation = "supervisor", .added_at = 2300}));
    EXPECT_THAT(TRY(RelationsOf(conn, id, units_[2])), ElementsAre("copied", "supervisor"));
    EXPECT_TRUE(TRY(IsVisibleTo(conn, id, units_[1])));
    return Ok();
  })));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[1]})), ElementsAre(id));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[2]})), ElementsAre(id));

  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    EXPECT_TRUE(TRY(RemoveParticipant(conn, id, units_[2], "copied")));
    EXPECT_TRUE(TRY(IsVisibleTo(conn, id, units_[2]))) << "still the supervisor";
    EXPECT_TRUE(TRY(RemoveParticipant(conn, id, units_[2], "supervisor")));
    EXPECT_FALSE(TRY(IsVisibleTo(conn, id, units_[2])));
    EXPECT_FALSE(TRY(RemoveParticipant(conn, id, units_[2], "supervisor")));
    auto all = TRY(ListParticipants(conn, id));
    EXPECT_EQ(all.size(), 2u);
    return Ok();
  })));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[2]})), IsEmpty());
  EXPECT_THAT(Ids(List({})), ElementsAre(id)) << "no unit: every matter";
}

TEST_P(MattersTest, ListsFilterAndPageNewestChangeFirst) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 25; ++i) {
    // Two matters share each time, so the cursor must break ties by id.
    ids.push_back(Make(i % 2 == 0 ? "clue" : "transfer",
                       "湖环〔2026〕" + std::to_string(i + 1) + "号", 1000 + (i / 2) * 10));
  }
  std::vector<std::int64_t> seen;
  MatterFilter filter{.visible_to_unit = units_[0], .limit = 10};
  for (int pages = 0; pages < 5; ++pages) {
    MatterPage page = List(filter);
    for (auto id : Ids(page)) seen.push_back(id);
    if (!page.next) break;
    filter.after = page.next;
  }
  std::vector<std::int64_t> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);

  MatterPage clues = List({.visible_to_unit = units_[0], .kind = "clue", .limit = 50});
  EXPECT_EQ(clues.items.size(), 13u);
  EXPECT_FALSE(clues.next.has_value());
  EXPECT_EQ(List({.visible_to_unit = units_[0], .region_prefix = "3305"}).items.size(), 20u);
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .region_prefix = "3306"})), IsEmpty());
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .domain = "air"})), IsEmpty());
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .created_from = 1120, .created_to = 1121})),
              ElementsAre(ids[24]));

  std::map<std::string, std::int64_t> counts;
  ASSERT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
    counts = TRY(CountMattersByState(conn, {.visible_to_unit = units_[0],
                                            .kind = "transfer",
                                            .states = {"ignored by counts"}}))
                 .by_state;
    return Ok();
  })));
  EXPECT_THAT(counts, ElementsAre(Pair("registered", 12)));
}

TEST_P(MattersTest, DeadlinesSetTheNextDueTimeAndTheOverdueFilter) {
  const std::int64_t id = Make("transfer", "湖环移〔2026〕1号", 1000);
  const std::int64_t other = Make("transfer", "湖环移〔2026〕2号", 1000);
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    TRY(SetDeadline(conn, {.matter_id = id,
                           .name = "sign_for",
                           .started_at = 1000,
                           .due_at = 5000,
                           .limit_name = "transfer.sign_for"}));
    TRY(SetDeadline(conn, {.matter_id = id,
                           .name = "feedback",
                           .started_at = 1000,
                           .due_at = 9000,
                           .limit_name = "transfer.feedback"}));
    TRY(SetDeadline(conn,
                    {.matter_id = other, .name = "sign_for", .started_at = 1000, .due_at = 20000}));
    EXPECT_EQ(TRY(FindMatter(conn, id))->next_deadline_at, 5000);
    return Ok();
  })));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .overdue_at = 6000})), ElementsAre(id));

  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    auto due = TRY(OpenDeadlinesDue(conn, 10000, 2, 10));
    EXPECT_EQ(due.size(), 2u);
    EXPECT_TRUE(TRY(RaiseDeadlineLevel(conn, id, "sign_for", 2)));
    EXPECT_FALSE(TRY(RaiseDeadlineLevel(conn, id, "sign_for", 1)));
    EXPECT_EQ(TRY(OpenDeadlinesDue(conn, 10000, 2, 10)).size(), 1u);
    EXPECT_TRUE(TRY(ClearDeadline(conn, id, "sign_for", 4000)));
    EXPECT_FALSE(TRY(ClearDeadline(conn, id, "sign_for", 4100)));
    EXPECT_EQ(TRY(FindMatter(conn, id))->next_deadline_at, 9000);
    auto all = TRY(ListDeadlines(conn, id));
    EXPECT_EQ(all.size(), 2u);
    if (all.size() == 2) {
      EXPECT_EQ(all[0].name, "feedback");
      EXPECT_EQ(all[1].cleared_at, 4000);
    }
    TRY(ClearDeadline(conn, id, "feedback", 4200));
    EXPECT_FALSE(TRY(FindMatter(conn, id))->next_deadline_at.has_value());
    return Ok();
  })));
  EXPECT_THAT(Ids(List({.visible_to_unit = units_[0], .overdue_at = 6000})), IsEmpty());
}

TEST_P(MattersTest, SubjectsAreStoredOnce) {
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    const auto a = TRY(FindOrInsertCompany(conn, "91330500MA2B3C4D5E", "某化工有限公司", 1000));
    const auto b = TRY(FindOrInsertCompany(conn, "91330500MA2B3C4D5E", "另一个名字", 2000));
    EXPECT_EQ(a, b);
    const auto p =
        TRY(FindOrInsertPerson(conn, "idx1", "sf1.sealed", "330***********123X", "张三", 1000));
    EXPECT_EQ(
        TRY(FindOrInsertPerson(conn, "idx1", "sf1.other", "330***********123X", "张三", 2000)), p);
    EXPECT_NE(p, a);
    auto company = TRY(FindSubject(conn, a));
    EXPECT_EQ(company->name, "某化工有限公司");
    EXPECT_EQ(company->kind, "company");
    auto person = TRY(FindSubject(conn, p));
    EXPECT_EQ(person->id_number_sealed, "sf1.sealed");
    EXPECT_FALSE(person->credit_code.has_value());
    return Ok();
  })));
}

TEST_P(MattersTest, LinksAndFilesNeedRealRows) {
  const std::int64_t clue = Make("clue", "湖环线〔2026〕1号", 1000);
  const std::int64_t transfer = Make("transfer", "湖环移〔2026〕1号", 1100);
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    EXPECT_TRUE(TRY(AddLink(conn, {.from_matter_id = clue,
                                   .to_matter_id = transfer,
                                   .relation = "transferred_as",
                                   .created_at = 1100})));
    EXPECT_FALSE(TRY(AddLink(conn, {.from_matter_id = clue,
                                    .to_matter_id = transfer,
                                    .relation = "transferred_as",
                                    .created_at = 1200})));
    auto links = TRY(ListLinks(conn, transfer));
    EXPECT_EQ(links.size(), 1u);
    return Ok();
  })));
  Status missing = db_->Write([&](Conn& conn) -> Status {
    TRY(AttachFile(conn, clue, 999, "attachments", 1200));
    return Ok();
  });
  EXPECT_EQ(CodeOf(missing), ErrorCode::kFailedPrecondition) << "no such evidence row";
}

TEST_P(MattersTest, NotificationsAreEachUsersOwn) {
  std::int64_t first = 0;
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    first = TRY(InsertNotification(
        conn,
        {.user_id = user_, .kind = "transfer.received", .title = "收到移送", .created_at = 1}));
    TRY(InsertNotification(
        conn,
        {.user_id = user_, .kind = "deadline.due_soon", .title = "即将到期", .created_at = 2}));
    EXPECT_EQ(TRY(CountUnreadNotifications(conn, user_)), 2);
    EXPECT_FALSE(TRY(MarkNotificationRead(conn, user_ + 1, first, 3))) << "another user's";
    EXPECT_TRUE(TRY(MarkNotificationRead(conn, user_, first, 3)));
    EXPECT_FALSE(TRY(MarkNotificationRead(conn, user_, first, 4))) << "read already";
    EXPECT_EQ(TRY(CountUnreadNotifications(conn, user_)), 1);
    auto unread = TRY(ListNotifications(conn, user_, true, 0, 10));
    EXPECT_EQ(unread.size(), 1u);
    auto all = TRY(ListNotifications(conn, user_, false, 0, 10));
    EXPECT_EQ(all.size(), 2u);
    if (all.size() != 2) return Ok();
    EXPECT_EQ(all[1].read_at, 3);
    EXPECT_EQ(TRY(ListNotifications(conn, user_, false, all[0].id, 10)).size(), 1u);
    return Ok();
  })));
}

TEST_P(MattersTest, TodoListSelectsByKindStateAndRelationInDeadlineOrder) {
  // a: registered, due 5000; b: registered, no deadline; c: sent, due 3000
  // (units_[1] is its recipient); d: closed.
  const std::int64_t a = Make("clue", "A1", 100);
  const std::int64_t b = Make("clue", "B1", 200);
  const std::int64_t c = Make("transfer", "C1", 300);
  const std::int64_t d = Make("clue", "D1", 400);
  ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
    TRY(SetDeadline(conn, {.matter_id = a, .name = "handle", .started_at = 100, .due_at = 5000}));
    TRY(SetDeadline(conn, {.matter_id = c, .name = "sign", .started_at = 300, .due_at = 3000}));
    TRY(AddParticipant(
        conn, {.matter_id = c, .unit_id = units_[1], .relation = "recipient", .added_at = 300}));
    auto transfer = TRY(FindMatter(conn, c));
    transfer->state = "sent";
    EXPECT_TRUE(TRY(UpdateMatter(conn, *transfer, 1)));
    auto closed = TRY(FindMatter(conn, d));
    closed->state = "closed";
    EXPECT_TRUE(TRY(UpdateMatter(conn, *closed, 1)));
    return Ok();
  })));
  auto page_of = [&](const TodoFilter& filter) {
    std::vector<std::int64_t> ids;
    TodoPage page;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      page = TRY(ListTodoMatters(conn, filter));
      return Ok();
    })));
    for (const auto& m : page.items) ids.push_back(m.id);
    return std::make_pair(ids, page.next);
  };
  auto counts_of = [&](const TodoFilter& filter, std::int64_t now, std::int64_t soon) {
    TodoCounts counts;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      counts = TRY(CountTodoMatters(conn, filter, now, soon));
      return Ok();
    })));
    return counts;
  };

  // The owner: clues in registered (no relation needed), transfers in sent
  // as recipient — which the owner is not.
  TodoFilter owner{
      .unit_id = units_[0],
      .selectors = {{.kind = "clue", .states = {"registered"}, .relations = {}},
                    {.kind = "transfer", .states = {"sent"}, .relations = {"recipient"}}}};
  EXPECT_THAT(page_of(owner).first, ElementsAre(a, b));
  // The recipient sees the transfer; deadline order puts it first for a
  // unit that selects both.
  TodoFilter recipient = owner;
  recipient.unit_id = units_[1];
  EXPECT_THAT(page_of(recipient).first, ElementsAre(c));
  owner.selectors[1].relations = {"owner", "recipient"};
  EXPECT_THAT(page_of(owner).first, ElementsAre(c, a, b));

  // Keyset pages: soonest deadline first, no deadline last.
  owner.limit = 2;
  auto [first, next] = page_of(owner);
  EXPECT_THAT(first, ElementsAre(c, a));
  ASSERT_TRUE(next.has_value());
  owner.after = next;
  auto [second, end] = page_of(owner);
  EXPECT_THAT(second, ElementsAre(b));
  EXPECT_FALSE(end.has_value());

  // Counts ignore the cursor: c overdue at 3000, a due soon up to 5000.
  const TodoCounts counts = counts_of(owner, 3000, 5000);
  EXPECT_EQ(counts.total, 3);
  EXPECT_EQ(counts.overdue, 1);
  EXPECT_EQ(counts.due_soon, 1);
  EXPECT_EQ(counts_of(owner, 0, 10).due_soon, 0);

  // Nothing selected: nothing listed, no query with an empty IN list.
  TodoFilter none{.unit_id = units_[0],
                  .selectors = {{.kind = "clue", .states = {}, .relations = {}}}};
  EXPECT_THAT(page_of(none).first, IsEmpty());
  EXPECT_EQ(counts_of(none, 0, 0).total, 0);
}

// The counters behind the list's counts (matter_counts) stay equal to the
// visibility rows they count through a random sequence of creates, state
// changes and participants added and removed; the multi-state list merges
// its ranges in list order.
TEST_P(MattersTest, CountersEqualTheVisibleMattersAfterEveryChange) {
  const std::vector<std::string> kinds = {"clue", "transfer"};
  const std::vector<std::string> states = {"registered", "handling", "closed"};
  const std::vector<std::string> relations = {"owner", "recipient", "copied"};
  std::mt19937 random(7);
  auto below = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  // The model: each matter's kind and state, each (matter, unit)'s relations.
  std::map<std::int64_t, std::pair<std::string, std::string>> model;
  std::map<std::pair<std::int64_t, std::int64_t>, std::set<std::string>> related;
  std::map<std::int64_t, std::int64_t> versions;
  std::int64_t at = 10'000;
  for (int step = 0; step < 300; ++step) {
    ++at;
    const std::size_t op = model.empty() ? 0 : below(4);
    ASSERT_TRUE(IsOk(db_->Write([&](Conn& conn) -> Status {
      if (op == 0) {
        const std::string& kind = kinds[below(kinds.size())];
        MatterRecord m = NewMatter(kind, "N" + std::to_string(step), at);
        m.state = states[below(states.size())];
        const std::int64_t id = TRY(InsertMatter(conn, m));
        model[id] = {kind, m.state};
        versions[id] = 1;
        TRY(AddParticipant(
            conn, {.matter_id = id, .unit_id = units_[0], .relation = "owner", .added_at = at}));
        related[{id, units_[0]}].insert("owner");
        return Ok();
      }
      auto it = model.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(below(model.size())));
      const std::int64_t id = it->first;
      if (op == 1) {
        auto m = TRY(FindMatter(conn, id));
        m->state = states[below(states.size())];
        m->updated_at = at;
        if (!TRY(UpdateMatter(conn, *m, versions[id]))) return core::Internal("stale");
        ++versions[id];
        it->second.second = m->state;
        return Ok();
      }
      const std::int64_t unit = units_[below(units_.size())];
      const std::string& relation = relations[below(relations.size())];
      if (op == 2) {
        TRY(AddParticipant(
            conn, {.matter_id = id, .unit_id = unit, .relation = relation, .added_at = at}));
        related[{id, unit}].insert(relation);
      } else {
        TRY(RemoveParticipant(conn, id, unit, relation));
        related[{id, unit}].erase(relation);
      }
      return Ok();
    })));
    if (step % 25 != 24) continue;
    // unit 0: every matter; otherwise the matters the unit has a relation to.
    std::vector<std::int64_t> scopes = units_;
    scopes.push_back(0);
    for (const std::int64_t unit : scopes) {
      for (const std::string& kind : {std::string(), kinds[0], kinds[1]}) {
        std::map<std::string, std::int64_t> expected;
        for (const auto& [id, kind_state] : model) {
          if (!kind.empty() && kind_state.first != kind) continue;
          if (unit != 0 && related[{id, unit}].empty()) continue;
          ++expected[kind_state.second];
        }
        MatterFilter f;
        if (unit != 0) f.visible_to_unit = unit;
        f.kind = kind;
        MatterCounts counted, bounded;
        ASSERT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
          counted = TRY(CountMattersByState(conn, f));
          MatterFilter with_region = f;
          with_region.region_prefix = "33";  // every matter: the bounded COUNT
          bounded = TRY(CountMattersByState(conn, with_region));
          return Ok();
        })));
        EXPECT_EQ(counted.by_state, expected) << "unit " << unit << " kind " << kind;
        EXPECT_EQ(bounded.by_state, expected) << "unit " << unit << " kind " << kind;
        EXPECT_FALSE(counted.capped);
        EXPECT_FALSE(bounded.capped);
      }
    }
  }

  // Several states: the union of their ranges, newest change first, paged.
  MatterFilter f{.visible_to_unit = units_[0], .states = {"registered", "closed"}, .limit = 7};
  std::vector<std::int64_t> all;
  for (int page = 0; page < 100; ++page) {
    const MatterPage p = List(f);
    for (const auto& m : p.items) {
      all.push_back(m.id);
      EXPECT_TRUE(m.state == "registered" || m.state == "closed");
      EXPECT_EQ(p.owner_unit_names.at(m.owner_unit_id), "湖州市生态环境局");
    }
    if (!p.next) break;
    f.after = p.next;
  }
  std::vector<std::int64_t> expected;
  MatterFilter one{.visible_to_unit = units_[0], .limit = 200};
  for (const auto& m : List(one).items) {
    if (m.state == "registered" || m.state == "closed") expected.push_back(m.id);
  }
  EXPECT_EQ(all, expected);
}

}  // namespace
}  // namespace lvyuan::store
