// WorkSharing: the verifier's helper threads. A job is cut into pieces; the calling thread
// hands them out, goes on with its own work, then takes whatever pieces are left and waits
// for the rest. The helpers start with the first job worth sharing, so a small log costs no
// thread at all.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/ints.h"

namespace kb::storage {

class WorkSharing {
public:
    // `threads` in all, the calling thread included: 1 (or 0) runs everything in finish().
    explicit WorkSharing(usize threads);
    // Finishes a started job, then stops the helpers.
    ~WorkSharing();
    WorkSharing(const WorkSharing&) = delete;
    WorkSharing& operator=(const WorkSharing&) = delete;

    // Hands job(0) .. job(pieces - 1) to the helpers and returns. Each piece runs exactly once,
    // on some thread. One job at a time: finish() the previous one first.
    void start(usize pieces, std::function<void(usize)> job);

    // Runs the pieces no helper has taken, then waits for the others. Once it returns,
    // whatever the pieces wrote is visible to the caller. Does nothing when no job was started.
    void finish();

private:
    void help();

    const usize helpers_wanted_;
    std::vector<std::thread> helpers_;
    bool helpers_tried_ = false;
    bool started_ = false;  // the calling thread's own view

    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable all_finished_;
    // Guarded by mutex_, except that helpers call job_ without it while they hold a piece:
    // it changes only once every piece has finished.
    std::function<void(usize)> job_;
    usize pieces_ = 0;
    usize next_ = 0;
    usize finished_ = 0;
    bool stopping_ = false;
};

}  // namespace kb::storage
