// Terminal progress bar (see progress.h).
#include "cli/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace kb::cli {

namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr usize kDefaultWidth = 80;

usize terminal_width() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) {
        return size.ws_col;
    }
    return kDefaultWidth;
}

}  // namespace

std::string format_bytes(u64 bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes);
    usize unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
    return text;
}

std::string render_progress(std::string_view label, u64 done, u64 total, double elapsed_seconds,
                            usize width) {
    total = std::max(total, done);
    const double fraction =
        total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
    const int percent = static_cast<int>(fraction * 100.0);
    std::string tail =
        "  " + std::to_string(percent) + "%  " + format_bytes(done) + " / " + format_bytes(total);
    if (elapsed_seconds > 0.5) {
        const double rate = static_cast<double>(done) / elapsed_seconds;
        tail += "  " + format_bytes(static_cast<u64>(rate)) + "/s";
    }
    // label + " [" + bar + "]" + tail must fit in width - 1 (the last column would wrap).
    const usize fixed = label.size() + 3 + tail.size();
    const usize bar_width = width > fixed + 11 ? std::min<usize>(width - 1 - fixed, 40) : 10;
    const auto filled = static_cast<usize>(fraction * static_cast<double>(bar_width));
    std::string line(label);
    line += " [";
    line.append(filled, '#');
    line.append(bar_width - filled, '.');
    line += "]";
    line += tail;
    if (line.size() > width - 1) line.resize(width - 1);
    return line;
}

ProgressBar::ProgressBar(std::string label)
    : ProgressBar(std::move(label), ::isatty(STDERR_FILENO) == 1) {}

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(u64 done, u64 total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < kRedrawInterval && done < total) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const std::string line = render_progress(label_, done, total, elapsed, terminal_width());
    // \r back to column 0, the frame, then erase whatever a longer earlier frame left.
    std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
}

void ProgressBar::finish() {
    if (!drawn_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
}

}  // namespace kb::cli
