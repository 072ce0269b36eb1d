// GET /api/v1/stream: the Server-Sent Events a signed-in browser listens to.
//
// Events (each "data" is one JSON object):
//   checkpoint  {"size": N, "root": "<hex>"}   a new signed checkpoint, made by
//                                              any process of the deployment;
//   session     {"reason": "revoked"}          this session ended (logout,
//                                              the user or unit disabled,
//                                              password reset…); the stream
//                                              closes after it;
//   notification {"id", "kind", "title", "matter_id"}
//                                              a notification for the
//                                              stream's user was stored (an
//                                              action's, or a deadline
//                                              reminder); sent only to that
//                                              user's streams. The row itself
//                                              is read from the API.
// All come from the store's notifier, so a change committed by any process
// reaches a browser connected to any other.
#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/strings.h"
#include "domain/matters.h"
#include "http/route_helpers.h"
#include "http/routes.h"
#include "record/checkpoint.h"

namespace lvyuan::http {
namespace {

namespace json = boost::json;

// The session cookie's value in the request's Cookie headers, empty if none.
std::string SessionTokenOf(const Request& request) {
  auto range = request.message.equal_range(beast_http::field::cookie);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view rest(it->value().data(), it->value().size());
    while (!rest.empty()) {
      const std::size_t semicolon = rest.find(';');
      std::string_view pair = core::TrimBlanks(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      const std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) continue;
      if (core::TrimBlanks(pair.substr(0, equals)) != kSessionCookie) continue;
      return std::string(core::TrimBlanks(pair.substr(equals + 1)));
    }
  }
  return {};
}

// The open streams and what each belongs to; fans the notifier's messages
// out to them. Thread-safe.
class StreamHub {
 public:
  StreamHub(domain::Accounts& accounts, store::Notifier& notifier) : accounts_(accounts) {
    accounts_subscription_ = notifier.Subscribe(
        std::string(domain::kAccountsChannel),
        [this](const store::Notification& message) { OnAccounts(message.payload); },
        [this] { RecheckWhere([](const Entry&) { return true; }); });
    record_subscription_ = notifier.Subscribe(
        std::string(record::kRecordChannel),
        [this](const store::Notification& message) { OnCheckpoint(message.payload); });
    notifications_subscription_ = notifier.Subscribe(
        std::string(domain::kNotificationsChannel),
        [this](const store::Notification& message) { OnNotification(message.payload); });
  }

  void Add(const Request& request, std::shared_ptr<EventStream> stream) {
    Entry entry;
    entry.stream = stream;
    const domain::Principal& who = *request.principal;
    if (who.via == domain::Principal::Via::kSession) {
      entry.session_id = who.credential_id;
      entry.token = SessionTokenOf(request);
    }
    entry.user_id = who.user_id;
    entry.unit_id = who.unit_id;
    std::lock_guard lock(mu_);
    std::erase_if(entries_, [](const Entry& e) { return e.stream.expired(); });
    entries_.push_back(std::move(entry));
  }

 private:
  struct Entry {
    std::weak_ptr<EventStream> stream;
    std::int64_t session_id = 0;  // 0 for an API token
    std::string token;            // the session token, to re-check the session
    std::int64_t user_id = 0;
    std::int64_t unit_id = 0;
  };

  static void EndSession(EventStream& stream) {
    stream.Send("session", json::serialize(json::object{{"reason", "revoked"}}));
    stream.Close();
  }

  void OnAccounts(const std::string& payload) {
    std::optional<domain::AccountsChange> change = domain::ParseAccountsChange(payload);
    if (!change) return;
    switch (change->kind) {
      case domain::AccountsChange::Kind::kSession: {
        for (const auto& stream :
             Live([&](const Entry& e) { return e.session_id == change->id; })) {
          EndSession(*stream.first);
        }
        return;
      }
      case domain::AccountsChange::Kind::kUser:
        RecheckWhere([&](const Entry& e) { return e.user_id == change->id; });
        return;
      case domain::AccountsChange::Kind::kUnit:
        RecheckWhere([&](const Entry& e) { return e.unit_id == change->id; });
        return;
    }
  }

  // Ends the streams whose session no longer authenticates. Runs outside the
  // lock: authenticating reads the database.
  template <class Predicate>
  void RecheckWhere(Predicate matches) {
    for (const auto& [stream, token] :
         Live([&](const Entry& e) { return e.session_id != 0 && matches(e); })) {
      if (!accounts_.AuthenticateSession(token).ok()) EndSession(*stream);
    }
  }

  void OnCheckpoint(const std::string& payload) {
    const std::size_t space = payload.find(' ');
    std::optional<std::int64_t> size = ParseDecimal(payload.substr(0, space), 18);
    if (!size || space == std::string::npos) return;
    const std::string data =
        json::serialize(json::object{{"size", *size}, {"root", payload.substr(space + 1)}});
    for (const auto& stream : Live([](const Entry&) { return true; })) {
      stream.first->Send("checkpoint", data);
    }
  }

  void OnNotification(const std::string& payload) {
    std::optional<domain::NotificationMessage> n = domain::ParseNotificationPayload(payload);
    if (!n || n->user_id == 0) return;
    const std::string data = json::serialize(json::object{
        {"id", n->id},
        {"kind", n->kind},
        {"title", n->title},
        {"matter_id", n->matter_id ? json::value(*n->matter_id) : json::value(nullptr)}});
    for (const auto& stream : Live([&](const Entry& e) { return e.user_id == n->user_id; })) {
      stream.first->Send("notification", data);
    }
  }

  // The open streams that match (with their session tokens); forgets the
  // closed ones.
  template <class Predicate>
  std::vector<std::pair<std::shared_ptr<EventStream>, std::string>> Live(Predicate matches) {
    std::vector<std::pair<std::shared_ptr<EventStream>, std::string>> found;
    std::lock_guard lock(mu_);
    std::erase_if(entries_, [](const Entry& e) {
      auto stream = e.stream.lock();
      return !stream || stream->closed();
    });
    for (const Entry& entry : entries_) {
      if (!matches(entry)) continue;
      if (auto stream = entry.stream.lock()) found.emplace_back(std::move(stream), entry.token);
    }
    return found;
  }

  domain::Accounts& accounts_;
  std::mutex mu_;  // guards entries_
  std::vector<Entry> entries_;
  // Last, so they end (and their callbacks stop) before the rest goes.
  store::Notifier::Subscription accounts_subscription_;
  store::Notifier::Subscription record_subscription_;
  store::Notifier::Subscription notifications_subscription_;
};

}  // namespace

void AddStreamRoutes(Router& router, const Services& services) {
  auto hub = std::make_shared<StreamHub>(services.accounts, *services.notifier);
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/stream",
              .allow_pending_totp = true,
              .stream = [hub](Request& request, std::shared_ptr<EventStream> stream) {
                hub->Add(request, std::move(stream));
                return core::Ok();
              }});
}

}  // namespace lvyuan::http
