// The named guards the shipped definitions use: C++ checks an action's
// definition lists under "guards", run by PlanCreate/PlanAction after the
// fields are validated. A guard returns Ok, or an error whose message (in
// Chinese, shown to the user) and field the engine passes on as
// FailedPrecondition.
//
//   has_attachment   at least one file in some files field of the matter
//                    (after the action): 请至少上传一份附件
//   reason_given     the form's "reason" field is filled with at least two
//                    characters: 请说明理由
//   not_own_unit     no unit or units field of the form names the acting
//                    unit: 不能移送给本单位
//   not_inviting_own_unit  as not_own_unit, for invitations and assignments
//                    (会商、联席会议、交办): 不能选择本单位
//   recipients_not_copied  no unit is both in "recipients"/"recipient" and in
//                    "copied_units": 同一单位不能既是接收单位又是抄送单位
//
// Thread safety: the guards are pure functions of their GuardContext.
#pragma once

#include "workflow/registry.h"

namespace lvyuan::workflow {

// A registry holding the guards above; add a deployment's own with Register.
GuardRegistry BuiltinGuards();

}  // namespace lvyuan::workflow
