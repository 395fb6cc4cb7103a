// SqlSplitter: cuts SQL text typed or read from a script into statements at the semicolons
// that end them, the way psql does, so `kmb sql` can send one statement at a time.
//
// A ';' ends a statement only outside string constants ('...', E'...' with backslash
// escapes, and the other prefixed forms), quoted identifiers ("..."), dollar-quoted strings
// ($$...$$, $tag$...$tag$), comments (-- to the end of the line, /* ... */ nested) and
// parentheses. The statement text handed out ends with its ';'. Whitespace and "--" comments
// before a statement are dropped (as psql does); a statement of nothing but comments and
// semicolons is not handed out at all.
//
// Input arrives in pieces (lines of a terminal or a file): feed() each piece, take
// statements with next(), and call finish() at the end of the input for a last statement
// without ';'. Pieces may split a token anywhere (even "-" "-" or "$ta" "g$"): the splitter
// waits for the characters it needs. Line numbers count '\n' fed so far, from 1.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace kb::cli {

struct SqlStatementText {
    std::string text;    // from its first significant character through its ';' (if any)
    int first_line = 1;  // line of the input its first character is on
};

class SqlSplitter {
public:
    void feed(std::string_view text);

    // The next complete statement, in input order; nullopt when none is complete.
    std::optional<SqlStatementText> next();

    // End of input: scans what is left as if the input ended there and returns the last
    // statement when it holds anything but whitespace and comments (an unterminated quote
    // included: the server reports it). The splitter is empty afterwards.
    std::optional<SqlStatementText> finish();

    // True when part of a statement has been fed (the shell's continuation prompt).
    bool in_statement() const { return started_; }

    // What the unfinished statement is inside, for the prompt: '\'' or '"' (a quote), '$'
    // (a dollar quote), '*' (a block comment), '(' (parentheses), '-' otherwise.
    char state_char() const;

    // Counts `count` input lines the caller read itself (the data of COPY FROM STDIN in a
    // script) so later statements keep their line numbers.
    void skip_lines(int count) { line_ += count; }

    // Drops the unfinished statement (Ctrl-C in the shell, \r). Complete statements not yet
    // taken stay.
    void reset_current();

private:
    enum class State : unsigned char {
        normal,
        line_comment,
        block_comment,
        single_quote,  // standard string: '' escapes a quote, backslash is ordinary
        escape_quote,  // E'...': backslash escapes the next character
        double_quote,
        dollar_quote,
    };

    // Scans buffer_ from scan_; returns when it needs more input than it has (unless at_end).
    void scan(bool at_end);
    void start_statement();
    void emit(std::size_t end);
    void clear_current();

    // The unfinished statement; before its first significant character (started_ false) only
    // the whitespace and comments being skipped.
    std::string buffer_;
    std::size_t scan_ = 0;  // next index of buffer_ to scan
    State state_ = State::normal;
    bool started_ = false;      // buffer_[0] is the statement's first character
    bool significant_ = false;  // the statement holds something besides comments
    int block_depth_ = 0;       // nesting of /* */
    int paren_depth_ = 0;
    std::string dollar_tag_;  // "$tag$" while in a dollar quote
    int first_line_ = 1;
    int line_ = 1;  // line of buffer_[scan_]
    std::deque<SqlStatementText> ready_;
};

}  // namespace kb::cli
