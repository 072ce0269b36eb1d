// The canonical byte form of events: what the Merkle leaves hash, so anyone
// holding an event can recompute its leaf hash. docs/record-format.md is the
// normative description; this is its implementation.
//
// Canonical JSON (after RFC 8785, with two simplifications):
//   - no whitespace; object members sorted by the bytes of their UTF-8 keys
//     (keys are unique: a parsed duplicate keeps one value);
//   - strings in UTF-8, escaping only " \ and the control characters
//     (\b \f \n \r \t, others as \u00xx with lower-case hex);
//   - numbers are integers only (-2^63 .. 2^64-1) in shortest decimal form;
//     a floating-point number is refused, so amounts go in as integers
//     (fen) or strings;
//   - true, false, null as themselves.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/record.h"

namespace lvyuan::record {

// Appends `text` as a canonical JSON string (quoted; only " \ and the
// control characters escaped).
void AppendCanonicalString(std::string& out, std::string_view text);

// Appends the canonical form of one event (as CanonicalEvent) built from its
// members directly, without a JSON document: the members are written in
// their canonical order and the changes, files and detail columns are copied
// as they are, unchecked — for callers that know them canonical (the writer,
// which has just produced them; the verifier, after checking them). Pure;
// thread-safe (a per-thread cache keeps the date of the last time written).
void AppendCanonicalEventUnchecked(const store::EventView& event, std::string& out);

// The canonical text of `value`. InvalidArgument for a floating-point
// number anywhere inside.
core::Result<std::string> CanonicalJson(const boost::json::value& value);

// Parses `text` and requires it to be in canonical form already, of the
// given kind (object or array). DataLoss naming `what` otherwise: stored
// JSON that is not canonical was not written by lvyuan.
core::Result<boost::json::value> ParseCanonical(std::string_view text, boost::json::kind kind,
                                                std::string_view what);

// The canonical form of one event (format version 1): a JSON object with
// the members v, seq, at, actor {user_id, username, unit_id}, action,
// object {type, id}, outcome, changes, files, client_ip, request_id,
// detail. DataLoss when a stored JSON column is not canonical.
core::Result<std::string> CanonicalEvent(const store::EventRecord& event);
// The same, with the three JSON members given as values (not parsed from
// the event's columns, which are ignored): for the writer, which has them.
core::Result<std::string> CanonicalEventWith(const store::EventRecord& event,
                                             boost::json::value changes, boost::json::value files,
                                             boost::json::value detail);

}  // namespace lvyuan::record
