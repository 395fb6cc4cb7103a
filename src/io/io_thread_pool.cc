// IoThreadPool: one mutex-protected FIFO and a condition variable. The job rate is bounded by
// the disk (tens of thousands of operations per second), so a lock per job costs nothing here.
#include "io/io_thread_pool.h"

#include <pthread.h>

#include "base/assert.h"

namespace kb::io {

IoThreadPool::IoThreadPool(usize thread_count, std::string name) {
    KB_ASSERT(thread_count >= 1);
    threads_.reserve(thread_count);
    for (usize index = 0; index < thread_count; ++index) {
        threads_.emplace_back([this] { work(); });
        // Linux limits thread names to 15 characters; longer names are cut, not refused.
        std::string thread_name = (name + "-" + std::to_string(index)).substr(0, 15);
        pthread_setname_np(threads_.back().native_handle(), thread_name.c_str());
    }
}

IoThreadPool::~IoThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
}

void IoThreadPool::submit(UniqueFunction<void()> job) {
    KB_ASSERT(job);
    {
        std::lock_guard lock(mutex_);
        KB_ASSERT_MSG(!stopping_, "job submitted to a stopping IoThreadPool");
        jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
}

void IoThreadPool::work() {
    while (true) {
        UniqueFunction<void()> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping, and every queued job has been taken
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

}  // namespace kb::io
