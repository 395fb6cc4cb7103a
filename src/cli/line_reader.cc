// line_reader.h: file input, and terminal input through GNU readline (KB_HAVE_READLINE) or
// plain stdio.
#include "cli/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#ifdef KB_HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

namespace kb::cli {

namespace {

constexpr int kHistoryEntries = 1000;

// One line of `file` without its newline; end at EOF. Retries reads a signal interrupts unless
// `interrupt` says the user pressed Ctrl-C.
LineInput read_file_line(std::FILE* file, std::atomic<bool>* interrupt) {
    LineInput input;
    input.kind = LineInput::Kind::line;
    for (;;) {
        errno = 0;
        const int c = std::fgetc(file);
        if (c == EOF) {
            if (std::ferror(file) && errno == EINTR) {
                std::clearerr(file);
                if (interrupt != nullptr && interrupt->exchange(false)) {
                    input.kind = LineInput::Kind::interrupted;
                    return input;
                }
                continue;
            }
            if (input.text.empty()) input.kind = LineInput::Kind::end;
            return input;
        }
        if (c == '\n') return input;
        input.text += static_cast<char>(c);
    }
}

class FileReader final : public LineReader {
public:
    explicit FileReader(std::FILE* file) : file_(file) {}
    LineInput read_line(const std::string&) override { return read_file_line(file_, nullptr); }

private:
    std::FILE* file_;
};

#ifdef KB_HAVE_READLINE

std::string history_path() {
    if (const char* path = std::getenv("KMB_HISTORY")) return path;
    if (const char* home = std::getenv("HOME")) return std::string(home) + "/.kmb_history";
    return {};
}

// readline's callback interface hands the finished line to a plain function.
LineInput* g_pending_line = nullptr;
bool g_line_done = false;

void on_line(char* line) {
    if (line == nullptr) {
        g_pending_line->kind = LineInput::Kind::end;
    } else {
        g_pending_line->kind = LineInput::Kind::line;
        g_pending_line->text = line;
        std::free(line);
    }
    g_line_done = true;
    rl_callback_handler_remove();
}

class ReadlineReader final : public LineReader {
public:
    explicit ReadlineReader(std::atomic<bool>* interrupt)
        : interrupt_(interrupt), history_(history_path()) {
        rl_readline_name = "kmb";
        rl_catch_signals = 0;  // the shell's own SIGINT handler runs instead
        rl_catch_sigwinch = 1;
        using_history();
        stifle_history(kHistoryEntries);
        if (!history_.empty()) read_history(history_.c_str());
    }
    ~ReadlineReader() override {
        if (!history_.empty() && write_history(history_.c_str()) == 0) {
            history_truncate_file(history_.c_str(), kHistoryEntries);
        }
    }

    LineInput read_line(const std::string& prompt) override {
        LineInput input;
        g_pending_line = &input;
        g_line_done = false;
        rl_callback_handler_install(prompt.c_str(), on_line);
        while (!g_line_done) {
            pollfd waiter{.fd = fileno(rl_instream != nullptr ? rl_instream : stdin),
                          .events = POLLIN,
                          .revents = 0};
            const int ready = ::poll(&waiter, 1, -1);
            if (ready < 0 && errno == EINTR) {
                if (interrupt_ != nullptr && interrupt_->exchange(false)) {
                    // Ctrl-C: forget the line being typed, as psql does.
                    rl_free_line_state();
                    rl_callback_sigcleanup();
                    rl_callback_handler_remove();
                    std::fputs("\n", stdout);
                    std::fflush(stdout);
                    input.kind = LineInput::Kind::interrupted;
                    g_pending_line = nullptr;
                    return input;
                }
                continue;
            }
            if (ready < 0) {
                rl_callback_handler_remove();
                input.kind = LineInput::Kind::end;
                break;
            }
            rl_callback_read_char();
        }
        g_pending_line = nullptr;
        return input;
    }

    void add_history(const std::string& entry) override {
        if (entry.empty()) return;
        HIST_ENTRY* last =
            history_length > 0 ? history_get(history_base + history_length - 1) : nullptr;
        if (last != nullptr && last->line != nullptr && entry == last->line) return;
        ::add_history(entry.c_str());
    }

private:
    std::atomic<bool>* interrupt_;
    std::string history_;
};

#else

class PlainTerminalReader final : public LineReader {
public:
    explicit PlainTerminalReader(std::atomic<bool>* interrupt) : interrupt_(interrupt) {}
    LineInput read_line(const std::string& prompt) override {
        std::fputs(prompt.c_str(), stdout);
        std::fflush(stdout);
        LineInput input = read_file_line(stdin, interrupt_);
        if (input.kind != LineInput::Kind::line) std::fputs("\n", stdout);
        return input;
    }

private:
    std::atomic<bool>* interrupt_;
};

#endif

}  // namespace

std::unique_ptr<LineReader> make_file_reader(std::FILE* file) {
    return std::make_unique<FileReader>(file);
}

std::unique_ptr<LineReader> make_terminal_reader(std::atomic<bool>* interrupt) {
#ifdef KB_HAVE_READLINE
    return std::make_unique<ReadlineReader>(interrupt);
#else
    return std::make_unique<PlainTerminalReader>(interrupt);
#endif
}

const char* line_editor_name() {
#ifdef KB_HAVE_READLINE
    return "GNU readline";
#else
    return "plain input";
#endif
}

}  // namespace kb::cli
