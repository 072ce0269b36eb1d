#include "workflow/registry.h"

#include <functional>

#include "workflow/test_env.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;
using testing::Shipped;

TEST(ShippedDefinitionsTest, LoadAndCoverTheFirstProcedures) {
  const Registry& registry = Shipped::Get().registry;
  std::vector<std::string> kinds;
  for (const Definition& def : registry.definitions()) kinds.push_back(def.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"clue", "consultation", "criminal_transfer", "meeting",
                                             "meeting_item", "notice", "transfer"}));
  const Definition* transfer = registry.Find("transfer");
  ASSERT_NE(transfer, nullptr);
  EXPECT_EQ(transfer->labels.zh, "线索移送");
  EXPECT_EQ(transfer->initial_state().name, "sent");
  EXPECT_EQ(transfer->FindDeadline("sign_for")->limit.working_days, 2);
  EXPECT_EQ(registry.Find("penalty_case"), nullptr);
}

TEST(ShippedDefinitionsTest, TimeLimitsCiteTheirBasis) {
  const Catalogs& catalogs = Shipped::Get().catalogs;
  const TimeLimit& filing = catalogs.time_limits.at("criminal_transfer.filing_decision");
  EXPECT_EQ(filing.calendar_days, 3);
  EXPECT_NE(filing.basis.find("《行政执法机关移送涉嫌犯罪案件的规定》"), std::string::npos);
  for (const auto& [name, limit] : catalogs.time_limits) EXPECT_FALSE(limit.basis.empty()) << name;
  EXPECT_NE(catalogs.dictionaries.find("environment_domains"), catalogs.dictionaries.end());
}

// A small valid definition that each test below breaks in one place.
json::object Mini() {
  return json::parse(R"({
    "kind": "mini",
    "labels": {"zh": "小事项", "en": "Mini"},
    "number": {"word": "小", "pattern": "{unit}{word}〔{year}〕{seq}号"},
    "fields": [
      {"name": "note", "type": "text", "labels": {"zh": "备注", "en": "Note"}},
      {"name": "source", "type": "enum", "dict": "clue_sources", "labels": {"zh": "来源", "en": "Source"}},
      {"name": "others", "type": "units", "labels": {"zh": "其他单位", "en": "Other units"}}
    ],
    "states": [
      {"name": "open", "labels": {"zh": "办理中", "en": "Open"}, "initial": true, "category": "processing"},
      {"name": "done", "labels": {"zh": "已办结", "en": "Done"}, "final": true, "category": "success"}
    ],
    "create": {"actors": [{"roles": ["enforcement_officer"], "relation": "any"}],
               "fields": ["note", "others"], "required": ["note"]},
    "actions": [
      {"name": "finish", "labels": {"zh": "办结", "en": "Finish"}, "from": ["open"], "to": "done",
       "actors": [{"roles": ["enforcement_officer"], "unit_types": ["ecology_environment"], "relation": "owner"}],
       "fields": ["note"], "guards": ["reason_given"],
       "effects": [{"type": "open_matter", "kind": "mini", "map": {"note": "note"}},
                   {"type": "add_participant", "relation": "copied", "units_from": "others"}]}
    ],
    "deadlines": [
      {"name": "finish_by", "labels": {"zh": "办结期限", "en": "Finish by"}, "limit": "transfer.sign_for",
       "starts_on": ["created"], "cleared_by": ["finish"]}
    ]
  })")
      .as_object();
}

json::object& Action(json::object& def) { return def["actions"].as_array()[0].as_object(); }

// The error message of loading Mini() after `change`, or "ok".
std::string LoadError(const std::function<void(json::object&)>& change) {
  json::object def = Mini();
  change(def);
  auto loaded = Registry::FromTexts({{"mini.json", json::serialize(def)}}, Shipped::Get().catalogs,
                                    BuiltinGuards());
  return loaded.ok() ? "ok" : loaded.error().message;
}

TEST(RegistryLoadTest, AcceptsTheValidMiniDefinition) {
  EXPECT_EQ(LoadError([](json::object&) {}), "ok");
}

TEST(RegistryLoadTest, NamesTheFileAndPathAndSetsTheField) {
  json::object def = Mini();
  Action(def)["actors"].as_array()[0].as_object()["roles"] = json::array{"judgee"};
  auto loaded = Registry::FromTexts({{"mini.json", json::serialize(def)}}, Shipped::Get().catalogs,
                                    BuiltinGuards());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(loaded.error().message,
            R"(workflows/mini.json: actions[0].actors[0].roles[0] "judgee" is not a role)");
  EXPECT_EQ(loaded.error().field, "actions[0].actors[0].roles[0]");
}

TEST(RegistryLoadTest, RejectsUnknownUnitTypes) {
  EXPECT_EQ(LoadError([](auto& d) {
              Action(d)["actors"].as_array()[0].as_object()["unit_types"] = json::array{"bank"};
            }),
            R"(workflows/mini.json: actions[0].actors[0].unit_types[0] "bank" is not a unit type)");
}

TEST(RegistryLoadTest, RejectsRolesTheUnitTypeCannotHold) {
  EXPECT_EQ(LoadError([](auto& d) {
              Action(d)["actors"].as_array()[0].as_object()["roles"] = json::array{"judge"};
            }),
            "workflows/mini.json: actions[0].actors[0].roles[0] \"judge\" cannot be held in a "
            "unit of type ecology_environment");
}

TEST(RegistryLoadTest, RejectsUnknownRelations) {
  EXPECT_EQ(LoadError([](auto& d) {
              Action(d)["actors"].as_array()[0].as_object()["relation"] = "boss";
            }),
            R"(workflows/mini.json: actions[0].actors[0].relation "boss" is not a relation)");
  EXPECT_EQ(LoadError([](auto& d) {
              d["create"].as_object()["actors"].as_array()[0].as_object()["relation"] = "owner";
            }),
            "workflows/mini.json: create.actors[0].relation must be \"any\": a matter being "
            "created has no participants yet");
}

TEST(RegistryLoadTest, RejectsUnknownFields) {
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["fields"] = json::array{"nope"}; }),
            R"(workflows/mini.json: actions[0].fields[0] "nope" is not a field)");
  EXPECT_EQ(LoadError([](auto& d) { d["create"].as_object()["required"] = json::array{"source"}; }),
            R"(workflows/mini.json: create.required[0] "source" is not in the action's fields)");
}

TEST(RegistryLoadTest, RejectsUnknownFieldTypesAndKeys) {
  EXPECT_EQ(LoadError([](auto& d) { d["fields"].as_array()[0].as_object()["type"] = "strng"; }),
            R"(workflows/mini.json: fields[0].type "strng" is not a field type)");
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["form"] = json::array{}; }),
            R"(workflows/mini.json: actions[0] has unknown key "form")");
}

TEST(RegistryLoadTest, RejectsUnknownGuards) {
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["guards"] = json::array{"magic"}; }),
            R"(workflows/mini.json: actions[0].guards[0] "magic" is not a registered guard)");
}

TEST(RegistryLoadTest, RejectsUnknownDictionaries) {
  EXPECT_EQ(LoadError([](auto& d) { d["fields"].as_array()[1].as_object()["dict"] = "colours"; }),
            R"(workflows/mini.json: fields[1].dict "colours" is not a dictionary)");
}

TEST(RegistryLoadTest, RejectsUnknownTimeLimits) {
  EXPECT_EQ(
      LoadError([](auto& d) { d["deadlines"].as_array()[0].as_object()["limit"] = "mini.finish"; }),
      R"(workflows/mini.json: deadlines[0].limit "mini.finish" is not a time limit)");
  EXPECT_EQ(LoadError([](auto& d) {
              d["deadlines"].as_array()[0].as_object()["cleared_by"] = json::array{"close"};
            }),
            R"(workflows/mini.json: deadlines[0].cleared_by[0] "close" is not an action)");
}

TEST(RegistryLoadTest, RejectsUnknownStates) {
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["to"] = "finished"; }),
            R"(workflows/mini.json: actions[0].to "finished" is not a state)");
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["from"] = json::array{"done"}; }),
            R"(workflows/mini.json: actions[0].from[0] "done" is a final state)");
}

TEST(RegistryLoadTest, RejectsUnreachableStates) {
  EXPECT_EQ(LoadError([](auto& d) {
              d["states"].as_array().push_back(json::parse(
                  R"({"name": "limbo", "labels": {"zh": "悬置", "en": "Limbo"}, "final": true,
                      "category": "closed"})"));
            }),
            R"(workflows/mini.json: states[2] "limbo" cannot be reached from the initial state)");
}

TEST(RegistryLoadTest, RejectsNonFinalStatesWithoutAWayOut) {
  EXPECT_EQ(LoadError([](auto& d) { d["states"].as_array()[1].as_object()["final"] = false; }),
            R"(workflows/mini.json: states[1] "done" is not final but no action leads out of it)");
}

TEST(RegistryLoadTest, RejectsActionsWithoutActors) {
  EXPECT_EQ(LoadError([](auto& d) { Action(d)["actors"] = json::array{}; }),
            "workflows/mini.json: actions[0].actors is empty: every action needs an actor rule");
}

TEST(RegistryLoadTest, RejectsDuplicateNames) {
  EXPECT_EQ(LoadError([](auto& d) { d["fields"].as_array()[1].as_object()["name"] = "note"; }),
            R"(workflows/mini.json: fields[1].name "note" is a duplicate)");
  EXPECT_EQ(
      LoadError([](auto& d) { d["actions"].as_array().push_back(d["actions"].as_array()[0]); }),
      R"(workflows/mini.json: actions[1].name "finish" is a duplicate)");
}

TEST(RegistryLoadTest, RequiresExactlyOneInitialState) {
  EXPECT_EQ(LoadError([](auto& d) { d["states"].as_array()[0].as_object().erase("initial"); }),
            "workflows/mini.json: states has no initial state");
  EXPECT_EQ(
      LoadError([](auto& d) {
        d["states"].as_array()[1].as_object()["initial"] = true;
        d["states"].as_array()[1].as_object()["final"] = false;
      }),
      R"(workflows/mini.json: states[1].initial makes a second initial state ("open" is already initial))");
}

TEST(RegistryLoadTest, RejectsEffectsNamingUnknownKindsOrFields) {
  auto effect = [](json::object& d) -> json::object& {
    return Action(d)["effects"].as_array()[0].as_object();
  };
  EXPECT_EQ(LoadError([&](auto& d) { effect(d)["kind"] = "penalty_case"; }),
            R"(workflows/mini.json: actions[0].effects[0].kind "penalty_case" is not a kind)");
  EXPECT_EQ(LoadError([&](auto& d) {
              effect(d)["map"] = json::object{{"nope", "note"}};
            }),
            R"(workflows/mini.json: actions[0].effects[0].map.nope "nope" is not a field of mini)");
  EXPECT_EQ(LoadError([&](auto& d) {
              effect(d)["map"] = json::object{{"note", "ghost"}};
            }),
            R"(workflows/mini.json: actions[0].effects[0].map.note "ghost" is not a field)");
  EXPECT_EQ(LoadError([&](auto& d) {
              effect(d)["map"] = json::object{{"source", "source"}};
            }),
            "workflows/mini.json: actions[0].effects[0].map.source \"source\" is not in the create "
            "form of mini");
  EXPECT_EQ(LoadError([&](auto& d) {
              Action(d)["effects"].as_array()[1].as_object()["units_from"] = "note";
            }),
            "workflows/mini.json: actions[0].effects[1].units_from \"note\" is a text field, not a "
            "unit or units field");
  EXPECT_EQ(
      LoadError([&](auto& d) {
        effect(d)["copy_participants"] = json::array{"recipient", "friend"};
      }),
      R"(workflows/mini.json: actions[0].effects[0].copy_participants[1] "friend" is not a relation)");
  EXPECT_EQ(LoadError([&](auto& d) {
              Action(d)["effects"].as_array()[1].as_object()["copy_participants"] =
                  json::array{"recipient"};
            }),
            "workflows/mini.json: actions[0].effects[1].copy_participants only an open_matter "
            "effect copies");
}

TEST(RegistryLoadTest, AllowsMultipleOnlyOnEnumsAndChecksUnitsMatching) {
  EXPECT_EQ(LoadError([](auto& d) { d["fields"].as_array()[0].as_object()["multiple"] = true; }),
            "workflows/mini.json: fields[0].multiple is only for enum fields");
  EXPECT_EQ(LoadError([](auto& d) { d["fields"].as_array()[1].as_object()["transient"] = "yes"; }),
            "workflows/mini.json: fields[1].transient must be true or false");
  auto matching = [](json::object& d) -> json::object& {
    json::object& effect = Action(d)["effects"].as_array()[1].as_object();
    effect.erase("units_from");
    return effect;
  };
  EXPECT_EQ(LoadError([&](auto& d) {
              matching(d)["units_matching"] = json::object{{"unit_types_from", "source"}};
            }),
            "workflows/mini.json: actions[0].effects[1].units_matching.unit_types_from \"source\" "
            "is not an enum field of the unit_types dictionary");
  EXPECT_EQ(LoadError([&](auto& d) {
              matching(d)["units_matching"] = json::object{{"region_from", "note"}};
            }),
            "workflows/mini.json: actions[0].effects[1].units_matching.region_from \"note\" is a "
            "text field, not a region field");
  EXPECT_EQ(LoadError([&](auto& d) {
              matching(d)["units_matching"] = json::object{{"everyone", true}};
            }),
            "workflows/mini.json: actions[0].effects[1].units_matching has unknown key "
            "\"everyone\"");
  EXPECT_EQ(LoadError([&](auto& d) {
              json::object& effect = matching(d);
              effect["units_matching"] = json::object{};
              effect["actor_unit"] = true;
            }),
            "workflows/mini.json: actions[0].effects[1] must name its units by exactly one of "
            "actor_unit, units_from, unit_type, units_matching");
  EXPECT_EQ(LoadError([&](auto& d) { matching(d)["units_matching"] = json::object{}; }), "ok");
}

TEST(RegistryLoadTest, RejectsAKindThatDoesNotMatchItsFile) {
  EXPECT_EQ(LoadError([](auto& d) { d["kind"] = "other"; }),
            R"(workflows/mini.json: kind "other" does not match the file name)");
}

TEST(TimeLimitsTest, NeedExactlyOneDurationAndABasis) {
  EXPECT_TRUE(ParseTimeLimits(R"({"limits": {"a": {"hours": 24, "basis": "x"}}})", "t.json").ok());
  EXPECT_EQ(ParseTimeLimits(R"({"limits": {"a": {"hours": 24, "working_days": 2, "basis": "x"}}})",
                            "t.json")
                .error()
                .message,
            "t.json: limits.a must give exactly one of working_days, calendar_days, hours");
  EXPECT_EQ(ParseTimeLimits(R"({"limits": {"a": {"hours": 24}}})", "t.json").error().message,
            "t.json: limits.a.basis is missing");
  EXPECT_EQ(ParseTimeLimits(R"({"limits": {"a": {"calendar_days": 0, "basis": "x"}}})", "t.json")
                .error()
                .message,
            "t.json: limits.a.calendar_days must be a whole number from 1 to 3650");
}

}  // namespace
}  // namespace lvyuan::workflow
