// Definitions as JSON for the UI (GET /api/v1/workflows): everything needed to
// render a kind's forms, action buttons and state chips without kind-specific
// code — fields with their limits and dictionary items, states, the create
// form and actions with their actor rules, deadlines with their durations.
// Guards, notifications and effects stay on the server. The shape is
// documented in docs/workflows.md ("What the UI receives").
//
// Thread safety: pure functions of a loaded (immutable) definition.
#pragma once

#include <boost/json.hpp>

#include "workflow/registry.h"

namespace lvyuan::workflow {

boost::json::object DefinitionToJson(const Definition& def);
// {"workflows": [DefinitionToJson(def) for every definition, ordered by kind]}.
boost::json::object RegistryToJson(const Registry& registry);

}  // namespace lvyuan::workflow
