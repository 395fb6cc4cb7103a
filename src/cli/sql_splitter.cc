// SqlSplitter (sql_splitter.h): a character scanner with the lexical states of PostgreSQL's
// SQL that matter for finding a statement's end.
#include "cli/sql_splitter.h"

namespace kb::cli {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A character that may continue an identifier or keyword (PostgreSQL's ident_cont, with any
// byte of a multi-byte UTF-8 character counting as a letter).
bool is_ident_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
           u == '$' || u >= 0x80;
}

bool is_tag_start(char c) { return is_ident_char(c) && c != '$' && !(c >= '0' && c <= '9'); }

}  // namespace

void SqlSplitter::feed(std::string_view text) {
    buffer_.append(text);
    scan(false);
}

std::optional<SqlStatementText> SqlSplitter::next() {
    if (ready_.empty()) return std::nullopt;
    SqlStatementText statement = std::move(ready_.front());
    ready_.pop_front();
    return statement;
}

std::optional<SqlStatementText> SqlSplitter::finish() {
    scan(true);
    std::optional<SqlStatementText> last;
    if (started_ && significant_) {
        std::string text = buffer_;
        while (!text.empty() && is_space(text.back())) text.pop_back();
        last = SqlStatementText{std::move(text), first_line_};
    }
    clear_current();
    return last;
}

char SqlSplitter::state_char() const {
    switch (state_) {
        case State::single_quote:
        case State::escape_quote:
            return '\'';
        case State::double_quote:
            return '"';
        case State::dollar_quote:
            return '$';
        case State::block_comment:
            return '*';
        default:
            return paren_depth_ > 0 ? '(' : '-';
    }
}

void SqlSplitter::reset_current() {
    // Lines already fed still count.
    for (std::size_t i = scan_; i < buffer_.size(); ++i) {
        if (buffer_[i] == '\n') ++line_;
    }
    clear_current();
}

void SqlSplitter::clear_current() {
    buffer_.clear();
    scan_ = 0;
    state_ = State::normal;
    started_ = false;
    significant_ = false;
    block_depth_ = 0;
    paren_depth_ = 0;
    dollar_tag_.clear();
}

void SqlSplitter::start_statement() {
    if (started_) return;
    buffer_.erase(0, scan_);  // the whitespace and "--" comments before it
    scan_ = 0;
    started_ = true;
    first_line_ = line_;
}

void SqlSplitter::emit(std::size_t end) {
    if (significant_) ready_.push_back({buffer_.substr(0, end), first_line_});
    buffer_.erase(0, end);
    scan_ = 0;
    started_ = false;
    significant_ = false;
    paren_depth_ = 0;
    block_depth_ = 0;
}

void SqlSplitter::scan(bool at_end) {
    // Whether buffer_[scan_ + ahead] exists; when it does not and more input may come, the
    // scan stops there and resumes on the next feed().
    auto have = [&](std::size_t ahead) { return scan_ + ahead < buffer_.size(); };
    while (scan_ < buffer_.size()) {
        const char c = buffer_[scan_];
        if (c == '\n') ++line_;
        switch (state_) {
            case State::normal: {
                if (is_space(c)) {
                    ++scan_;
                    continue;
                }
                if (c == '-' || c == '/') {
                    if (!have(1) && !at_end) return;  // "--" or "/*" may follow
                    const char after = have(1) ? buffer_[scan_ + 1] : '\0';
                    if (c == '-' && after == '-') {
                        state_ = State::line_comment;
                        scan_ += 2;
                        continue;
                    }
                    if (c == '/' && after == '*') {
                        start_statement();
                        state_ = State::block_comment;
                        block_depth_ = 1;
                        scan_ += 2;
                        continue;
                    }
                }
                start_statement();
                if (c == ';' && paren_depth_ == 0) {
                    emit(scan_ + 1);
                    continue;
                }
                significant_ = true;
                if (c == '(') {
                    ++paren_depth_;
                } else if (c == ')') {
                    if (paren_depth_ > 0) --paren_depth_;
                } else if (c == '\'') {
                    const bool escape = scan_ >= 1 &&
                                        (buffer_[scan_ - 1] == 'e' || buffer_[scan_ - 1] == 'E') &&
                                        (scan_ == 1 || !is_ident_char(buffer_[scan_ - 2]));
                    state_ = escape ? State::escape_quote : State::single_quote;
                } else if (c == '"') {
                    state_ = State::double_quote;
                } else if (c == '$' && (scan_ == 0 || !is_ident_char(buffer_[scan_ - 1]))) {
                    // $tag$ or $$ opens a dollar quote; $1 is a parameter.
                    std::size_t end = scan_ + 1;
                    if (end < buffer_.size() && is_tag_start(buffer_[end])) {
                        ++end;
                        while (end < buffer_.size() && is_ident_char(buffer_[end]) &&
                               buffer_[end] != '$') {
                            ++end;
                        }
                    }
                    if (end >= buffer_.size() && !at_end) return;  // the tag may go on
                    if (end < buffer_.size() && buffer_[end] == '$') {
                        dollar_tag_ = buffer_.substr(scan_, end - scan_ + 1);
                        state_ = State::dollar_quote;
                        scan_ = end + 1;
                        continue;
                    }
                }
                ++scan_;
                continue;
            }
            case State::line_comment:
                if (c == '\n') state_ = State::normal;
                ++scan_;
                continue;
            case State::block_comment:
                if ((c == '/' || c == '*') && !have(1) && !at_end) return;
                if (c == '/' && have(1) && buffer_[scan_ + 1] == '*') {
                    ++block_depth_;
                    scan_ += 2;
                    continue;
                }
                if (c == '*' && have(1) && buffer_[scan_ + 1] == '/') {
                    if (--block_depth_ == 0) state_ = State::normal;
                    scan_ += 2;
                    continue;
                }
                ++scan_;
                continue;
            case State::single_quote:
            case State::double_quote: {
                const char quote = state_ == State::single_quote ? '\'' : '"';
                if (c == quote) {
                    if (!have(1) && !at_end) return;  // '' or the end of the string?
                    if (have(1) && buffer_[scan_ + 1] == quote) {
                        scan_ += 2;
                        continue;
                    }
                    state_ = State::normal;
                }
                ++scan_;
                continue;
            }
            case State::escape_quote:
                if (c == '\\') {
                    if (!have(1) && !at_end) return;
                    if (have(1) && buffer_[scan_ + 1] == '\n') ++line_;
                    scan_ += have(1) ? std::size_t{2} : std::size_t{1};
                    continue;
                }
                if (c == '\'') {
                    if (!have(1) && !at_end) return;
                    if (have(1) && buffer_[scan_ + 1] == '\'') {
                        scan_ += 2;
                        continue;
                    }
                    state_ = State::normal;
                }
                ++scan_;
                continue;
            case State::dollar_quote:
                if (c == '$') {
                    const std::size_t available = buffer_.size() - scan_;
                    if (available < dollar_tag_.size()) {
                        if (!at_end &&
                            buffer_.compare(scan_, available, dollar_tag_, 0, available) == 0) {
                            return;  // may be the closing tag
                        }
                    } else if (buffer_.compare(scan_, dollar_tag_.size(), dollar_tag_) == 0) {
                        state_ = State::normal;
                        scan_ += dollar_tag_.size();
                        dollar_tag_.clear();
                        continue;
                    }
                }
                ++scan_;
                continue;
        }
    }
    if (!started_ && state_ == State::normal) {
        buffer_.clear();  // only whitespace and comments so far
        scan_ = 0;
    }
}

}  // namespace kb::cli
