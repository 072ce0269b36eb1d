#include "domain/demo_volume.h"

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/validators.h"
#include "crypto/password.h"
#include "domain/demo.h"
#include "store/accounts.h"
#include "store/matters.h"

namespace lvyuan::domain {
namespace json = boost::json;

namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kYearMs = 365 * kDayMs;
constexpr int kCompanies = 5000;

// One place where matters are made: an owning bureau, the police it sends
// suspected crimes to, the agencies it transfers and consults with, and the
// procurator copied on its criminal transfers (when the region has one).
struct Office {
  std::string region;  // county-level code of its matters
  std::string place;   // e.g. "湖州市吴兴区"
  Principal officer;
  Principal police;
  std::vector<Principal> partners;  // transfer recipients and consulted units
  std::optional<Principal> procurator;
  std::int64_t photo = 0;  // evidence attached to its clues
};

struct Story {
  std::string kind;  // clue | transfer | criminal_transfer | consultation | notice
  std::string end;   // the state the story leaves its main matter in
  int opens = 1;     // matters it creates
};

// Every story; the weights give the mix of kinds and states.
struct WeightedStory {
  Story story;
  int weight;
};
const std::vector<WeightedStory>& Stories() {
  static const std::vector<WeightedStory> stories = {
      {{"clue", "registered", 1}, 10},
      {{"clue", "handling", 1}, 10},
      {{"clue", "dismissed", 1}, 5},
      {{"clue", "closed", 1}, 20},
      {{"consultation", "open", 2}, 2},
      {{"consultation", "concluded", 2}, 5},
      {{"consultation", "cancelled", 2}, 1},
      {{"transfer", "sent", 2}, 2},
      {{"transfer", "signed_for", 2}, 2},
      {{"transfer", "accepted", 3}, 2},
      {{"transfer", "feedback_given", 3}, 2},
      {{"transfer", "closed", 3}, 6},
      {{"transfer", "returned", 2}, 1},
      {{"transfer", "withdrawn", 2}, 1},
      {{"criminal_transfer", "sent", 2}, 1},
      {{"criminal_transfer", "accepted", 2}, 1},
      {{"criminal_transfer", "returned", 2}, 1},
      {{"criminal_transfer", "filed", 2}, 2},
      {{"criminal_transfer", "handed_over", 2}, 4},
      {{"criminal_transfer", "not_filed", 2}, 1},
      {{"criminal_transfer", "reconsideration_requested", 2}, 1},
      {{"criminal_transfer", "upheld", 2}, 1},
      {{"criminal_transfer", "closed_not_filed", 2}, 2},
      {{"criminal_transfer", "under_supervision", 2}, 1},
      {{"notice", "published", 1}, 4},
      {{"notice", "withdrawn", 1}, 1},
      {{"notice", "archived", 1}, 4},
  };
  return stories;
}

constexpr std::array<const char*, 8> kProblems = {
    "疑似夜间偷排废水", "违规堆放危险废物", "废气超标排放", "非法占用耕地",
    "无证采矿",         "非法捕捞",         "噪声扰民",     "擅自砍伐林木",
};
constexpr std::array<const char*, 8> kTrades = {
    "印染厂", "化工厂", "电镀厂", "砂石场", "养殖场", "建材厂", "造纸厂", "铸造厂",
};
constexpr std::array<const char*, 6> kOffences = {
    "污染环境罪", "非法采矿罪",       "非法占用农用地罪",
    "滥伐林木罪", "非法捕捞水产品罪", "危害珍贵、濒危野生动物罪",
};

// A valid unified social credit code (GB 32100) of a Zhejiang company.
std::string CreditCode(const std::string& region, int n) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  std::string code = "91" + region + "MA2";
  int v = n;
  for (int i = 0; i < 6; ++i) {
    code += kAlphabet[static_cast<std::size_t>(v % 31)];
    v /= 31;
  }
  code += core::UsccCheckCharacter(code);
  return code;
}

class Generator {
 public:
  Generator(Matters& matters, const Catalog& catalog, std::vector<Office> offices, std::int64_t now,
            std::uint64_t seed)
      : matters_(matters), offices_(std::move(offices)), now_(now), random_(seed) {
    for (const char* dict :
         {"environment_domains", "clue_sources", "handling_outcomes", "notice_types"}) {
      std::vector<std::string> values;
      if (const auto* items = catalog.Dict(dict)) {
        for (const auto& item : *items) values.push_back(item.value);
      }
      if (values.empty()) values.push_back("other");
      dicts_[dict] = std::move(values);
    }
    int total = 0;
    for (const auto& s : Stories()) total += s.weight;
    total_weight_ = total;
  }

  // Runs one story inside `conn`'s transaction; `room` is how many matters
  // it may still open. Returns how many it opened.
  Result<int> Run(store::Conn& conn, std::int64_t room) {
    const Story story = Pick(room);
    // 40 % for 湖州市生态环境局 (office 0), the rest spread evenly.
    const std::size_t which =
        offices_.size() == 1 || Chance(40) ? 0 : 1 + Below(offices_.size() - 1);
    const Office& office = offices_[which];
    at_ = now_ - 5 * kYearMs + static_cast<std::int64_t>(Below(5 * 365 - 40)) * kDayMs +
          static_cast<std::int64_t>(Below(10)) * kHourMs + 8 * kHourMs;
    if (story.kind == "notice") return Notice(conn, office, story.end);
    if (story.kind == "consultation") return Consultation(conn, office, story.end);
    if (story.kind == "transfer") return Transfer(conn, office, story.end);
    if (story.kind == "criminal_transfer") return Criminal(conn, office, story.end);
    return Clue(conn, office, story.end);
  }

 private:
  std::size_t Below(std::size_t n) {
    return static_cast<std::size_t>(
        std::uniform_int_distribution<std::uint64_t>(0, n - 1)(random_));
  }
  bool Chance(int percent) { return static_cast<int>(Below(100)) < percent; }
  template <typename T, std::size_t N>
  const char* Of(const std::array<T, N>& items) {
    return items[Below(N)];
  }
  const std::string& OfDict(const char* dict) {
    const auto& values = dicts_.at(dict);
    return values[Below(values.size())];
  }

  Story Pick(std::int64_t room) {
    for (;;) {
      int r = static_cast<int>(Below(static_cast<std::size_t>(total_weight_)));
      for (const auto& s : Stories()) {
        r -= s.weight;
        if (r >= 0) continue;
        if (s.story.opens <= room) return s.story;
        break;
      }
    }
  }

  // The next step's time: a few hours to a few days on.
  std::int64_t Next() {
    at_ += static_cast<std::int64_t>(1 + Below(72)) * kHourMs;
    return at_;
  }

  json::object ClueFields(const Office& office) {
    const std::string trade = Of(kTrades);
    const std::string problem = Of(kProblems);
    const int company = static_cast<int>(Below(kCompanies));
    json::object o{{"title", office.place + "某" + trade + problem},
                   {"source", OfDict("clue_sources")},
                   {"domain", OfDict("environment_domains")},
                   {"region", office.region},
                   {"address", office.place + "某镇某村" + trade + "厂区"},
                   {"subject",
                    {{"kind", "company"},
                     {"credit_code", CreditCode(office.region, company)},
                     {"name", office.place + "某" + trade + "有限公司" + std::to_string(company)}}},
                   {"discovered_on", core::ChinaDate(at_)},
                   {"description", "群众反映" + office.place + "某" + trade + problem +
                                       "，执法人员现场核查，需进一步调查处理。"},
                   {"attachments", json::array{office.photo}}};
    return o;
  }

  // Takes the action a few hours or days after the step before (`soon`: one
  // hour after).
  Result<std::int64_t> Act(store::Conn& conn, const Principal& who, std::int64_t id,
                           std::int64_t& version, std::string_view action, json::object fields,
                           bool soon = false) {
    const RequestMeta meta{"", "demo-volume"};
    const std::int64_t at = soon ? (at_ += kHourMs) : Next();
    version = TRY(matters_.ActInTransaction(conn, who, id, action, json::value(std::move(fields)),
                                            version, at, meta));
    return version;
  }

  Result<std::int64_t> Create(store::Conn& conn, const Principal& who, std::string_view kind,
                              json::object fields) {
    const RequestMeta meta{"", "demo-volume"};
    return matters_.CreateInTransaction(conn, who, kind, json::value(std::move(fields)), at_, meta);
  }

  // The matter a create or an action opened from `id` most recently.
  static Result<std::int64_t> Opened(store::Conn& conn, std::int64_t id) {
    auto links = TRY(store::ListLinks(conn, id));
    for (auto it = links.rbegin(); it != links.rend(); ++it) {
      if (it->from_matter_id == id) return it->to_matter_id;
    }
    return core::Internal("the demo story opened no linked matter");
  }

  Result<int> Clue(store::Conn& conn, const Office& office, const std::string& end) {
    const std::int64_t id = TRY(Create(conn, office.officer, "clue", ClueFields(office)));
    std::int64_t v = 1;
    if (end == "handling" || end == "closed") TRY(Act(conn, office.officer, id, v, "handle", {}));
    if (end == "closed") {
      TRY(Act(conn, office.officer, id, v, "close",
              {{"conclusion", "经调查，已责令整改并依法作出处理，线索办结。"}}));
    }
    if (end == "dismissed") {
      TRY(Act(conn, office.officer, id, v, "dismiss",
              {{"reason", "经现场核查，未发现反映的违法行为，不予立案。"}}));
    }
    return 1;
  }

  Result<int> Consultation(store::Conn& conn, const Office& office, const std::string& end) {
    const std::int64_t clue = TRY(Create(conn, office.officer, "clue", ClueFields(office)));
    std::int64_t v = 1;
    const Principal& partner = office.partners[Below(office.partners.size())];
    TRY(Act(conn, office.officer, clue, v, "consult",
            {{"consultation_topic", "关于线索处置及部门职责分工的会商"},
             {"consultation_units", json::array{partner.unit_id}}}));
    const std::int64_t id = TRY(Opened(conn, clue));
    std::int64_t c = 1;
    TRY(Act(conn, partner, id, c, "post", {{"message", "我单位同意联合开展现场核查。"}}));
    if (end == "concluded") {
      TRY(Act(conn, office.officer, id, c, "conclude",
              {{"conclusion", "会商一致意见：由牵头单位立案调查，协作单位配合取证。"}}));
    } else if (end == "cancelled") {
      TRY(Act(conn, office.officer, id, c, "cancel", {{"reason", "线索已另案处理，会商取消。"}}));
    }
    return 2;
  }

  Result<int> Transfer(store::Conn& conn, const Office& office, const std::string& end) {
    const std::int64_t clue = TRY(Create(conn, office.officer, "clue", ClueFields(office)));
    std::int64_t v = 1;
    const Principal& to = office.partners[Below(office.partners.size())];
    TRY(Act(conn, office.officer, clue, v, "transfer",
            {{"recipients", json::array{to.unit_id}},
             {"transfer_note", "该线索属贵单位职责范围，现予移送。"}}));
    const std::int64_t id = TRY(Opened(conn, clue));
    std::int64_t t = 1;
    int opened = 2;
    if (end == "withdrawn") {
      TRY(Act(conn, office.officer, id, t, "withdraw",
              {{"reason", "移送材料有误，撤回后重新移送。"}}));
      return opened;
    }
    if (end == "sent") return opened;
    TRY(Act(conn, to, id, t, "sign_for", {}));
    if (end == "signed_for") return opened;
    if (end == "returned") {
      TRY(Act(conn, to, id, t, "return", {{"reason", "不属于本单位管辖，退回移送单位。"}}));
      return opened;
    }
    TRY(Act(conn, to, id, t, "accept", {{"acceptance_opinion", "经审查，同意接收。"}}));
    ++opened;
    if (end == "accepted") return opened;
    TRY(Act(conn, to, id, t, "give_feedback",
            {{"outcome", OfDict("handling_outcomes")},
             {"feedback", "已依法立案查处，处理结果反馈如下。"}}));
    if (end == "feedback_given") return opened;
    TRY(Act(conn, office.officer, id, t, "close", {}));
    TRY(Act(conn, office.officer, clue, v, "close",
            {{"conclusion", "移送单位已反馈处理结果，线索办结。"}}));
    return opened;
  }

  Result<int> Criminal(store::Conn& conn, const Office& office, const std::string& end) {
    std::string goal = end;
    // Supervision needs a procuratorate copied; elsewhere the story ends
    // one step short.
    if (!office.procurator && goal == "under_supervision") goal = "not_filed";
    const std::int64_t clue = TRY(Create(conn, office.officer, "clue", ClueFields(office)));
    std::int64_t v = 1;
    TRY(Act(conn, office.officer, clue, v, "transfer_criminal",
            {{"police_unit", office.police.unit_id}, {"suspected_offence", Of(kOffences)}}));
    const std::int64_t id = TRY(Opened(conn, clue));
    std::int64_t t = 1;
    const Principal& police = office.police;
    if (goal == "sent") return 2;
    if (goal == "returned") {
      TRY(Act(conn, police, id, t, "return", {{"reason", "移送材料不全，退回补充。"}}));
      return 2;
    }
    TRY(Act(conn, police, id, t, "accept", {}));
    if (goal == "accepted") return 2;
    if (goal == "filed" || goal == "handed_over") {
      TRY(Act(conn, police, id, t, "file_case",
              {{"filing_number",
                "立字〔" + core::ChinaDate(at_).substr(0, 4) + "〕" + std::to_string(id) + "号"}}));
      if (goal == "handed_over") {
        TRY(Act(conn, office.officer, id, t, "hand_over_materials", {}));
      }
      return 2;
    }
    TRY(Act(conn, police, id, t, "decline",
            {{"reason", "现有证据不足以认定犯罪事实，不予立案。"}}));
    if (goal == "not_filed") return 2;
    if (goal == "under_supervision") {
      TRY(Act(conn, *office.procurator, id, t, "open_supervision",
              {{"supervision_opinion", "不予立案理由不能成立，启动立案监督。"}}));
      return 2;
    }
    // The request must follow the decision within three working days.
    TRY(Act(conn, office.officer, id, t, "request_reconsideration",
            {{"reason", "认为不予立案决定不当，申请复议。"}}, true));
    if (goal == "reconsideration_requested") return 2;
    TRY(Act(conn, police, id, t, "uphold", {{"reason", "经复议，维持原不予立案决定。"}}));
    if (goal == "upheld") return 2;
    TRY(Act(conn, office.officer, id, t, "accept_decision", {}));
    return 2;
  }

  Result<int> Notice(store::Conn& conn, const Office& office, const std::string& end) {
    const std::int64_t id = TRY(
        Create(conn, office.officer, "notice",
               {{"title",
                 office.place + "关于开展" + OfDict("environment_domains") + "领域专项执法的通知"},
                {"notice_type", OfDict("notice_types")},
                {"body", "各有关单位：为加强生态环境执法协作，现就专项执法行动有关事项通知如下。"},
                {"audience_types", json::array{"public_security"}},
                {"audience_region", office.region}}));
    std::int64_t v = 1;
    if (Chance(50)) TRY(Act(conn, office.police, id, v, "read", {{"read_note", "已阅"}}));
    if (end == "withdrawn") {
      TRY(Act(conn, office.officer, id, v, "withdraw", {{"reason", "通知内容调整，撤回重发。"}}));
    } else if (end == "archived") {
      TRY(Act(conn, office.officer, id, v, "archive", {}));
    }
    return 1;
  }

  Matters& matters_;
  std::vector<Office> offices_;
  std::int64_t now_;
  std::int64_t at_ = 0;
  std::mt19937_64 random_;
  std::map<std::string, std::vector<std::string>> dicts_;
  int total_weight_ = 0;
};

// Finds or creates a unit by exact name.
Result<store::UnitRecord> EnsureUnit(Accounts& accounts, store::Database& db, const UnitInput& in,
                                     int& added) {
  std::optional<store::UnitRecord> found;
  TRY(db.Read([&](store::Conn& conn) -> Status {
    found = TRY(store::FindUnitByName(conn, in.name));
    return core::Ok();
  }));
  if (found) return *found;
  ++added;
  return accounts.CreateUnit(Accounts::CommandLine(), in, {"", "demo-volume"});
}

Status EnsureUser(Accounts& accounts, store::Database& db, UserInput in) {
  std::optional<store::UserRecord> found;
  TRY(db.Read([&](store::Conn& conn) -> Status {
    found = TRY(store::FindUserByName(conn, in.username));
    return core::Ok();
  }));
  if (found) return core::Ok();
  TRY(accounts.CreateUser(Accounts::CommandLine(), in, {"", "demo-volume"}));
  return core::Ok();
}

Result<std::int64_t> CountMatters(store::Database& db) {
  std::int64_t total = 0;
  TRY(db.Read([&](store::Conn& conn) -> Status {
    const auto counts = TRY(store::CountMattersByState(conn, {}));
    for (const auto& [state, n] : counts.by_state) total += n;
    return core::Ok();
  }));
  return total;
}

}  // namespace

Result<DemoVolumeResult> CreateDemoVolume(Accounts& accounts, Matters& matters, Evidence& evidence,
                                          store::Database& db, const Catalog& catalog,
                                          const core::RegionCatalogue& regions,
                                          const core::Clock& clock,
                                          const DemoVolumeOptions& options) {
  DemoVolumeResult result;
  result.matters_before = TRY(CountMatters(db));
  result.matters_after = result.matters_before;
  if (result.matters_before >= options.matters) return result;

  const std::int64_t now = clock.NowMs();
  std::vector<Office> offices;
  {
    Office huzhou;
    huzhou.region = "330500";
    huzhou.place = "湖州市";
    huzhou.officer = TRY(DemoPrincipal(db, catalog, "hzhb_officer"));
    huzhou.police = TRY(DemoPrincipal(db, catalog, "hzga_officer"));
    for (const char* name : {"hzzr_officer", "hzsl_officer", "hzly_officer", "hzny_officer"}) {
      huzhou.partners.push_back(TRY(DemoPrincipal(db, catalog, name)));
    }
    huzhou.procurator = TRY(DemoPrincipal(db, catalog, "hzjc_procurator"));
    offices.push_back(std::move(huzhou));
  }

  // A county bureau and police bureau for every county-level region.
  std::string hash;
  const std::string year = core::ChinaDate(now).substr(0, 4);
  const int y = std::stoi(year);
  for (const core::Region* city : regions.Children("330000")) {
    std::string city_name = city->name;
    for (const core::Region* county : regions.Children(city->code)) {
      if (county->name == "市辖区") continue;
      const std::string& code = county->code;
      const std::string city_label = city_name == "市辖区" ? std::string() : city_name;
      int added = 0;
      UnitInput eco{city_label + "生态环境局" + county->name + "分局",
                    "ecology_environment",
                    code,
                    std::nullopt,
                    "执法队",
                    "0570-" + code.substr(2)};
      const store::UnitRecord eco_unit = TRY(EnsureUnit(accounts, db, eco, added));
      UnitInput police{city_label + "公安局" + county->name + "分局",
                       "public_security",
                       code,
                       std::nullopt,
                       "环食药侦大队",
                       "0570-" + code.substr(2)};
      const store::UnitRecord police_unit = TRY(EnsureUnit(accounts, db, police, added));
      result.units_added += added;
      if (hash.empty()) {
        hash = TRY(crypto::HashPassword(options.password, accounts.policy().hash_params));
      }
      UserInput officer;
      officer.username = "zj" + code + "_officer";
      officer.display_name = county->name + "执法员";
      officer.unit_id = eco_unit.id;
      officer.roles = {"enforcement_officer"};
      officer.password = options.password;
      officer.password_hash = hash;
      officer.totp_exempt = true;
      officer.certificate =
          store::Certificate{"浙" + code + year, "浙江省人民政府", std::to_string(y - 6) + "-01-01",
                             std::to_string(y + 4) + "-12-31"};
      TRY(EnsureUser(accounts, db, officer));
      UserInput officer_police = officer;
      officer_police.username = "zj" + code + "_police";
      officer_police.display_name = county->name + "民警";
      officer_police.unit_id = police_unit.id;
      officer_police.roles = {"police_officer"};
      officer_police.certificate.reset();
      TRY(EnsureUser(accounts, db, officer_police));

      Office office;
      office.region = code;
      office.place = city_label + county->name;
      office.officer = TRY(DemoPrincipal(db, catalog, officer.username));
      office.police = TRY(DemoPrincipal(db, catalog, officer_police.username));
      office.partners.push_back(office.police);
      offices.push_back(std::move(office));
    }
  }
  // Huzhou's procuratorate covers its counties too (it is copied there).
  for (Office& office : offices) {
    if (office.region.starts_with("3305")) office.procurator = offices.front().procurator;
  }
  int seed = 100;
  for (Office& office : offices) office.photo = TRY(DemoPhoto(evidence, office.officer, ++seed));

  Generator generator(matters, catalog, std::move(offices), now, options.seed);
  const std::int64_t target = options.matters;
  std::int64_t total = result.matters_before;
  while (total < target) {
    std::int64_t made = 0;
    TRY(db.Write([&](store::Conn& conn) -> Status {
      made = 0;
      for (int i = 0; i < options.stories_per_write && total + made < target; ++i) {
        made += TRY(generator.Run(conn, target - total - made));
      }
      return core::Ok();
    }));
    total += made;
    if (options.progress) options.progress(total, target);
  }
  result.matters_after = total;
  return result;
}

}  // namespace lvyuan::domain
