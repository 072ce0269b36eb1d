#include "http/route_helpers.h"
#include "http/routes.h"

namespace lvyuan::http {

// The evidence routes arrive with domain::Evidence; until then none.
void AddEvidenceRoutes(Router& /*router*/, const Services& /*services*/) {}

}  // namespace lvyuan::http
