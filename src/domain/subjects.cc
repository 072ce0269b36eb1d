#include "domain/subjects.h"

#include <algorithm>
#include <utility>

#include "core/strings.h"
#include "core/validators.h"
#include "domain/matters.h"
#include "domain/record_actor.h"
#include "store/subjects.h"

namespace lvyuan::domain {
namespace json = boost::json;

namespace {

constexpr std::string_view kNotFound = "行政相对人不存在";
constexpr std::size_t kMaxQueryChars = 100;
constexpr int kMaxLimit = 100;

bool SeesAll(const Principal& who) {
  return who.via == Principal::Via::kCommandLine || who.Has(kMatterScopeAllPermission);
}

std::string AsciiUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// What leaves the domain: never the sealed number or its blind index.
store::SubjectRecord Cleared(store::SubjectRecord subject) {
  subject.id_number_sealed.reset();
  subject.id_number_index.reset();
  return subject;
}

bool NeedsIdNumber(const std::vector<std::string>& relations) {
  return std::any_of(relations.begin(), relations.end(), [](const std::string& relation) {
    return std::find(kIdNumberRelations.begin(), kIdNumberRelations.end(), relation) !=
           kIdNumberRelations.end();
  });
}

}  // namespace

Subjects::Subjects(store::Database& db, record::Log& log, const crypto::FieldCipher& cipher)
    : db_(db), log_(log), cipher_(cipher) {}

Status Subjects::CheckReader(const Principal& who) const {
  if (who.via != Principal::Via::kCommandLine && !who.Has(kMatterReadPermission)) {
    return core::PermissionDenied("没有查看、办理事项的权限");
  }
  if (!SeesAll(who) && who.unit_id == 0) {
    return core::PermissionDenied("行政相对人须由成员单位的用户查看");
  }
  return core::Ok();
}

Result<SubjectSearch> Subjects::Search(const Principal& who, const SubjectQuery& query) {
  TRY(CheckReader(who));
  if (query.limit < 1 || query.limit > kMaxLimit) {
    return core::InvalidArgument("每页条数应为 1 到 100", "limit");
  }
  const std::string_view q = core::TrimBlanks(query.q);
  if (core::Utf8Length(q) > kMaxQueryChars) {
    return core::InvalidArgument("查询内容不能超过 100 个字", "q");
  }
  SubjectSearch out;
  store::SubjectFilter filter;
  if (!SeesAll(who)) filter.visible_to_unit = who.unit_id;
  const std::string code = AsciiUpper(q);
  if (q.empty()) {
    out.matched_by = "all";
  } else if (core::ValidateIdNumber(code).ok()) {
    out.matched_by = "id_number";
    filter.id_number_index = cipher_.BlindIndex(code, kSubjectIdNumberContext);
  } else if (core::ValidateUscc(code).ok()) {
    out.matched_by = "credit_code";
    filter.credit_code = code;
  } else {
    out.matched_by = "name";
    filter.name_prefix = std::string(q);
  }
  filter.after_id = query.after_id;
  filter.limit = query.limit + 1;
  std::vector<store::SubjectRecord> rows;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    rows = TRY(store::ListSubjects(conn, filter));
    return core::Ok();
  }));
  const bool more = rows.size() > static_cast<std::size_t>(query.limit);
  if (more) rows.resize(static_cast<std::size_t>(query.limit));
  for (store::SubjectRecord& row : rows) out.page.items.push_back(Cleared(std::move(row)));
  if (more) out.page.next_after = out.page.items.back().id;
  return out;
}

Result<std::optional<Subjects::Found>> Subjects::Find(store::Conn& conn, const Principal& who,
                                                      std::int64_t id) const {
  auto subject = TRY(store::FindSubject(conn, id));
  if (!subject) return std::optional<Found>();
  std::optional<std::int64_t> unit;
  if (!SeesAll(who)) unit = who.unit_id;
  const bool visible = TRY(store::IsSubjectVisibleTo(conn, id, unit));
  if (!visible) return std::optional<Found>();
  Found found;
  if (who.unit_id != 0) found.relations = TRY(store::SubjectRelationsOf(conn, id, who.unit_id));
  found.shows_id_number = subject->kind == "person" && subject->id_number_sealed.has_value() &&
                          NeedsIdNumber(found.relations);
  found.subject = std::move(*subject);
  return std::optional<Found>(std::move(found));
}

Result<SubjectView> Subjects::Get(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  TRY(CheckReader(who));
  std::optional<Found> found;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    found = TRY(Find(conn, who, id));
    return core::Ok();
  }));
  if (!found) return core::NotFound(std::string(kNotFound));
  if (found->shows_id_number) {
    // Decided again where the read is recorded, so what is shown and what
    // the record says cannot differ.
    TRY(db_.Write([&](store::Conn& conn) -> Status {
      found = TRY(Find(conn, who, id));
      if (!found || !found->shows_id_number) return core::Ok();
      record::EventInput e;
      e.actor = ActorOf(who);
      e.action = kSubjectViewAction;
      e.object_type = "subject";
      e.object_id = std::to_string(id);
      e.client_ip = meta.client_ip;
      e.request_id = meta.request_id;
      json::array relations;
      for (const std::string& relation : found->relations) relations.emplace_back(relation);
      e.detail =
          json::object{{"shown", json::array{"id_number"}}, {"relations", std::move(relations)}};
      TRY(log_.Append(conn, e));
      return core::Ok();
    }));
    if (!found) return core::NotFound(std::string(kNotFound));
  }
  SubjectView view;
  if (found->shows_id_number) {
    view.id_number =
        TRY(cipher_.Open(found->subject.id_number_sealed.value_or(""), kSubjectIdNumberContext));
  }
  view.relations = std::move(found->relations);
  view.subject = Cleared(std::move(found->subject));
  return view;
}

}  // namespace lvyuan::domain
