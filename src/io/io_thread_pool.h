// IoThreadPool: a few threads that run blocking system calls (pread, pwrite, fdatasync) for
// LinuxStorage, so the event loop never blocks on the disk.
//
// More than one thread is the point: group commit needs a sync to run while the next batch of
// writes is submitted and written. Jobs start in FIFO order but may finish in any order. The
// destructor finishes every queued job, then joins the threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/ints.h"
#include "io/unique_function.h"

namespace kb::io {

class IoThreadPool {
public:
    // `thread_count` >= 1; threads are named "<name>-<index>" (visible in top and gdb).
    IoThreadPool(usize thread_count, std::string name);
    ~IoThreadPool();
    IoThreadPool(const IoThreadPool&) = delete;
    IoThreadPool& operator=(const IoThreadPool&) = delete;

    // Thread-safe.
    void submit(UniqueFunction<void()> job);

    usize thread_count() const { return threads_.size(); }

private:
    void work();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<UniqueFunction<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace kb::io
