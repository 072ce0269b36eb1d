// Messages between the processes that share one database, and leadership
// among them.
//
// A Notifier belongs to one Database. A write publishes messages through the
// Outbox of Notifier::Write; they are delivered, in every process serving
// the database (the publishing one included), to the subscribers of their
// channel once the write's transaction has committed, and never when it is
// rolled back. Delivery is at most once: a subscriber that must not act on
// stale state also takes the reset callback, which says "messages may have
// been missed; forget what you cached".
//
// Backends:
//  - SQLite (one serving process): messages are kept in memory and delivered
//    on the publishing thread right after the commit, before Write returns.
//    Nothing is ever missed, so there is no reset. TryLead always leads.
//  - PostgreSQL: Publish runs pg_notify inside the write's transaction
//    (PostgreSQL sends it on COMMIT). Every process keeps one dedicated
//    connection that LISTENs on the deployment's channel ("lvyuan." plus the
//    current schema, so schemas sharing one database do not hear each
//    other) and delivers on a thread of its own. When that connection is
//    lost the notifier calls every reset callback, reconnects (backing off up
//    to 5 s), LISTENs again and calls every reset callback
//    once more. TryLead takes a session-level advisory lock
//    (pg_try_advisory_lock) on a connection of the lease's own, held for as
//    long as the lease object and that connection live.
//
// Payloads are text of at most kMaxPayloadBytes bytes (PostgreSQL refuses
// NOTIFY payloads of 8000 bytes or more; the channel name travels in the
// same payload) without NUL bytes; channels are 1..63 characters of
// [a-z0-9_.].
//
// Thread-safe. Callbacks run on the publishing thread (SQLite) or on the
// listener thread (PostgreSQL), one message at a time and in commit order;
// they must be quick and must not call Subscribe or destroy their own
// Subscription.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/database.h"

namespace lvyuan::store {

inline constexpr std::size_t kMaxPayloadBytes = 7900;

struct Notification {
  std::string channel;
  std::string payload;
};

// Collects the messages of one Notifier::Write. Valid only inside its
// callback.
class Outbox {
 public:
  // Queues `payload` on `channel`, to be delivered once the write commits.
  // InvalidArgument (field "channel" or "payload") for a channel or payload
  // outside the limits above; on PostgreSQL the store's error when
  // pg_notify fails (the write then fails too).
  Status Publish(std::string_view channel, std::string_view payload);

 private:
  friend class Notifier;
  Outbox(class Notifier& notifier, Conn& conn) : notifier_(notifier), conn_(conn) {}
  class Notifier& notifier_;
  Conn& conn_;
  std::vector<Notification> queued_;
};

// Held by the one process that leads for a name (Notifier::TryLead); the
// leadership ends when the object is destroyed.
class Lease {
 public:
  virtual ~Lease() = default;
  // False once the leadership may have passed to another process (its
  // connection broke): drop the lease and TryLead again. May block for a
  // round trip to the database.
  virtual bool Held() = 0;
};

class Notifier {
 public:
  using MessageCallback = std::function<void(const Notification&)>;
  using ResetCallback = std::function<void()>;

  // Unsubscribes when destroyed; once the destructor returns its callbacks
  // are not running and will not run again.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription();
    void Reset();

   private:
    friend class Notifier;
    struct State;
    Subscription(Notifier* notifier, std::shared_ptr<State> state)
        : notifier_(notifier), state_(std::move(state)) {}
    Notifier* notifier_ = nullptr;
    std::shared_ptr<State> state_;
  };

  virtual ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Runs fn in one Database::Write of the notifier's database; the messages
  // fn publishes through the Outbox are delivered after the commit (see
  // above). Returns the Write's status: an error means nothing is delivered.
  Status Write(const std::function<Status(Conn&, Outbox&)>& fn);

  // Calls on_message for every message on `channel` and on_reset (when set)
  // whenever messages may have been missed. The notifier must outlive the
  // subscription.
  [[nodiscard]] Subscription Subscribe(std::string channel, MessageCallback on_message,
                                       ResetCallback on_reset = {});

  // Leadership for `name` among the processes sharing the database: a lease
  // when this process now leads, nullptr when another one does (or, on
  // PostgreSQL, when the database cannot be reached). Try again later.
  virtual std::unique_ptr<Lease> TryLead(std::string_view name) = 0;

  // True while messages from other processes can arrive (SQLite: always;
  // PostgreSQL: the listening connection is up). For /readyz and tests.
  virtual bool Listening() const = 0;

 protected:
  explicit Notifier(Database& db) : db_(db) {}
  // Inside the write's transaction (PostgreSQL: pg_notify on conn).
  virtual Status PublishInTransaction(Conn& conn, const Notification& message) = 0;
  // After the commit, on the publishing thread (SQLite: Deliver each).
  virtual void AfterCommit(std::vector<Notification> messages) = 0;
  // Hands a message to the subscribers of its channel / calls every reset
  // callback. For the backends.
  void Deliver(const Notification& message);
  void DeliverReset();

 private:
  friend class Outbox;
  void Unsubscribe(const std::shared_ptr<Subscription::State>& state);

  Database& db_;
  std::mutex mu_;                                                  // guards subscribers_
  std::vector<std::shared_ptr<Subscription::State>> subscribers_;  // in subscription order
};

// The notifier of `db`, opened with `options` (the same as for Open). On
// PostgreSQL the listening connection is made in the background; a database
// that cannot be reached is retried, not an error.
std::unique_ptr<Notifier> MakeNotifier(Database& db, const OpenOptions& options);

namespace postgres {
// The PostgreSQL notifier (postgres/notifier.cc), for MakeNotifier.
std::unique_ptr<Notifier> MakePostgresNotifier(Database& db, std::string url);
}  // namespace postgres

}  // namespace lvyuan::store
