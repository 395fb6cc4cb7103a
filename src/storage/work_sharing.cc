// WorkSharing (see work_sharing.h): a mutex and two condition variables. Pieces are coarse
// (tens of microseconds of hashing each), so taking one under the mutex costs nothing that
// matters.
#include "storage/work_sharing.h"

#include <system_error>
#include <utility>

#include "base/assert.h"

namespace kb::storage {

WorkSharing::WorkSharing(usize threads) : helpers_wanted_(threads > 0 ? threads - 1 : 0) {}

WorkSharing::~WorkSharing() {
    finish();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& helper : helpers_) helper.join();
}

void WorkSharing::start(usize pieces, std::function<void(usize)> job) {
    KB_ASSERT(!started_);
    const bool share = pieces > 1 && helpers_wanted_ > 0;
    if (share && !helpers_tried_) {
        helpers_tried_ = true;
        helpers_.reserve(helpers_wanted_);
        for (usize i = 0; i < helpers_wanted_; ++i) {
            try {
                helpers_.emplace_back([this] { help(); });
            } catch (const std::system_error&) {
                break;  // no more threads to be had: fewer helpers (or none) do the work
            }
        }
    }
    {
        std::lock_guard lock(mutex_);
        job_ = std::move(job);
        pieces_ = pieces;
        next_ = 0;
        finished_ = 0;
    }
    started_ = true;
    if (share) work_ready_.notify_all();
}

void WorkSharing::finish() {
    if (!started_) return;
    std::unique_lock lock(mutex_);
    while (next_ < pieces_) {
        const usize piece = next_++;
        lock.unlock();
        job_(piece);
        lock.lock();
        ++finished_;
    }
    all_finished_.wait(lock, [&] { return finished_ == pieces_; });
    // No helper holds a piece now, so none is still running the job.
    job_ = nullptr;
    pieces_ = 0;
    next_ = 0;
    finished_ = 0;
    started_ = false;
}

void WorkSharing::help() {
    std::unique_lock lock(mutex_);
    while (true) {
        work_ready_.wait(lock, [&] { return stopping_ || next_ < pieces_; });
        if (stopping_) return;
        const usize piece = next_++;
        lock.unlock();
        job_(piece);
        lock.lock();
        if (++finished_ == pieces_) all_finished_.notify_one();
    }
}

}  // namespace kb::storage
