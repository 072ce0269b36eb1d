// To-dos and live notifications on the real server: a browser-like client
// holds GET /api/v1/stream open as the police officer while the ecology
// officer transfers a suspected crime; the police stream receives the
// `notification` event of the stored row, the procuratorate's stream its own
// and never the police's; GET /api/v1/todos lists the transfer for the
// police with its actions and deadline. On PostgreSQL a second variant runs
// two servers on one database: the stream is on the other process.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "event_stream.h"
#include "harness.h"
#include "matter_support.h"

namespace lvyuan::http_test {
namespace {

namespace json = boost::json;

constexpr std::string_view kPolice = "湖州市公安局";

std::unique_ptr<Client> SignIn(unsigned short port, std::string_view username) {
  return SignInDemoUser(port, username);
}

// The ecology officer records a clue and transfers it to the police as a
// suspected crime; returns the criminal transfer's id.
std::int64_t TransferCriminal(Client& officer, std::int64_t police_unit) {
  json::object clue{{"title", "某化工厂夜间偷排"},
                    {"source", "complaint"},
                    {"domain", "water"},
                    {"region", "330502"},
                    {"address", "吴兴区某路 1 号"},
                    {"description", "群众举报夜间向河道排放废水"},
                    {"attachments", json::array{UploadPhoto(officer)}}};
  Reply created = officer.Post("/api/v1/matters", json::object{{"kind", "clue"}, {"fields", clue}});
  if (created.status != 201) throw std::runtime_error("create: " + created.body);
  const std::int64_t clue_id = AsInt(created.json().at("id"));
  Reply transferred =
      officer.Post("/api/v1/matters/" + std::to_string(clue_id) + "/actions/transfer_criminal",
                   json::object{{"fields", json::object{{"police_unit", police_unit},
                                                        {"suspected_offence", "污染环境罪"}}}},
                   {{"If-Match", "\"1\""}});
  if (transferred.status != 200) throw std::runtime_error("transfer: " + transferred.body);
  return AsInt(transferred.json().at("links").at(0).at("to_matter_id"));
}

// The ids of the user's notifications about the matter.
std::set<std::int64_t> NotificationIds(Client& client, std::int64_t matter_id) {
  std::set<std::int64_t> ids;
  for (const auto& n : ListAll(client, "/api/v1/notifications", 200)) {
    if (n.at("matter_id").is_int64() && n.at("matter_id").as_int64() == matter_id) {
      ids.insert(AsInt(n.at("id")));
    }
  }
  return ids;
}

std::set<std::int64_t> StreamedIds(const EventStream& stream, std::int64_t matter_id) {
  std::set<std::int64_t> ids;
  for (const json::value& n : stream.Events("notification")) {
    if (n.at("matter_id").is_int64() && n.at("matter_id").as_int64() == matter_id) {
      ids.insert(AsInt(n.at("id")));
    }
  }
  return ids;
}

std::string MatterMarker(std::int64_t matter_id) {
  return "\"matter_id\":" + std::to_string(matter_id) + "}\n\n";
}

class NotificationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess* server_;
};
ServerProcess* NotificationsTest::server_ = nullptr;

TEST_F(NotificationsTest, PoliceStreamReceivesTheTransfersNotificationAndOnlyItsOwn) {
  const unsigned short port = server_->port();
  auto officer = SignIn(port, "hzhb_officer");
  auto police = SignIn(port, "hzga_officer");
  auto procurator = SignIn(port, "hzjc_procurator");
  auto sysadmin = SignIn(port, "sysadmin");
  const std::optional<std::int64_t> police_unit = FindUnitId(*sysadmin, kPolice);
  ASSERT_TRUE(police_unit.has_value());

  EventStream police_stream(port, police->cookie("__Host-lvyuan"));
  EventStream procurator_stream(port, procurator->cookie("__Host-lvyuan"));
  ASSERT_TRUE(police_stream.WaitFor("\r\n\r\n")) << police_stream.received();
  ASSERT_TRUE(procurator_stream.WaitFor("\r\n\r\n")) << procurator_stream.received();
  EXPECT_NE(police_stream.received().find("text/event-stream"), std::string::npos);

  const std::int64_t id = TransferCriminal(*officer, *police_unit);
  ASSERT_TRUE(police_stream.WaitFor(MatterMarker(id))) << police_stream.received();
  ASSERT_TRUE(procurator_stream.WaitFor(MatterMarker(id))) << procurator_stream.received();

  // What was streamed is exactly the stored rows of each user.
  const std::set<std::int64_t> police_ids = NotificationIds(*police, id);
  const std::set<std::int64_t> procurator_ids = NotificationIds(*procurator, id);
  ASSERT_EQ(police_ids.size(), 1u);
  EXPECT_EQ(StreamedIds(police_stream, id), police_ids);
  // The police's row was published before the procuratorate's (same
  // commit, in order), so had it gone to this stream it would be here.
  EXPECT_EQ(StreamedIds(procurator_stream, id), procurator_ids);
  for (const json::value& n : police_stream.Events("notification")) {
    if (AsInt(n.at("id")) != *police_ids.begin()) continue;
    EXPECT_EQ(AsString(n.at("kind")), "matter.create");
    EXPECT_EQ(AsString(n.at("title")), "收到涉嫌犯罪案件移送");
    EXPECT_FALSE(n.as_object().contains("user_id"));
  }
}

TEST_F(NotificationsTest, TodosListTheTransferForThePoliceWithActionsDeadlineAndCounts) {
  const unsigned short port = server_->port();
  auto officer = SignIn(port, "hzhb_officer");
  auto police = SignIn(port, "hzga_officer");
  auto sysadmin = SignIn(port, "sysadmin");
  const std::int64_t id = TransferCriminal(*officer, *FindUnitId(*sysadmin, kPolice));

  Reply first = police->Get("/api/v1/todos?limit=100");
  ASSERT_EQ(first.status, 200u) << first;
  const json::value body = first.json();
  const json::object* found = nullptr;
  for (const auto& item : body.at("items").as_array()) {
    if (AsInt(item.at("id")) == id) found = &item.as_object();
  }
  ASSERT_NE(found, nullptr) << first;
  EXPECT_EQ(AsString(found->at("state")), "sent");
  EXPECT_EQ(found->at("actions"), (json::array{"accept", "return"}));
  EXPECT_EQ(AsString(found->at("deadline_status")), "due_soon");
  EXPECT_EQ(AsString(found->at("next_deadline").at("name")), "acceptance");
  EXPECT_EQ(AsString(found->at("next_deadline").at("status")), "due_soon");
  const json::value& counts = body.at("counts");
  EXPECT_GE(AsInt(counts.at("total")), 1);
  EXPECT_GE(AsInt(counts.at("due_soon")), 1);
  EXPECT_LE(AsInt(counts.at("overdue")) + AsInt(counts.at("due_soon")), AsInt(counts.at("total")));

  // Paging one by one walks the same list; the owner's agency does not have it.
  std::size_t listed = ListAll(*police, "/api/v1/todos", 1).size();
  EXPECT_EQ(static_cast<std::int64_t>(listed), AsInt(counts.at("total")));
  for (const auto& item : ListAll(*officer, "/api/v1/todos", 100)) {
    EXPECT_NE(AsInt(item.at("id")), id);
  }

  // Bad input names the field; the administrators have no matters at all.
  Reply bad_cursor = police->Get("/api/v1/todos?cursor=bm9wZQ");
  EXPECT_EQ(bad_cursor.status, 400u) << bad_cursor;
  EXPECT_EQ(bad_cursor.error_field(), "cursor");
  Reply bad_limit = police->Get("/api/v1/todos?limit=0");
  EXPECT_EQ(bad_limit.status, 400u) << bad_limit;
  EXPECT_EQ(bad_limit.error_field(), "limit");
  EXPECT_EQ(sysadmin->Get("/api/v1/todos").status, 403u);
  EXPECT_EQ(Client(port).Get("/api/v1/todos").status, 401u);
}

TEST(NotificationsTwoProcessTest, StreamOnOneProcessHearsANotificationStoredByTheOther) {
  if (!OnPostgres()) GTEST_SKIP() << "runs with two servers on PostgreSQL only";
  ServerOptions first_options;
  first_options.backend = "postgresql";
  auto first = ServerProcess::Start(first_options);
  ServerOptions second_options = ReuseDataDir(first->data_dir());
  second_options.backend = "postgresql";
  auto second = ServerProcess::Start(second_options);

  auto officer = SignIn(first->port(), "hzhb_officer");
  auto police = SignIn(second->port(), "hzga_officer");
  auto sysadmin = SignIn(first->port(), "sysadmin");
  EventStream stream(second->port(), police->cookie("__Host-lvyuan"));
  ASSERT_TRUE(stream.WaitFor("\r\n\r\n")) << stream.received();
  const std::int64_t id = TransferCriminal(*officer, *FindUnitId(*sysadmin, kPolice));
  ASSERT_TRUE(stream.WaitFor(MatterMarker(id))) << stream.received();
  EXPECT_EQ(StreamedIds(stream, id), NotificationIds(*police, id));
}

}  // namespace
}  // namespace lvyuan::http_test
