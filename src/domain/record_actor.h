// The actor of a record event: who caused it, from the request's principal.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/principal.h"
#include "record/log.h"

namespace lvyuan::domain {

// The principal's user id, name and unit; ids of 0 (an API token without a
// user, a command-line operator) are left out.
inline record::Actor ActorOf(const Principal& who) {
  record::Actor actor;
  if (who.user_id != 0) actor.user_id = who.user_id;
  actor.username = who.username;
  if (who.unit_id != 0) actor.unit_id = who.unit_id;
  return actor;
}

}  // namespace lvyuan::domain
