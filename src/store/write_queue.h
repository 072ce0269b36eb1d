// The queue behind group commit (Database::Write), shared by the backends.
// Write calls line up in arrival order; the front one leads: it runs its
// own callback and, for as long as more are queued (up to max_batch), theirs
// in one transaction, then wakes every write it ran with its result and
// hands the lead to the next in line. How a batch runs is the backend's
// (the `lead` function of Submit); the queue only orders and wakes. Entries
// live on their callers' stacks and stay queued until their batch is done.
// Internal to src/store's backends.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "core/result.h"
#include "store/database.h"

namespace lvyuan::store::internal {

class WriteQueue {
 public:
  // One Write waiting in the queue or being run.
  struct Pending {
    explicit Pending(const std::function<core::Status(Conn&)>& callback) : fn(callback) {}
    const std::function<core::Status(Conn&)>& fn;
    // Written by the leader before it sets done; read by the caller after.
    core::Status result;
    bool done = false;               // guarded by the queue's mutex
    std::condition_variable wakeup;  // signalled when done or at the front
  };

  explicit WriteQueue(int max_batch) : max_batch_(max_batch) {}
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues fn and blocks until another leader has run it or it reaches the
  // front. At the front it calls lead(self, alone) — alone: nothing is
  // queued behind it — which must set the result of every write it ran,
  // queue positions 0, 1, ... (At), and return how many; those are then
  // taken off the queue and woken, and the next in line leads. Returns fn's
  // result as the leader set it.
  template <typename Lead>
  core::Status Submit(const std::function<core::Status(Conn&)>& fn, Lead&& lead) {
    Pending self(fn);
    std::unique_lock lock(mutex_);
    queue_.push_back(&self);
    self.wakeup.wait(lock, [&] { return self.done || queue_.front() == &self; });
    if (self.done) return std::move(self.result);

    const bool alone = queue_.size() == 1;
    lock.unlock();
    const std::size_t size = lead(self, alone);
    // Before any writer of the batch is woken: whoever learns of a write
    // afterwards sees the count moved (Database::WriteCount).
    batches_.fetch_add(1, std::memory_order_release);
    lock.lock();
    for (std::size_t i = 0; i < size; ++i) {
      Pending* write = queue_.front();
      queue_.pop_front();
      if (write == &self) continue;
      write->done = true;
      // Under the lock, so the caller cannot return and destroy it before this.
      write->wakeup.notify_one();
    }
    if (!queue_.empty()) queue_.front()->wakeup.notify_one();
    return std::move(self.result);
  }

  // The write at that queue position, or null when there is none (yet) or
  // the position is max_batch or beyond. For the leader, inside lead.
  Pending* At(std::size_t position) {
    if (position >= static_cast<std::size_t>(max_batch_)) return nullptr;
    std::lock_guard lock(mutex_);
    return position < queue_.size() ? queue_[position] : nullptr;
  }

  // Batches run so far (committed or not).
  std::uint64_t batches() const { return batches_.load(std::memory_order_acquire); }

  // Writes queued right now, including the batch being run.
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

 private:
  const int max_batch_;
  mutable std::mutex mutex_;
  std::deque<Pending*> queue_;  // guarded by mutex_
  std::atomic<std::uint64_t> batches_{0};
};

}  // namespace lvyuan::store::internal
