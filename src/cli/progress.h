// A one-line progress bar on stderr, for long-running commands (`kmb verify`).
//
// It draws only when stderr is a terminal: piped or redirected output (scripts, CI logs) gets
// no control characters at all. Redraws are throttled (at most ~10 per second) so a fast
// caller can report after every record without the terminal becoming the bottleneck, and
// finish() erases the line so the command's summary starts on a clean line.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "base/ints.h"

namespace kb::cli {

class ProgressBar {
public:
    // `enabled` defaults to "stderr is a terminal".
    explicit ProgressBar(std::string label);
    ProgressBar(std::string label, bool enabled);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    bool enabled() const { return enabled_; }
    void update(u64 done, u64 total);
    // Erases the bar (if one was drawn). Safe to call twice.
    void finish();

private:
    std::string label_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

// The text of one frame, without control characters, at most `width` columns:
// "verifying [#########.........]  45%  1.2 GiB / 2.7 GiB  310 MiB/s".
std::string render_progress(std::string_view label, u64 done, u64 total, double elapsed_seconds,
                            usize width);

// "1.2 GiB", "512 B".
std::string format_bytes(u64 bytes);

}  // namespace kb::cli
