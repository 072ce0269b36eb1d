#include "workflow/serialize.h"

#include "workflow/test_env.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;
using testing::Shipped;

// True if `key` appears anywhere in `v`.
bool HasKey(const json::value& v, std::string_view key) {
  if (const json::object* o = v.if_object()) {
    for (const auto& [k, child] : *o) {
      if (k == key || HasKey(child, key)) return true;
    }
  }
  if (const json::array* a = v.if_array()) {
    for (const json::value& child : *a) {
      if (HasKey(child, key)) return true;
    }
  }
  return false;
}

TEST(SerializeTest, GivesTheUiFormsButtonsAndChips) {
  const json::object out = DefinitionToJson(Shipped::Get().Def("transfer"));
  EXPECT_EQ(out.at("kind"), json::value("transfer"));
  EXPECT_EQ(out.at("labels").at("zh"), json::value("线索移送"));
  EXPECT_EQ(out.at("number").at("pattern"), json::value("{unit}{word}〔{year}〕{seq}号"));

  const json::array& fields = out.at("fields").as_array();
  auto field = [&](std::string_view name) -> const json::object& {
    for (const json::value& f : fields) {
      if (f.at("name") == json::value(name)) return f.as_object();
    }
    throw std::runtime_error("no field");
  };
  EXPECT_EQ(field("domain").at("type"), json::value("enum"));
  EXPECT_EQ(field("domain").at("dict"), json::value("environment_domains"));
  EXPECT_EQ(field("domain").at("items").as_array()[0].at("zh"), json::value("大气"));
  EXPECT_EQ(field("summary").at("max_length"), json::value(5000));

  const json::array& states = out.at("states").as_array();
  EXPECT_EQ(states[0].at("name"), json::value("sent"));
  EXPECT_EQ(states[0].at("initial"), json::value(true));
  EXPECT_EQ(states[0].at("category"), json::value("pending"));

  EXPECT_EQ(out.at("create").at("required").as_array()[0], json::value("recipient"));
  const json::object& sign_for = out.at("actions").as_array()[0].as_object();
  EXPECT_EQ(sign_for.at("name"), json::value("sign_for"));
  EXPECT_EQ(sign_for.at("from"), (json::array{"sent"}));
  EXPECT_EQ(sign_for.at("to"), json::value("signed_for"));
  EXPECT_EQ(sign_for.at("actors").as_array()[0].at("relation"), json::value("recipient"));

  const json::object& deadline = out.at("deadlines").as_array()[0].as_object();
  EXPECT_EQ(deadline.at("limit").at("working_days"), json::value(2));
  EXPECT_EQ(deadline.at("starts_on"), (json::array{"created"}));
}

TEST(SerializeTest, LeavesServerOnlyDetailsOut) {
  const json::value out = RegistryToJson(Shipped::Get().registry);
  for (std::string_view key : {"guards", "effects", "notify", "compiled_pattern"}) {
    EXPECT_FALSE(HasKey(out, key)) << key;
  }
}

TEST(SerializeTest, RoundTripsThroughTextUnchanged) {
  const json::object out = RegistryToJson(Shipped::Get().registry);
  const std::string text = json::serialize(out);
  const json::value back = json::parse(text);
  EXPECT_EQ(back, json::value(out));
  EXPECT_EQ(json::serialize(back), text);
  ASSERT_EQ(back.at("workflows").as_array().size(), 7u);
  EXPECT_EQ(back.at("workflows").as_array()[2].at("kind"), json::value("criminal_transfer"));
  // The notice's audience types: several values of a dictionary, marked so.
  const json::value& notice = back.at("workflows").as_array()[5];
  ASSERT_EQ(notice.at("kind"), json::value("notice"));
  for (const json::value& field : notice.at("fields").as_array()) {
    if (field.at("name") == json::value("audience_types")) {
      EXPECT_EQ(field.at("multiple"), json::value(true));
    }
    if (field.at("name") == json::value("read_note")) {
      EXPECT_EQ(field.at("transient"), json::value(true));
    }
  }
}

}  // namespace
}  // namespace lvyuan::workflow
