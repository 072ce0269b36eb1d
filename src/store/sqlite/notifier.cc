// The notifier of a SQLite database: one serving process, so messages stay
// in memory and are delivered on the publishing thread after the commit.
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "store/notify.h"

namespace lvyuan::store {
namespace {

class AlwaysHeld final : public Lease {
 public:
  bool Held() override { return true; }
};

class SqliteNotifier final : public Notifier {
 public:
  explicit SqliteNotifier(Database& db) : Notifier(db) {}

  std::unique_ptr<Lease> TryLead(std::string_view) override {
    return std::make_unique<AlwaysHeld>();
  }
  bool Listening() const override { return true; }

 protected:
  Status PublishInTransaction(Conn&, const Notification&) override { return core::Ok(); }
  void AfterCommit(std::vector<Notification> messages) override {
    for (const Notification& message : messages) Deliver(message);
  }
};

}  // namespace

std::unique_ptr<Notifier> MakeNotifier(Database& db, const OpenOptions& options) {
  if (db.Backend() == "postgresql") return postgres::MakePostgresNotifier(db, options.url);
  return std::make_unique<SqliteNotifier>(db);
}

}  // namespace lvyuan::store
