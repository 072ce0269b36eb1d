// Typed access to the whole-process record's tables: events, the stored
// nodes of their Merkle tree, checkpoints and witness cosignatures. The
// tables are append-only (the schema refuses UPDATE and DELETE), so this
// file has inserts and reads only. What the rows mean and how they are
// hashed is src/record's business and docs/record-format.md's.
//
// Every function runs inside the caller's transaction and returns the
// store's errors unchanged (see database.h). Times are unix milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

struct EventRecord {
  std::int64_t seq = 0;  // 1-based; the Merkle leaf index is seq - 1
  std::int64_t at = 0;
  std::optional<std::int64_t> actor_user_id;
  std::string actor_username;
  std::optional<std::int64_t> actor_unit_id;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string outcome;         // ok | denied | failed
  std::string changes = "{}";  // canonical JSON object
  std::string files = "[]";    // canonical JSON array
  std::string client_ip;
  std::string request_id;
  std::string detail = "{}";  // canonical JSON object
  Blob leaf_hash;
};

// An event row in place (ScanEventViews): the same members as EventRecord,
// as views valid only during the callback that receives it.
struct EventView {
  std::int64_t seq = 0;
  std::int64_t at = 0;
  std::optional<std::int64_t> actor_user_id;
  std::string_view actor_username;
  std::optional<std::int64_t> actor_unit_id;
  std::string_view action;
  std::string_view object_type;
  std::string_view object_id;
  std::string_view outcome;
  std::string_view changes;
  std::string_view files;
  std::string_view client_ip;
  std::string_view request_id;
  std::string_view detail;
  std::span<const std::uint8_t> leaf_hash;
};
// A view of `event`, valid while it lives unchanged.
EventView ViewOf(const EventRecord& event);

struct EventFilter {
  std::string action_prefix;
  std::string action;  // exact
  std::string actor_username;
  std::optional<std::int64_t> actor_unit_id;
  std::string outcome;
  std::string object_type;
  std::string object_id;
  std::string request_id;
  std::optional<std::int64_t> from_ms;
  std::optional<std::int64_t> to_ms;
  std::int64_t before_seq = 0;  // keyset cursor, newest first; 0 = from the newest
  int limit = 50;
};

// Inserts one event; its seq must be the next one (the caller computes it).
// AlreadyExists when that seq is taken.
Status AppendEvent(Conn& conn, const EventRecord& event);
// The newest event's seq and leaf hash, nullopt for an empty log.
Result<std::optional<std::pair<std::int64_t, Blob>>> LastEvent(Conn& conn);
Result<std::optional<EventRecord>> FindEvent(Conn& conn, std::int64_t seq);
// Newest first, filtered.
Result<std::vector<EventRecord>> ListEvents(Conn& conn, const EventFilter& filter);
// Oldest first: the events with seq > after_seq, at most limit of them.
Result<std::vector<EventRecord>> ScanEvents(Conn& conn, std::int64_t after_seq, int limit);
// The same events, streamed (Conn::QueryEach): fn sees each in turn without
// an EventRecord being built. An error from fn stops the scan and is
// returned. fn must not use conn.
Status ScanEventViews(Conn& conn, std::int64_t after_seq, int limit,
                      const std::function<Status(const EventView&)>& fn);

// The leaf hash of leaf index `index` (seq index + 1), nullopt when absent.
Result<std::optional<Blob>> FindLeafHash(Conn& conn, std::int64_t index);
// The stored hash of node (level >= 1, idx), nullopt when absent.
Result<std::optional<Blob>> FindNode(Conn& conn, int level, std::int64_t idx);
Status PutNode(Conn& conn, int level, std::int64_t idx, const Blob& hash);
// Every stored node of one level with idx in [from, to), in idx order.
Result<std::vector<std::pair<std::int64_t, Blob>>> ListNodes(Conn& conn, int level,
                                                             std::int64_t from, std::int64_t to);
// The same nodes, streamed: fn(idx, hash) with the hash valid during the call.
Status ScanNodes(Conn& conn, int level, std::int64_t from, std::int64_t to,
                 const std::function<Status(std::int64_t, std::span<const std::uint8_t>)>& fn);

struct CheckpointRecord {
  std::int64_t size = 0;
  Blob root;
  std::int64_t at = 0;
  std::string body;  // the signed text
  std::string key_id;
  Blob signature;
};

// AlreadyExists when a checkpoint of that size exists.
Status PutCheckpoint(Conn& conn, const CheckpointRecord& checkpoint);
Result<std::optional<CheckpointRecord>> LatestCheckpoint(Conn& conn);
Result<std::optional<CheckpointRecord>> FindCheckpoint(Conn& conn, std::int64_t size);
// Oldest first: checkpoints with size > after_size, at most limit.
Result<std::vector<CheckpointRecord>> ListCheckpoints(Conn& conn, std::int64_t after_size,
                                                      int limit);

// One stored evidence file (record_files, migration 0004) as the verifier
// needs it: its address and the digests and size recorded when it was stored.
struct StoredFile {
  std::string sm3;  // 64 lower-case hex digits: the blob store address
  std::string sha256;
  std::int64_t size = 0;
  std::int64_t first_event_seq = 0;  // the oldest event entering it as evidence; 0 if none
};

// Files in sm3 order with sm3 > after_sm3, at most limit of them.
Result<std::vector<StoredFile>> ListStoredFiles(Conn& conn, std::string_view after_sm3, int limit);
// The stored file of that SM3 address, nullopt when none.
Result<std::optional<StoredFile>> FindStoredFile(Conn& conn, std::string_view sm3);

struct CosignatureRecord {
  std::int64_t size = 0;
  std::string witness;
  std::string key_id;
  Blob signature;
  std::int64_t at = 0;
};

// AlreadyExists when that witness has cosigned that size.
Status PutCosignature(Conn& conn, const CosignatureRecord& cosignature);
Result<std::vector<CosignatureRecord>> ListCosignatures(Conn& conn, std::int64_t size);

}  // namespace lvyuan::store
