// Where `kmb sql` gets its lines: a terminal (GNU readline with history when the build found
// it, else plain line input the terminal's own line discipline edits) or a file / pipe.
//
// The terminal reader returns `interrupted` when Ctrl-C is pressed at the prompt (the shell
// drops the statement being typed); Ctrl-D on an empty line is the end of input. History is
// kept in KMB_HISTORY, else ~/.kmb_history (the newest 1000 entries).
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

namespace kb::cli {

struct LineInput {
    enum class Kind : unsigned char { line, end, interrupted };
    Kind kind = Kind::end;
    std::string text;  // without its '\n'
};

class LineReader {
public:
    virtual ~LineReader() = default;
    virtual LineInput read_line(const std::string& prompt) = 0;
    // Remembers an entry (a whole statement or a backslash command) in the history.
    virtual void add_history(const std::string& entry) { (void)entry; }
};

// Reads `file` (not owned) line by line; never prompts.
std::unique_ptr<LineReader> make_file_reader(std::FILE* file);

// Reads the terminal on stdin with a prompt and history. `interrupt` is set by the SIGINT
// handler the shell installs (sql_command.cc); the reader clears it when it reports
// `interrupted`.
std::unique_ptr<LineReader> make_terminal_reader(std::atomic<bool>* interrupt);

// "GNU readline" or "plain input" (for \? and tests).
const char* line_editor_name();

}  // namespace kb::cli
