#include "store/notify.h"

#include <algorithm>
#include <utility>

namespace lvyuan::store {

struct Notifier::Subscription::State {
  std::string channel;
  MessageCallback on_message;
  ResetCallback on_reset;
  // Held while a callback runs, so that unsubscribing waits for it.
  std::mutex mu;
  bool active = true;  // guarded by mu
};

namespace {

bool ValidChannel(std::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  return std::all_of(channel.begin(), channel.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

}  // namespace

Status Outbox::Publish(std::string_view channel, std::string_view payload) {
  if (!ValidChannel(channel)) {
    return core::InvalidArgument("通知频道名不合法", "channel");
  }
  if (payload.size() > kMaxPayloadBytes || payload.find('\0') != std::string_view::npos) {
    return core::InvalidArgument("通知内容过长或含 NUL 字符", "payload");
  }
  Notification message{std::string(channel), std::string(payload)};
  TRY(notifier_.PublishInTransaction(conn_, message));
  queued_.push_back(std::move(message));
  return core::Ok();
}

Notifier::Subscription& Notifier::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    notifier_ = std::exchange(other.notifier_, nullptr);
    state_ = std::move(other.state_);
  }
  return *this;
}

Notifier::Subscription::~Subscription() { Reset(); }

void Notifier::Subscription::Reset() {
  if (notifier_ != nullptr && state_) notifier_->Unsubscribe(state_);
  notifier_ = nullptr;
  state_.reset();
}

Notifier::~Notifier() = default;

Status Notifier::Write(const std::function<Status(Conn&, Outbox&)>& fn) {
  std::vector<Notification> committed;
  TRY(db_.Write([&](Conn& conn) -> Status {
    Outbox outbox(*this, conn);
    TRY(fn(conn, outbox));
    committed = std::move(outbox.queued_);
    return core::Ok();
  }));
  if (!committed.empty()) AfterCommit(std::move(committed));
  return core::Ok();
}

Notifier::Subscription Notifier::Subscribe(std::string channel, MessageCallback on_message,
                                           ResetCallback on_reset) {
  auto state = std::make_shared<Subscription::State>();
  state->channel = std::move(channel);
  state->on_message = std::move(on_message);
  state->on_reset = std::move(on_reset);
  std::lock_guard lock(mu_);
  subscribers_.push_back(state);
  return Subscription(this, std::move(state));
}

void Notifier::Unsubscribe(const std::shared_ptr<Subscription::State>& state) {
  {
    std::lock_guard lock(mu_);
    std::erase(subscribers_, state);
  }
  std::lock_guard running(state->mu);  // waits for a callback in progress
  state->active = false;
}

void Notifier::Deliver(const Notification& message) {
  std::vector<std::shared_ptr<Subscription::State>> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = subscribers_;
  }
  for (const auto& state : snapshot) {
    if (state->channel != message.channel || !state->on_message) continue;
    std::lock_guard running(state->mu);
    if (state->active) state->on_message(message);
  }
}

void Notifier::DeliverReset() {
  std::vector<std::shared_ptr<Subscription::State>> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = subscribers_;
  }
  for (const auto& state : snapshot) {
    if (!state->on_reset) continue;
    std::lock_guard running(state->mu);
    if (state->active) state->on_reset();
  }
}

}  // namespace lvyuan::store
