#include "record/verify.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "record/blob_store.h"
#include "record/canonical.h"
#include "record/checkpoint.h"
#include "record/log.h"
#include "store/accounts.h"

namespace lvyuan::record {
namespace json = boost::json;
namespace {

// ---- The canonical event without a JSON document ----------------------------

// One pass over canonical JSON text. Accepts a strict subset of what
// ParseCanonical accepts: nesting up to kMaxDepth, strict UTF-8 (RFC 3629),
// canonical escapes, integers in range, keys strictly increasing.
class CanonicalChecker {
 public:
  static constexpr int kMaxDepth = 16;

  explicit CanonicalChecker(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool Check(json::kind kind) {
    if (p_ == end_) return false;
    if (kind == json::kind::object && *p_ != '{') return false;
    if (kind == json::kind::array && *p_ != '[') return false;
    return Value(0) && p_ == end_;
  }

 private:
  bool Value(int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"': {
        std::string_view raw;
        bool escaped = false;
        return String(&raw, &escaped);
      }
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  bool Literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool Number() {
    const bool negative = p_ != end_ && *p_ == '-';
    if (negative) ++p_;
    const char* digits = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    const std::string_view d(digits, static_cast<std::size_t>(p_ - digits));
    if (d.empty() || d.size() > 20) return false;
    if (d[0] == '0' && (d.size() > 1 || negative)) return false;  // leading zero, -0
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
    if (d.size() > limit.size() || (d.size() == limit.size() && d > limit)) return false;
    return true;
  }

  // A string starting at p_ ('"'); `raw` is its text between the quotes.
  bool String(std::string_view* raw, bool* escaped) {
    ++p_;
    const char* start = p_;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *raw = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        *escaped = true;
        if (++p_ == end_) return false;
        switch (*p_) {
          case '"':
          case '\\':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            ++p_;
            break;
          case 'u': {
            if (end_ - p_ < 5 || p_[1] != '0' || p_[2] != '0') return false;
            const int hi = HexDigit(p_[3]);
            const int lo = HexDigit(p_[4]);
            if (hi < 0 || hi > 1 || lo < 0) return false;
            const int v = hi * 16 + lo;
            if (v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t') return false;
            p_ += 5;
            break;
          }
          default:
            return false;
        }
        continue;
      }
      if (c < 0x80) {
        ++p_;
        continue;
      }
      if (!Utf8Sequence()) return false;
    }
    return false;
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // upper case is not canonical
  }

  bool Utf8Sequence() {
    const auto b0 = static_cast<unsigned char>(*p_);
    int more = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      more = 1;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      more = 2;
      if (b0 == 0xe0) lo = 0xa0;
      if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      more = 3;
      if (b0 == 0xf0) lo = 0x90;
      if (b0 == 0xf4) hi = 0x8f;
    } else {
      return false;
    }
    if (end_ - p_ <= more) return false;
    for (int i = 1; i <= more; ++i) {
      const auto b = static_cast<unsigned char>(p_[i]);
      if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
    }
    p_ += more + 1;
    return true;
  }

  static std::string Unescape(std::string_view raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        out += raw[i];
        continue;
      }
      const char e = raw[++i];
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          out += static_cast<char>(HexDigit(raw[i + 3]) * 16 + HexDigit(raw[i + 4]));
          i += 4;
          break;
        default:
          out += e;  // " or backslash
      }
    }
    return out;
  }

  bool Object(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    std::string_view previous;
    std::string previous_unescaped;
    bool first = true;
    while (true) {
      if (p_ == end_ || *p_ != '"') return false;
      std::string_view key;
      bool escaped = false;
      if (!String(&key, &escaped)) return false;
      if (escaped) {
        std::string unescaped = Unescape(key);
        if (!first && !(std::string_view(previous_unescaped) < std::string_view(unescaped))) {
          return false;
        }
        previous_unescaped = std::move(unescaped);
      } else {
        if (!first && !(std::string_view(previous_unescaped) < key)) return false;
        previous_unescaped.assign(key);
      }
      first = false;
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      if (!Value(depth)) return false;
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  bool Array(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      if (!Value(depth)) return false;
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',') return false;
      ++p_;
    }
  }

  const char* p_;
  const char* end_;
};

core::Status CheckColumn(std::string_view text, json::kind kind, std::string_view what) {
  if (IsPlainCanonicalJson(text, kind)) return core::Ok();
  TRY(ParseCanonical(text, kind, what));  // decides, and says why
  return core::Ok();
}

core::Status WriteCanonicalEvent(const store::EventView& e, std::string& out) {
  TRY(CheckColumn(e.changes, json::kind::object, "changes"));
  TRY(CheckColumn(e.files, json::kind::array, "files"));
  TRY(CheckColumn(e.detail, json::kind::object, "detail"));
  AppendCanonicalEventUnchecked(e, out);
  return core::Ok();
}

// ---- Hashing with reused contexts --------------------------------------------

class TreeHasher {
 public:
  explicit TreeHasher(HashAlgorithm algorithm) : hasher_(algorithm) {}
  Hash Leaf(std::string_view data) {
    static constexpr std::uint8_t kPrefix = 0x00;
    hasher_.Update(std::span<const std::uint8_t>(&kPrefix, 1));
    hasher_.Update(data);
    return hasher_.Finish();
  }
  Hash Node(const Hash& left, const Hash& right) {
    std::array<std::uint8_t, 65> buf;
    buf[0] = 0x01;
    std::memcpy(buf.data() + 1, left.data(), 32);
    std::memcpy(buf.data() + 33, right.data(), 32);
    hasher_.Update(buf);
    return hasher_.Finish();
  }

 private:
  crypto::Hasher hasher_;
};

bool SameHash(const store::Blob& stored, const Hash& computed) {
  return stored.size() == computed.size() &&
         std::memcmp(stored.data(), computed.data(), computed.size()) == 0;
}

std::string Seq(std::int64_t seq) { return std::to_string(seq); }

// ---- The verifier --------------------------------------------------------------

// A stored hash as read: absent, present (32 bytes, in `hash`) or present but
// not 32 bytes long (which no computed hash equals).
enum class Stored : std::uint8_t { kAbsent, kHash, kWrongSize };

Stored CopyStored(std::span<const std::uint8_t> bytes, Hash& hash) {
  if (bytes.size() != hash.size()) return Stored::kWrongSize;
  std::memcpy(hash.data(), bytes.data(), hash.size());
  return Stored::kHash;
}

struct LevelNodes {
  std::uint64_t from = 0;
  std::vector<Hash> hashes;    // [idx - from]
  std::vector<Stored> stored;  // [idx - from]
};

// What the hashing thread needs of one event row.
struct EventSlot {
  std::int64_t seq = 0;
  Hash leaf{};  // the stored leaf hash
  Stored stored = Stored::kAbsent;
};

// Leaves are hashed in chunks of this many events, claimed by whichever
// thread is free (see Batch::HashChunk).
constexpr std::size_t kLeafChunk = 64;

// One batch of events as the reading thread hands it to the hashing thread.
struct Batch {
  std::vector<EventSlot> events;
  std::string text;               // the canonical events, back to back
  std::vector<std::size_t> ends;  // where each event's text ends
  std::size_t bad_index = std::numeric_limits<std::size_t>::max();  // first without one
  std::string bad_message;
  std::vector<LevelNodes> nodes;  // per level: the stored nodes this batch completes
  std::deque<store::CheckpointRecord> checkpoints;  // the sizes this batch reaches
  // VerifyCheckpoint of each of `checkpoints`, checked by the reading thread
  // (signature checks are slow, and need nothing from the tree).
  std::deque<core::Status> signatures;

  // The leaf hash of each canonical event, computed chunk by chunk by both
  // threads; leaves[i] is valid once every chunk is done.
  std::vector<Hash> leaves;
  std::size_t chunks = 0;
  std::atomic<std::size_t> next_chunk{0};
  std::atomic<std::size_t> chunks_done{0};

  std::string_view Canonical(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text.data() + begin, ends[i] - begin);
  }
  // Sizes the leaves once the canonical forms are written.
  void PrepareLeaves() {
    leaves.resize(ends.size());
    chunks = (ends.size() + kLeafChunk - 1) / kLeafChunk;
  }
  // Claims and hashes one chunk of leaves; false when none is left.
  bool HashChunk(TreeHasher& hasher) {
    const std::size_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunks) return false;
    const std::size_t last = std::min(ends.size(), (chunk + 1) * kLeafChunk);
    for (std::size_t i = chunk * kLeafChunk; i < last; ++i) leaves[i] = hasher.Leaf(Canonical(i));
    chunks_done.fetch_add(1, std::memory_order_release);
    chunks_done.notify_all();
    return true;
  }
  // Hashes chunks until none is left, then waits for those others claimed.
  void HashAllLeaves(TreeHasher& hasher) {
    while (HashChunk(hasher)) {
    }
    for (std::size_t done = chunks_done.load(std::memory_order_acquire); done < chunks;
         done = chunks_done.load(std::memory_order_acquire)) {
      chunks_done.wait(done, std::memory_order_acquire);
    }
  }
};

class Verifier;

// A one-slot hand-over from the reading thread to a hashing thread that runs
// Verifier::Process on each batch in order. While the slot is full the
// reading thread hashes leaves of the waiting batches instead of idling, so
// the two threads share the hashing. Finish (or the destructor) waits for
// the last batch. A batch is shared: the reading thread may still hold one
// it helped with after the hashing thread is done with it.
class Pipeline {
 public:
  explicit Pipeline(Verifier& verifier);
  ~Pipeline() { Finish(); }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // On the reading thread; `helper` is its own hasher.
  void Push(std::shared_ptr<Batch> batch, TreeHasher& helper) {
    std::unique_lock lock(mu_);
    while (slot_) {
      std::shared_ptr<Batch> waiting = slot_;
      lock.unlock();
      const bool helped = waiting->HashChunk(helper) || batch->HashChunk(helper);
      lock.lock();
      if (!helped) cv_.wait(lock, [&] { return slot_ != waiting; });
    }
    slot_ = std::move(batch);
    cv_.notify_all();
  }
  void Finish() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run();

  Verifier& verifier_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Batch> slot_;  // guarded by mu_
  bool finished_ = false;        // guarded by mu_
  std::thread thread_;
};

class Verifier {
 public:
  friend class Pipeline;

  Verifier(const VerifyOptions& options, const ProgressFn& progress, VerifyReport& report)
      : options_(options), progress_(progress), report_(report) {}

  // Everything that needs the snapshot. Sets report_.problem on failure.
  core::Status VerifyEvents(store::Conn& conn) {
    // The setting as text, read out of the optional at once (GCC 12 at -O3
    // wrongly warns that a string built from the optional's bytes later on
    // may read them uninitialised).
    std::optional<std::string> hash_name;
    if (auto setting = TRY(store::GetSetting(conn, kHashSetting))) {
      hash_name.emplace(reinterpret_cast<const char*>(setting->data()), setting->size());
    }
    auto last = TRY(store::LastEvent(conn));
    total_ = last ? static_cast<std::uint64_t>(std::max<std::int64_t>(last->first, 0)) : 0;
    report_.tree_size = total_;
    if (hash_name) {
      auto algorithm = ParseHashAlgorithm(*hash_name);
      if (!algorithm.ok()) {
        return Fail({.defect = Defect::kBadHashSetting,
                     .message = "记录的哈希算法设置 record.hash 已损坏，无法验证"});
      }
      report_.algorithm = *algorithm;
    } else if (total_ > 0) {
      return Fail({.defect = Defect::kBadHashSetting,
                   .message = "记录有事件，却没有哈希算法设置 record.hash，无法验证"});
    }
    hasher_.emplace(report_.algorithm);
    helper_hasher_.emplace(report_.algorithm);
    auto key = DeploymentPublicKey(conn);
    if (key.ok()) {
      key_.emplace(std::move(key).value());
    } else if (key.error().code != core::ErrorCode::kNotFound) {
      key_error_ = key.error().message;
    } else {
      key_error_ = "本部署没有记录检查点公钥";
    }

    // The reading thread (this one, which owns the connection) reads a batch,
    // its stored nodes and checkpoints and writes the canonical forms; a
    // second thread hashes and checks the batch before while it does. The
    // leaf hashes, the bulk of the hashing, are shared: the reading thread
    // computes some whenever it would otherwise wait (Pipeline::Push).
    const int batch = std::max(options_.batch_size, 1);
    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    std::uint64_t next_leaf = 0;
    Pipeline pipeline(*this);
    while (!stop_.load()) {
      auto b = std::make_shared<Batch>();
      std::uint64_t count = 0;  // rows read
      TRY(ReadBatch(conn, after, batch, *b, count));
      if (count == 0) break;
      after = b->events.back().seq;
      b->nodes = TRY(FetchNodes(conn, next_leaf, count));
      TRY(TakeCheckpoints(conn, next_leaf + count, *b));
      b->PrepareLeaves();
      next_leaf += count;
      const bool final_batch =
          b->bad_index < b->events.size() || count < static_cast<std::uint64_t>(batch);
      pipeline.Push(std::move(b), *helper_hasher_);
      if (progress_) progress_(verified_.load(), total_);
      if (final_batch) break;
    }
    pipeline.Finish();
    if (Failed()) return core::Ok();
    TRY(FinishEvents(conn));
    return core::Ok();
  }

  // Re-hashes the stored files (after the snapshot: the blob store is not in
  // the database). Each batch of rows is read in its own Read.
  core::Status VerifyFiles(store::Database& db) {
    if (options_.files_root.empty()) return core::Ok();
    const BlobStore blobs(options_.files_root);
    std::string after;
    std::vector<store::StoredFile> files;
    while (true) {
      TRY(db.Read([&](store::Conn& conn) -> core::Status {
        files = TRY(store::ListStoredFiles(conn, after, 256));
        return core::Ok();
      }));
      if (files.empty()) return core::Ok();
      after = files.back().sm3;
      for (const auto& f : files) {
        TRY(VerifyFile(blobs, f));
        if (Failed()) return core::Ok();
      }
    }
  }

  bool Failed() const { return report_.problem.has_value(); }

 private:
  core::Status Fail(VerifyProblem problem) {
    if (!report_.problem) report_.problem = std::move(problem);
    return core::Ok();
  }

  // A hard failure at an event: an earlier pending node defect is reported
  // instead, as it lies before.
  core::Status FailEvent(VerifyProblem problem) {
    if (pending_node_) return Fail(*std::move(pending_node_));
    return Fail(std::move(problem));
  }

  // The stored nodes that leaves [first, first + count) complete, per level.
  core::Result<std::vector<LevelNodes>> FetchNodes(store::Conn& conn, std::uint64_t first,
                                                   std::uint64_t count) {
    const std::uint64_t a = first;
    const std::uint64_t b = first + count;
    const auto levels = static_cast<std::size_t>(std::bit_width(b));
    std::vector<LevelNodes> stored(levels);
    for (std::size_t level = 1; level < levels; ++level) {
      const std::uint64_t from = a >> level;
      const std::uint64_t to = b >> level;
      if (to <= from) continue;
      auto& slot = stored[level];
      slot.from = from;
      slot.hashes.resize(to - from);
      slot.stored.assign(to - from, Stored::kAbsent);
      TRY(store::ScanNodes(conn, static_cast<int>(level), static_cast<std::int64_t>(from),
                           static_cast<std::int64_t>(to),
                           [&](std::int64_t idx, std::span<const std::uint8_t> hash) {
                             const auto at = static_cast<std::uint64_t>(idx) - from;
                             slot.stored[at] = CopyStored(hash, slot.hashes[at]);
                             return core::Ok();
                           }));
    }
    return stored;
  }

  // Moves the checkpoints of sizes up to `upto` from the look-ahead to `out`.
  // Moves the checkpoints of sizes up to `upto` from the look-ahead to the
  // batch, with their signature checks.
  core::Status TakeCheckpoints(store::Conn& conn, std::uint64_t upto, Batch& b) {
    while (true) {
      const store::CheckpointRecord* next = TRY(NextCheckpoint(conn));
      if (next == nullptr || static_cast<std::uint64_t>(next->size) > upto) return core::Ok();
      b.signatures.push_back(key_ ? VerifyCheckpoint(*next, *key_, report_.algorithm)
                                  : core::Status(core::Ok()));
      b.checkpoints.push_back(std::move(checkpoints_.front()));
      checkpoints_.pop_front();
    }
  }

  // Reads up to `limit` events with seq > after into `b` (counting them in
  // `count`), writing the canonical form of each, up to the first that has
  // none (the rows after it are only counted: the check stops there).
  core::Status ReadBatch(store::Conn& conn, std::int64_t after, int limit, Batch& b,
                         std::uint64_t& count) {
    b.events.reserve(static_cast<std::size_t>(limit));
    b.ends.reserve(static_cast<std::size_t>(limit));
    b.text.reserve(static_cast<std::size_t>(limit) * 512);
    return store::ScanEventViews(conn, after, limit, [&](const store::EventView& e) {
      ++count;
      if (b.bad_index < b.events.size()) return core::Ok();
      EventSlot& slot = b.events.emplace_back();
      slot.seq = e.seq;
      slot.stored = CopyStored(e.leaf_hash, slot.leaf);
      const std::size_t before = b.text.size();
      if (auto written = WriteCanonicalEvent(e, b.text); !written.ok()) {
        b.text.resize(before);
        b.bad_index = b.events.size() - 1;
        b.bad_message = written.error().message;
        return core::Ok();
      }
      b.ends.push_back(b.text.size());
      return core::Ok();
    });
  }

  // On the hashing thread: checks the batch's events in order.
  void Process(Batch& b) {
    b.HashAllLeaves(*hasher_);
    current_ = &b;
    for (std::size_t i = 0; i < b.events.size() && !Failed(); ++i) VerifyOne(b, i);
    current_ = nullptr;
    verified_.store(size_);
    if (Failed()) stop_.store(true);
  }

  void VerifyOne(Batch& b, std::size_t i) {
    const EventSlot& e = b.events[i];
    const auto expected = static_cast<std::int64_t>(size_ + 1);
    if (e.seq != expected) {
      if (e.seq < expected) {
        (void)FailEvent({.defect = Defect::kSeqGap,
                         .first_bad_seq = e.seq,
                         .message = "出现不应存在的事件序号 " + Seq(e.seq) + "（序号从 1 开始）"});
        return;
      }
      (void)FailEvent({.defect = Defect::kSeqGap,
                       .first_bad_seq = expected,
                       .message = "第 " + Seq(expected) + " 条事件缺失（其后是第 " + Seq(e.seq) +
                                  " 条），事件被删除"});
      return;
    }
    if (i == b.bad_index) {
      (void)FailEvent({.defect = Defect::kNotCanonical,
                       .first_bad_seq = e.seq,
                       .message = "第 " + Seq(e.seq) + " 条事件的 " + b.bad_message});
      return;
    }
    const Hash& leaf = b.leaves[i];
    report_.event_bytes += b.Canonical(i).size();
    if (e.stored != Stored::kHash || e.leaf != leaf) {
      (void)FailEvent({.defect = Defect::kLeafMismatch,
                       .first_bad_seq = e.seq,
                       .message = "第 " + Seq(e.seq) +
                                  " 条事件的内容与存储的叶子哈希不符，事件或其哈希被改动"});
      return;
    }
    ++report_.events_checked;
    AddLeaf(leaf);
    if (Failed()) return;
    AtSize();
  }

  // Folds a verified leaf into the frontier, checking each stored node it
  // completes.
  void AddLeaf(const Hash& leaf) {
    std::uint64_t idx = size_;
    Hash node = leaf;
    std::size_t level = 0;
    while ((idx & 1U) != 0) {
      node = hasher_->Node(*frontier_[level], node);
      frontier_[level].reset();
      idx >>= 1;
      ++level;
      CheckNode(level, idx, node);
    }
    if (frontier_.size() <= level) frontier_.resize(level + 1);
    frontier_[level] = node;
    ++size_;
  }

  void CheckNode(std::size_t level, std::uint64_t idx, const Hash& computed) {
    ++report_.nodes_checked;
    const auto& slot = current_->nodes[level];
    const bool stored = slot.stored[idx - slot.from] != Stored::kAbsent;
    if (slot.stored[idx - slot.from] == Stored::kHash && slot.hashes[idx - slot.from] == computed) {
      return;
    }
    if (pending_node_) return;
    const auto first = static_cast<std::int64_t>((idx << level) + 1);
    const auto last = static_cast<std::int64_t>((idx + 1) << level);
    const std::string where = "默克尔树节点 (" + std::to_string(level) + ", " +
                              std::to_string(idx) + ")（覆盖第 " + Seq(first) + "–" + Seq(last) +
                              " 条事件）";
    pending_node_ = VerifyProblem{
        .defect = stored ? Defect::kNodeMismatch : Defect::kNodeMissing,
        .first_bad_seq = first,
        .range_from = first - 1,
        .range_to = last,
        .node_level = static_cast<int>(level),
        .node_index = static_cast<std::int64_t>(idx),
        .message = where + (stored ? " 与事件重算的哈希不符" : " 缺失"),
    };
  }

  Hash FrontierRoot() {
    bool have = false;
    Hash root{};
    for (const auto& subtree : frontier_) {
      if (!subtree) continue;
      root = have ? hasher_->Node(*subtree, root) : *subtree;
      have = true;
    }
    return have ? root : EmptyRoot(report_.algorithm);
  }

  // The look-ahead's first checkpoint (listing more when it is empty), or
  // null when no checkpoint is left. On the reading thread.
  core::Result<const store::CheckpointRecord*> NextCheckpoint(store::Conn& conn) {
    if (checkpoints_.empty() && !checkpoints_done_) {
      auto batch = TRY(store::ListCheckpoints(conn, last_listed_, 256));
      if (batch.empty()) checkpoints_done_ = true;
      for (auto& c : batch) {
        last_listed_ = c.size;
        checkpoints_.push_back(std::move(c));
      }
    }
    return checkpoints_.empty() ? nullptr : &checkpoints_.front();
  }

  // Checks an authentic checkpoint's time and signature (`signature`: its
  // VerifyCheckpoint, when already known); sets the problem and returns false
  // when it is not.
  bool Authentic(const store::CheckpointRecord& c, const core::Status* signature = nullptr) {
    const std::string at = "树大小 " + Seq(c.size) + " 的检查点";
    VerifyProblem p{.defect = Defect::kCheckpointSignature,
                    .first_bad_seq = c.size,
                    .checkpoint_size = c.size,
                    .range_from = previous_size_,
                    .range_to = c.size};
    if (!key_) {
      p.message = at + "无法验证：" + key_error_;
      (void)Fail(std::move(p));
      return false;
    }
    const core::Status s = signature ? *signature : VerifyCheckpoint(c, *key_, report_.algorithm);
    if (!s.ok()) {
      p.message = s.error().message + "（覆盖第 " + Seq(previous_size_ + 1) + "–" + Seq(c.size) +
                  " 条事件）";
      (void)Fail(std::move(p));
      return false;
    }
    if (have_previous_ && c.at < previous_at_) {
      p.defect = Defect::kCheckpointTime;
      p.message = at + "的时间 " + core::FormatIsoUtc(c.at) + " 早于前一个检查点的时间 " +
                  core::FormatIsoUtc(previous_at_);
      (void)Fail(std::move(p));
      return false;
    }
    return true;
  }

  // After each leaf: the batch's checkpoint of this size, if any.
  void AtSize() {
    auto& pending = current_->checkpoints;
    if (pending.empty() || static_cast<std::uint64_t>(pending.front().size) != size_) return;
    const store::CheckpointRecord c = std::move(pending.front());
    pending.pop_front();
    const core::Status signature = std::move(current_->signatures.front());
    current_->signatures.pop_front();
    if (!Authentic(c, &signature)) {
      if (pending_node_) report_.problem = *std::move(pending_node_);
      return;
    }
    const Hash root = FrontierRoot();
    if (!SameHash(c.root, root)) {
      std::string message = "树大小 " + Seq(c.size) +
                            " 的检查点签名有效，但其根哈希与事件重算的根不符：第 " +
                            Seq(previous_size_ + 1) + "–" + Seq(c.size) + " 条事件被改动";
      if (pending_node_) message += "；首个不符之处：" + pending_node_->message;
      pending_node_.reset();
      (void)Fail({.defect = Defect::kCheckpointRootMismatch,
                  .first_bad_seq = c.size,
                  .checkpoint_size = c.size,
                  .range_from = previous_size_,
                  .range_to = c.size,
                  .message = std::move(message)});
      return;
    }
    // The events up to here are exactly what was signed: a node that differs
    // is a damaged cache, reported as such.
    if (pending_node_) {
      pending_node_->message += "；事件本身与检查点一致";
      (void)Fail(*std::move(pending_node_));
      return;
    }
    ++report_.checkpoints_checked;
    previous_size_ = c.size;
    previous_at_ = c.at;
    have_previous_ = true;
  }

  core::Status FinishEvents(store::Conn& conn) {
    if (pending_node_) return Fail(*std::move(pending_node_));
    // A checkpoint beyond the end: events it signed are gone.
    const store::CheckpointRecord* next = TRY(NextCheckpoint(conn));
    if (next != nullptr) {
      if (!Authentic(*next)) return core::Ok();
      return Fail({.defect = Defect::kTruncated,
                   .first_bad_seq = static_cast<std::int64_t>(size_ + 1),
                   .checkpoint_size = next->size,
                   .range_from = static_cast<std::int64_t>(size_),
                   .range_to = next->size,
                   .message = "记录只有 " + std::to_string(size_) + " 条事件，但树大小 " +
                              Seq(next->size) + " 的检查点已签署：第 " + Seq(size_ + 1) + "–" +
                              Seq(next->size) + " 条事件被删除"});
    }
    // Stored nodes outside the tree of size_ leaves.
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    for (int level = 0; level < 63; ++level) {
      const std::int64_t inside = level == 0 ? 0 : static_cast<std::int64_t>(size_ >> level);
      auto below = TRY(store::ListNodes(conn, level, kMin, 0));
      auto beyond = TRY(store::ListNodes(conn, level, inside, kMax));
      const auto* extra = !below.empty()    ? &below.front()
                          : !beyond.empty() ? &beyond.front()
                                            : nullptr;
      if (extra == nullptr) continue;
      const std::int64_t idx = extra->first;
      const std::int64_t first =
          idx >= 0 && idx < (kMax >> level) ? (idx << level) + 1 : (idx < 0 ? 0 : kMax);
      return Fail({.defect = Defect::kNodeUnexpected,
                   .first_bad_seq = first,
                   .node_level = level,
                   .node_index = idx,
                   .message = "存储了不属于当前 " + std::to_string(size_) + " 条事件之树的节点 (" +
                              std::to_string(level) + ", " + std::to_string(idx) + ")"});
    }
    report_.unsigned_events = size_ - static_cast<std::uint64_t>(previous_size_);
    report_.root = FrontierRoot();
    if (progress_) progress_(size_, total_);
    return core::Ok();
  }

  core::Status VerifyFile(const BlobStore& blobs, const store::StoredFile& f) {
    VerifyProblem p{
        .defect = Defect::kFileMismatch, .first_bad_seq = f.first_event_seq, .file_sm3 = f.sm3};
    const std::string name = "文件 " + f.sm3;
    auto path = blobs.PathOf(f.sm3);
    if (!path.ok()) {
      p.defect = Defect::kFileMissing;
      p.message = name + " 的内容不在文件库中";
      return Fail(std::move(p));
    }
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      p.defect = Defect::kFileMissing;
      p.message = name + " 无法读取：" + std::strerror(errno);
      return Fail(std::move(p));
    }
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    crypto::Hasher sm3(HashAlgorithm::kSm3);
    crypto::Hasher sha256(HashAlgorithm::kSha256);
    std::vector<std::uint8_t> buf(1 << 20);
    std::uint64_t size = 0;
    while (true) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        p.defect = Defect::kFileMissing;
        p.message = name + " 读取失败：" + std::strerror(errno);
        return Fail(std::move(p));
      }
      if (n == 0) break;
      const std::span<const std::uint8_t> chunk(buf.data(), static_cast<std::size_t>(n));
      sm3.Update(chunk);
      sha256.Update(chunk);
      size += static_cast<std::uint64_t>(n);
    }
    report_.file_bytes += size;
    if (core::HexEncode(sm3.Finish()) != f.sm3) {
      p.message = name + " 的内容已被改动（SM3 与其地址不符）";
      return Fail(std::move(p));
    }
    if (size != static_cast<std::uint64_t>(f.size)) {
      p.message = name + " 的大小 " + std::to_string(size) + " 与记录的 " + std::to_string(f.size) +
                  " 不符";
      return Fail(std::move(p));
    }
    if (core::HexEncode(sha256.Finish()) != f.sha256) {
      p.message = name + " 的 SHA-256 与记录的不符";
      return Fail(std::move(p));
    }
    ++report_.files_checked;
    return core::Ok();
  }

  const VerifyOptions& options_;
  const ProgressFn& progress_;
  VerifyReport& report_;

  std::optional<TreeHasher> hasher_;         // the hashing thread's
  std::optional<TreeHasher> helper_hasher_;  // the reading thread's
  std::optional<crypto::PublicKey> key_;
  std::string key_error_;
  std::uint64_t total_ = 0;

  // Set by the hashing thread when it found a problem; the reader stops.
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> verified_{0};  // events checked, for progress

  // The hashing thread's state (read by the reading thread only after it
  // joined): the tree recomputed so far, size_ leaves, frontier_[l] set when
  // bit l of size_ is 1; the batch being checked.
  std::uint64_t size_ = 0;
  std::vector<std::optional<Hash>> frontier_;
  Batch* current_ = nullptr;
  // The first node defect, held until a checkpoint tells whether the events
  // under it were changed (then the checkpoint is at fault) or only the node.
  std::optional<VerifyProblem> pending_node_;

  // The reading thread's look-ahead: checkpoints listed, not yet given to a batch.
  std::deque<store::CheckpointRecord> checkpoints_;
  std::int64_t last_listed_ = 0;
  bool checkpoints_done_ = false;
  std::int64_t previous_size_ = 0;
  std::int64_t previous_at_ = 0;
  bool have_previous_ = false;
};

Pipeline::Pipeline(Verifier& verifier) : verifier_(verifier) {
  thread_ = std::thread([this] { Run(); });
}

void Pipeline::Run() {
  while (true) {
    std::shared_ptr<Batch> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return slot_ != nullptr || finished_; });
      if (!slot_) return;
      batch = std::move(slot_);
      slot_.reset();
    }
    cv_.notify_all();
    if (!verifier_.Failed()) verifier_.Process(*batch);
  }
}

}  // namespace

std::string_view DefectCode(Defect defect) {
  switch (defect) {
    case Defect::kBadHashSetting:
      return "hash_setting";
    case Defect::kSeqGap:
      return "seq_gap";
    case Defect::kNotCanonical:
      return "not_canonical";
    case Defect::kLeafMismatch:
      return "leaf_mismatch";
    case Defect::kNodeMismatch:
      return "node_mismatch";
    case Defect::kNodeMissing:
      return "node_missing";
    case Defect::kNodeUnexpected:
      return "node_unexpected";
    case Defect::kCheckpointSignature:
      return "checkpoint_signature";
    case Defect::kCheckpointRootMismatch:
      return "checkpoint_root_mismatch";
    case Defect::kCheckpointTime:
      return "checkpoint_time";
    case Defect::kTruncated:
      return "truncated";
    case Defect::kFileMissing:
      return "file_missing";
    case Defect::kFileMismatch:
      return "file_mismatch";
  }
  return "unknown";
}

bool IsPlainCanonicalJson(std::string_view text, json::kind kind) {
  return CanonicalChecker(text).Check(kind);
}

core::Status AppendCanonicalEvent(const store::EventRecord& event, std::string& out) {
  return WriteCanonicalEvent(store::ViewOf(event), out);
}

core::Status AppendCanonicalEvent(const store::EventView& event, std::string& out) {
  return WriteCanonicalEvent(event, out);
}

core::Result<VerifyReport> VerifyRecord(store::Database& db, const VerifyOptions& options,
                                        const ProgressFn& progress) {
  const auto start = std::chrono::steady_clock::now();
  VerifyReport report;
  Verifier verifier(options, progress, report);
  TRY(db.Read([&](store::Conn& conn) { return verifier.VerifyEvents(conn); }));
  if (!verifier.Failed()) TRY(verifier.VerifyFiles(db));
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return report;
}

}  // namespace lvyuan::record
