#include "workflow/guards.h"

#include <algorithm>

#include "core/strings.h"
#include "workflow/engine.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;

std::vector<std::int64_t> Ids(const json::object& fields, std::string_view name) {
  return IdsOf(fields.if_contains(name));
}

Status HasAttachment(const GuardContext& c) {
  std::string first;
  for (const FieldDef& field : c.definition.fields) {
    if (field.type != FieldType::kFiles) continue;
    if (first.empty()) first = field.name;
    if (!Ids(c.fields, field.name).empty()) return core::Ok();
  }
  return core::FailedPrecondition("请至少上传一份附件", first);
}

Status ReasonGiven(const GuardContext& c) {
  const json::value* reason = c.input.if_contains("reason");
  if (reason != nullptr && reason->is_string() &&
      core::Utf8Length(core::TrimBlanks(std::string_view(reason->as_string()))) >= 2) {
    return core::Ok();
  }
  return core::FailedPrecondition("请说明理由", "reason");
}

// Refuses, naming the field, when a unit field of the action's form picks the
// acting unit itself.
Status RefuseActingUnitIn(const GuardContext& c, const char* message) {
  for (const std::string& name : c.action.fields) {
    const FieldDef* field = c.definition.FindField(name);
    if (field == nullptr || (field->type != FieldType::kUnit && field->type != FieldType::kUnits)) {
      continue;
    }
    const auto ids = Ids(c.input, name);
    if (std::find(ids.begin(), ids.end(), c.actor.unit_id) != ids.end()) {
      return core::FailedPrecondition(message, name);
    }
  }
  return core::Ok();
}

Status NotOwnUnit(const GuardContext& c) { return RefuseActingUnitIn(c, "不能移送给本单位"); }

Status NotInvitingOwnUnit(const GuardContext& c) { return RefuseActingUnitIn(c, "不能选择本单位"); }

Status RecipientsNotCopied(const GuardContext& c) {
  auto recipients = Ids(c.fields, "recipients");
  for (std::int64_t id : Ids(c.fields, "recipient")) recipients.push_back(id);
  for (std::int64_t id : Ids(c.fields, "copied_units")) {
    if (std::find(recipients.begin(), recipients.end(), id) != recipients.end()) {
      return core::FailedPrecondition("同一单位不能既是接收单位又是抄送单位", "copied_units");
    }
  }
  return core::Ok();
}

}  // namespace

GuardRegistry BuiltinGuards() {
  GuardRegistry guards;
  guards.Register("has_attachment", HasAttachment);
  guards.Register("reason_given", ReasonGiven);
  guards.Register("not_own_unit", NotOwnUnit);
  guards.Register("recipients_not_copied", RecipientsNotCopied);
  guards.Register("not_inviting_own_unit", NotInvitingOwnUnit);
  return guards;
}

}  // namespace lvyuan::workflow
