// The working-day calendar over HTTP, as the shipped data/calendar says:
// Spring Festival 2026, make-up working days, provisional answers beyond
// the announced years, and bad input naming the field.
#include <gtest/gtest.h>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

class CalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    officer_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(officer_->Login("hzhb_officer", kDemoPassword).status, 200u);
  }

  static inline ServerProcess* server_ = nullptr;
  std::unique_ptr<Client> officer_;
};

TEST_F(CalendarTest, AddsWorkingDaysAcrossSpringFestival) {
  Reply r = officer_->Get("/api/v1/calendar/add-working-days?from=2026-02-12&days=3");
  ASSERT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.json().at("date").as_string(), "2026-02-24");  // 13 Feb, make-up 14 Feb, 24 Feb
  EXPECT_FALSE(r.json().at("provisional").as_bool());
  Reply makeup = officer_->Get("/api/v1/calendar/add-working-days?from=2026-02-13&days=1");
  EXPECT_EQ(makeup.json().at("date").as_string(), "2026-02-14");
  Reply beyond = officer_->Get("/api/v1/calendar/add-working-days?from=2026-12-30&days=5");
  ASSERT_EQ(beyond.status, 200u) << beyond;
  EXPECT_TRUE(beyond.json().at("provisional").as_bool());
}

TEST_F(CalendarTest, TellsWhetherADateIsAWorkingDayAndWhy) {
  Reply holiday = officer_->Get("/api/v1/calendar/day?date=2026-02-23");
  ASSERT_EQ(holiday.status, 200u) << holiday;
  const boost::json::value h = holiday.json();
  EXPECT_FALSE(h.at("working").as_bool());
  EXPECT_EQ(h.at("kind").as_string(), "holiday");
  EXPECT_EQ(h.at("holiday").at("zh").as_string(), "春节");
  EXPECT_TRUE(h.at("in_lieu").as_bool());

  const boost::json::value makeup = officer_->Get("/api/v1/calendar/day?date=2026-02-28").json();
  EXPECT_TRUE(makeup.at("working").as_bool());
  EXPECT_EQ(makeup.at("kind").as_string(), "makeup_workday");
  const boost::json::value weekday = officer_->Get("/api/v1/calendar/day?date=2026-03-09").json();
  EXPECT_EQ(weekday.at("kind").as_string(), "workday");
  EXPECT_TRUE(weekday.at("holiday").is_null());
}

TEST_F(CalendarTest, BadInputNamesTheField) {
  struct Case {
    std::string target;
    std::string field;
  } cases[] = {
      {"/api/v1/calendar/day", "date"},
      {"/api/v1/calendar/day?date=2026-02-30", "date"},
      {"/api/v1/calendar/add-working-days?days=3", "from"},
      {"/api/v1/calendar/add-working-days?from=2026-02-12", "days"},
      {"/api/v1/calendar/add-working-days?from=2026-02-12&days=-1", "days"},
      {"/api/v1/calendar/add-working-days?from=2026-02-12&days=99999", "days"},
      {"/api/v1/calendar/add-working-days?from=2026-02-12&days=three", "days"},
  };
  for (const Case& c : cases) {
    Reply r = officer_->Get(c.target);
    EXPECT_EQ(r.status, 400u) << c.target << " " << r;
    EXPECT_EQ(r.error_field(), c.field) << c.target;
  }
  Client anonymous(server_->port());
  EXPECT_EQ(anonymous.Get("/api/v1/calendar/day?date=2026-02-23").status, 401u);
}

}  // namespace
}  // namespace lvyuan::http_test
