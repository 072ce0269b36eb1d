// The whole-process record's log: every event appended in the transaction
// of the change it records, the Merkle tree over the events kept in the
// store, and the tree's roots and proofs at any size.
//
// Storage (store/record.h): each event row carries its leaf hash; every
// perfect subtree of two or more leaves has a row in record_nodes. An append
// writes the event and amortised one node (at most log2 n), reading nothing
// but the newest event: the right-edge frontier of the tree is cached in
// memory and checked against the newest stored event on every append, so a
// rolled-back transaction or a write by another process makes the cache
// reload (O(log n) reads) instead of going wrong. Roots and proofs read
// O(log n) stored nodes.
//
// Thread-safe. Append must run inside a Database::Write transaction; the
// reading functions inside Write or Read.
#pragma once

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "record/merkle.h"
#include "store/database.h"
#include "store/record.h"

namespace lvyuan::record {

// Who did it. All empty for the system itself.
struct Actor {
  std::optional<std::int64_t> user_id;
  std::string username;
  std::optional<std::int64_t> unit_id;
};

struct EventInput {
  Actor actor;
  std::string action;  // dotted name: "unit.update", "auth.login"
  std::string object_type;
  std::string object_id;
  std::string outcome = "ok";  // ok | denied | failed
  // Changed fields: {"name": {"before": "…", "after": "…"}}.
  boost::json::object changes;
  // Attached files: [{"sm3": "…", "sha256": "…", "size": n, "name": "…"}].
  boost::json::array files;
  std::string client_ip;
  std::string request_id;
  // Anything else worth keeping (a refusal's reason, a created object's key
  // fields). No floating-point numbers anywhere (see canonical.h).
  boost::json::object detail;
};

struct TreeHead {
  std::uint64_t size = 0;
  Hash root{};
};

// The settings key that fixes a deployment's tree hash for good.
inline constexpr std::string_view kHashSetting = "record.hash";

std::string_view HashAlgorithmName(HashAlgorithm algorithm);  // "sm3" | "sha256"
core::Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name);

class Log {
 public:
  // Opens the log of `db` (migrated). The first open of a deployment stores
  // `configured` as its hash; later opens use the stored one and fail with
  // FailedPrecondition (field "record.hash") when `configured` differs, as
  // changing the hash of an existing log would break every proof.
  static core::Result<std::unique_ptr<Log>> Open(store::Database& db, const core::Clock& clock,
                                                 HashAlgorithm configured);

  HashAlgorithm algorithm() const { return algorithm_; }

  // Appends one event in the caller's write transaction and returns it as
  // stored (seq, time, canonical JSON columns, leaf hash). InvalidArgument
  // for an empty action, a bad outcome or a floating-point number in the
  // JSON members. If the transaction rolls back, so does the event.
  core::Result<store::EventRecord> Append(store::Conn& conn, const EventInput& input);

  // The tree of every event visible in this transaction.
  core::Result<TreeHead> Head(store::Conn& conn);
  // Root at an earlier size; OutOfRange beyond the current size.
  core::Result<Hash> RootAt(store::Conn& conn, std::uint64_t size);
  // Inclusion proof of event `seq` (leaf seq - 1) in the tree of `size`.
  core::Result<std::vector<Hash>> InclusionProof(store::Conn& conn, std::int64_t seq,
                                                 std::uint64_t size);
  core::Result<std::vector<Hash>> ConsistencyProof(store::Conn& conn, std::uint64_t from,
                                                   std::uint64_t to);

  // Events appended through this object since it was opened (committed or
  // not); the checkpointer polls it to know when N events have passed.
  std::uint64_t appended() const { return appended_.load(std::memory_order_relaxed); }

 private:
  Log(const core::Clock& clock, HashAlgorithm algorithm) : clock_(clock), algorithm_(algorithm) {}

  // The cached frontier, reloaded when it does not describe the newest
  // stored event. Caller holds mu_.
  core::Status SyncFrontier(store::Conn& conn);
  Hash FrontierRoot() const;

  const core::Clock& clock_;
  const HashAlgorithm algorithm_;
  std::atomic<std::uint64_t> appended_{0};

  std::mutex mu_;
  std::uint64_t size_ = 0;  // leaves the frontier describes
  Hash last_leaf_{};
  // frontier_[l]: the perfect subtree of 2^l leaves on the right edge, set
  // when bit l of size_ is 1.
  std::vector<std::optional<Hash>> frontier_;
};

// A NodeSource reading the stored tree through one connection.
class StoredTree : public NodeSource {
 public:
  StoredTree(store::Conn& conn, HashAlgorithm algorithm, std::uint64_t size)
      : conn_(conn), algorithm_(algorithm), size_(size) {}
  HashAlgorithm algorithm() const override { return algorithm_; }
  std::uint64_t size() const override { return size_; }
  // DataLoss when the node is missing or not a hash.
  core::Result<Hash> Node(int level, std::uint64_t index) const override;

 private:
  store::Conn& conn_;
  HashAlgorithm algorithm_;
  std::uint64_t size_;
};

// Converts a stored BLOB to a Hash; DataLoss naming `what` unless 32 bytes.
core::Result<Hash> ToHash(const store::Blob& blob, std::string_view what);

}  // namespace lvyuan::record
