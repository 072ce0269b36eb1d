// Subjects (行政相对人) for business users: the people and organisations
// matters are about, looked up by name, credit code or ID number.
//
// Visibility follows the matters: a subject exists for a caller only when a
// matter naming it (matters.subject_id) is visible to the caller's unit
// (every matter with kMatterScopeAllPermission); anything else — a missing
// id or a subject only other units deal with — is NotFound with one message,
// so the directory does not tell who is under investigation elsewhere.
// Every operation needs kMatterReadPermission (the command line aside).
//
// ID numbers: a person's number is shown masked (330502********1231, as in
// matter fields). It is unsealed (field key, kSubjectIdNumberContext) only
// for a caller whose unit takes part in a matter of the subject with one of
// kIdNumberRelations — the unit that entered it or was handed the case and
// must identify the person; copied, supervising, shared units and the
// matter:scope:all readers see the masked form. Every unmasked view is
// recorded (调阅监督) as a "subject.view" event on ("subject", "<id>") in
// the same transaction that decides it; masked views, like matter details,
// are not.
//
// Thread-safe: the members are read-only and each operation runs in its own
// transaction.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/field_cipher.h"
#include "domain/accounts.h"
#include "domain/principal.h"
#include "record/log.h"
#include "store/database.h"
#include "store/matters.h"

namespace lvyuan::domain {

// The participant relations whose units are shown a subject's ID number.
inline constexpr std::array<std::string_view, 2> kIdNumberRelations = {"owner", "recipient"};
// The record action of an unmasked view.
inline constexpr std::string_view kSubjectViewAction = "subject.view";

// A subject as a caller may see it. The sealed number and the blind index
// of `subject` are always cleared.
struct SubjectView {
  store::SubjectRecord subject;
  // The ID number in plain, only when shown (see the file comment).
  std::optional<std::string> id_number;
  // The caller's unit's relations to the matters naming the subject, sorted.
  std::vector<std::string> relations;
};

struct SubjectQuery {
  // A valid ID number (matched through its blind index) or unified social
  // credit code (exact), letters in either case; anything else is a name
  // prefix; empty lists every subject the caller may see.
  std::string q;
  std::int64_t after_id = 0;  // cursor: the last id of the previous page
  int limit = 20;             // 1..100
};

// How a query was read: "id_number" | "credit_code" | "name" | "all".
struct SubjectSearch {
  Page<store::SubjectRecord> page;  // sealed number and blind index cleared
  std::string matched_by;
};

class Subjects {
 public:
  // All references must outlive this object.
  Subjects(store::Database& db, record::Log& log, const crypto::FieldCipher& cipher);

  // The subjects matching the query that the caller may see, by id.
  // PermissionDenied without kMatterReadPermission or, without
  // kMatterScopeAllPermission, a unit; InvalidArgument (field "q") for a
  // query over 100 characters, (field "limit") outside 1..100.
  Result<SubjectSearch> Search(const Principal& who, const SubjectQuery& query);

  // One subject. NotFound ("行政相对人不存在") when it does not exist or the
  // caller may not see it; PermissionDenied as Search. Records the read when
  // the ID number is shown.
  Result<SubjectView> Get(const Principal& who, std::int64_t id, const RequestMeta& meta);

 private:
  struct Found {
    store::SubjectRecord subject;
    std::vector<std::string> relations;
    bool shows_id_number = false;
  };
  Status CheckReader(const Principal& who) const;
  Result<std::optional<Found>> Find(store::Conn& conn, const Principal& who, std::int64_t id) const;

  store::Database& db_;
  record::Log& log_;
  const crypto::FieldCipher& cipher_;
};

}  // namespace lvyuan::domain
