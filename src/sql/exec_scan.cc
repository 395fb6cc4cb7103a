// TableScan: reading a table through an access path (see exec_scan.h).
#include "sql/exec_scan.h"

#include "kernel/row_codec.h"
#include "sql/statement_guard.h"

namespace kb::sql {

TableScan::TableScan(kernel::TableSchema table, AccessPath path, std::string label)
    : table_(std::move(table)), decoder_(table_), path_(std::move(path)), label_(std::move(label)) {
    const usize points = path_.equal.size() + (path_.in_values.empty() ? 0 : 1);
    point_ = !path_.index && !path_.lower && !path_.upper && points == table_.primary_key.size();
}

SqlStatus TableScan::open(ExecContext& context) {
    cursor_.reset();
    point_row_.reset();
    started_ = false;
    ranges_ = KB_SQL_TRY(key_ranges(path_, context.eval));
    next_range_ = 0;
    return sql_ok();
}

void TableScan::close() {
    cursor_.reset();
    point_row_.reset();
    ranges_.clear();
    next_range_ = 0;
    started_ = false;
}

SqlStatus TableScan::open_next_range(db::Transaction& transaction) {
    const KeyRange& range = ranges_[next_range_++];
    started_ = false;
    if (point_) {
        // One key: a point read (recorded as that key) is cheaper than a cursor.
        auto row = transaction.get(table_.id, range.first);
        if (!row) return from_status(row.status());
        point_row_ = std::move(*row);
        return sql_ok();
    }
    const store::Direction direction =
        path_.backward ? store::Direction::backward : store::Direction::forward;
    auto cursor =
        path_.index
            ? transaction.open_index_cursor(path_.index->id, range.first, range.second, direction)
            : transaction.open_cursor(table_.id, range.first, range.second, direction);
    if (!cursor) return from_status(cursor.status());
    cursor_ = std::move(*cursor);
    return sql_ok();
}

SqlResult<bool> TableScan::next(ExecContext& context, Row& row) {
    // Every row read is a cancellation point (statement_guard.h): scans feed every other row
    // loop (sorts, aggregates, DML sources, COPY TO).
    if (must_stop(context.eval.guard)) return context.eval.guard->error();
    ByteSpan image;
    for (;;) {
        if (point_) {
            if (!started_ && point_row_) {
                image = *point_row_;
                break;
            }
        } else if (cursor_) {
            // Move on only now: the read set then ends at the last row actually taken.
            if (started_ && cursor_->valid()) {
                Status moved = cursor_->next();
                if (!moved.is_ok()) return from_status(moved);
            }
            if (cursor_->valid()) {
                image = cursor_->row();
                break;
            }
        }
        if (next_range_ >= ranges_.size()) {
            cursor_.reset();  // done: let go of the snapshot's pages now
            return false;
        }
        point_row_.reset();
        KB_SQL_TRY(open_next_range(*context.transaction));
    }
    started_ = true;
    Status decoded = decoder_.decode(image, row);
    if (!decoded.is_ok()) return from_status(decoded);
    return true;
}

std::string TableScan::explain() const {
    if (!path_.bounded() && !path_.index && !path_.serves_order) return "Seq Scan on " + label_;
    std::string line = std::string(path_.backward ? "Index Scan Backward" : "Index Scan") +
                       " using " + path_.name + " on " + label_;
    if (!path_.conditions.empty()) {
        line += "\nIndex Cond: ";
        if (path_.conditions.size() == 1) {
            line += path_.conditions[0];
        } else {
            line += "(";
            for (usize i = 0; i < path_.conditions.size(); ++i) {
                line += (i > 0 ? " AND " : "") + path_.conditions[i];
            }
            line += ")";
        }
    }
    return line;
}

}  // namespace kb::sql
