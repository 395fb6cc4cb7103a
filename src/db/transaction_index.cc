// Streaming and index reads of a transaction: RowCursor merges the snapshot's table rows or
// index entries with the overlay (see transaction.h), and the read set records exactly the key
// range the cursor moved over.
//
// An index entry in the snapshot maps an index key to a primary key; the row comes from the
// table's tree at the same read position. The overlay has rows, not index entries, so a cursor
// keys the overlay's rows of the table when it opens (decode, TableKeys::index_key) and hides
// every snapshot entry whose primary key the transaction wrote (its current version, if any,
// is among the overlay's rows with its current index key). Cost: one decode per overlay row of
// the table per cursor; nothing when the transaction wrote nothing there.
#include "db/transaction.h"

#include <algorithm>

#include "base/assert.h"
#include "kernel/kernel_trees.h"
#include "kernel/row_codec.h"

namespace kb::db {

namespace {

bool in_range(ByteSpan key, ByteSpan lower, ByteSpan upper) {
    return !bytes_less(key, lower) && (upper.empty() || bytes_less(key, upper));
}

}  // namespace

// --- RowCursor ----------------------------------------------------------------------------

Status RowCursor::next() {
    KB_ASSERT(valid_);
    if (from_snapshot_) {
        KB_TRY(snapshot_->next());
    } else {
        ++pending_next_;
    }
    return settle();
}

Status RowCursor::settle() {
    // "a comes before b in the cursor's order"
    auto before = [&](ByteSpan a, ByteSpan b) {
        return backward_ ? bytes_less(b, a) : bytes_less(a, b);
    };
    for (;;) {
        // An index entry of a row the transaction wrote is stale: the overlay has the row.
        while (index_ && table_written_ && snapshot_ && snapshot_->valid() &&
               transaction_->wrote_before(table_, snapshot_->row(), opened_at_)) {
            KB_TRY(snapshot_->next());
        }
        const bool have_snapshot = snapshot_ && snapshot_->valid();
        const bool have_pending = pending_next_ < pending_.size();
        if (!have_snapshot && !have_pending) {
            valid_ = false;
            record_read();
            return Status::ok();
        }
        if (have_pending) {
            const Pending& pending = pending_[pending_next_];
            const ByteSpan pending_key = index_ ? pending.index_key : pending.key;
            if (!have_snapshot || !before(snapshot_->key(), pending_key)) {
                if (!index_ && have_snapshot && bytes_equal(snapshot_->key(), pending_key)) {
                    KB_TRY(snapshot_->next());  // the overlay's version replaces the snapshot's
                }
                if (pending.removed) {
                    ++pending_next_;
                    continue;
                }
                from_snapshot_ = false;
                current_index_key_ = pending_key;
                current_key_ = pending.key;
                current_row_ = pending.row;
                valid_ = true;
                record_read();
                return Status::ok();
            }
        }
        from_snapshot_ = true;
        current_index_key_ = snapshot_->key();
        if (index_) {
            current_key_ = snapshot_->row();
            auto row = KB_TRY(store::mvcc_get(rows_, current_key_, transaction_->read_position()));
            if (!row) {
                return Status::corruption("index " + std::to_string(object_.value()) +
                                          ": an entry names a primary key with no row at "
                                          "position " +
                                          std::to_string(transaction_->read_position().value()));
            }
            row_buffer_ = std::move(*row);
            current_row_ = row_buffer_;
        } else {
            current_key_ = snapshot_->key();
            current_row_ = snapshot_->row();
        }
        valid_ = true;
        record_read();
        return Status::ok();
    }
}

void RowCursor::record_read() {
    kernel::ReadSet& reads = transaction_->reads_;
    if (!read_index_) {
        read_index_ = reads.ranges.size();
        reads.ranges.push_back(kernel::KeyRange{.object = object_, .start = {}, .end = {}});
        if (whole_table_read_) return;  // [empty, unbounded): the whole key space
        // The bound the scan starts from never moves: set it once (the other moves per row).
        if (backward_) {
            reads.ranges.back().end = upper_;
        } else {
            reads.ranges.back().start = lower_;
        }
    }
    if (whole_table_read_) return;
    kernel::KeyRange& range = reads.ranges[*read_index_];
    const ByteSpan current = current_index_key_;
    if (!valid_) {
        range.start = lower_;
        range.end = upper_;
    } else if (backward_) {
        // Read from the top down to the current key.
        range.start.assign(current.begin(), current.end());
    } else {
        // The smallest key after the current one: [lower, current] as a half-open range. (The
        // buffer keeps its capacity from row to row: no allocation per row.)
        range.end.resize(current.size() + 1);
        std::copy(current.begin(), current.end(), range.end.begin());
        range.end.back() = 0;
    }
}

// --- opening cursors ----------------------------------------------------------------------

std::vector<RowCursor::Pending> Transaction::overlay_rows(TableId table, ByteSpan lower,
                                                          ByteSpan upper) const {
    std::vector<RowCursor::Pending> rows;
    for (auto it = overlay_.lower_bound(OverlayKey{table.value(), copy_of(lower)});
         it != overlay_.end() && it->first.table == table.value() &&
         (upper.empty() || bytes_less(it->first.key, upper));
         ++it) {
        rows.push_back(RowCursor::Pending{.index_key = {},
                                          .key = it->first.key,
                                          .row = it->second.image.value_or(Bytes()),
                                          .removed = !it->second.image.has_value()});
    }
    return rows;
}

RowCursor Transaction::new_cursor(kernel::ObjectId object, TableId table, ByteSpan lower,
                                  ByteSpan upper, store::Direction direction) {
    RowCursor cursor;
    cursor.transaction_ = this;
    cursor.backward_ = direction == store::Direction::backward;
    cursor.object_ = object;
    cursor.table_ = table;
    cursor.opened_at_ = writes_;
    cursor.lower_ = copy_of(lower);
    cursor.upper_ = copy_of(upper);
    return cursor;
}

Result<RowCursor> Transaction::open_cursor(TableId table, ByteSpan lower, ByteSpan upper,
                                           store::Direction direction) {
    KB_TRY(check_table(table));
    RowCursor cursor = new_cursor(kernel::object_of(table), table, lower, upper, direction);
    const store::TreeId tree = kernel::trees::table(tenant_, table);
    if (!truncated_.contains(table.value())) {
        // One search for the tree's root serves both "is there a tree" and the cursor.
        if (const auto view = KB_TRY(snapshot_.find_tree(tree))) {
            cursor.snapshot_ =
                KB_TRY(store::MvccCursor::open(*view, lower, upper, read_position(), direction));
        }
    }
    cursor.pending_ = overlay_rows(table, lower, upper);
    if (cursor.backward_) std::reverse(cursor.pending_.begin(), cursor.pending_.end());
    KB_TRY(cursor.settle());
    return cursor;
}

Result<RowCursor> Transaction::open_index_cursor(IndexId index_id, ByteSpan lower, ByteSpan upper,
                                                 store::Direction direction) {
    const kernel::IndexSchema* index = catalog_->index(index_id, schema_position());
    if (index == nullptr) return Status::not_found("no index " + std::to_string(index_id.value()));
    const TableId table_id = index->table;
    KB_TRY(check_table(table_id));
    const kernel::TableSchema& table = *catalog_->table(table_id, schema_position());
    kernel::TableKeys keys(table, {index});

    RowCursor cursor = new_cursor(kernel::object_of(index_id), table_id, lower, upper, direction);
    cursor.index_ = true;

    // The transaction's rows of the table in the range, keyed for the index.
    const OverlayIndex& written = *KB_TRY(overlay_index(*index));
    for (auto it = written.lower_bound(cursor.lower_);
         it != written.end() && in_range(it->first, lower, upper); ++it) {
        const auto row = overlay_.find(OverlayKey{table_id.value(), it->second});
        KB_ASSERT(row != overlay_.end() && row->second.image);
        cursor.pending_.push_back(RowCursor::Pending{
            .index_key = it->first, .key = it->second, .row = *row->second.image});
    }
    const auto first_written = overlay_.lower_bound(OverlayKey{table_id.value(), Bytes()});
    cursor.table_written_ =
        first_written != overlay_.end() && first_written->first.table == table_id.value();
    auto add_row = [&](ByteSpan key, ByteSpan image) -> Status {
        auto values = KB_TRY(kernel::decode_row(table, image));
        Bytes index_key = KB_TRY(keys.index_key(0, values, key));
        if (in_range(index_key, lower, upper)) {
            cursor.pending_.push_back(RowCursor::Pending{
                .index_key = std::move(index_key), .key = copy_of(key), .row = copy_of(image)});
        }
        return Status::ok();
    };

    const bool table_cleared = truncated_.contains(table_id.value());
    const store::TreeId table_tree = kernel::trees::table(tenant_, table_id);
    const store::TreeId index_tree = kernel::trees::index(tenant_, index_id);
    const bool have_rows = !table_cleared && KB_TRY(snapshot_.has_tree(table_tree));
    if (have_rows && KB_TRY(snapshot_.has_tree(index_tree))) {
        cursor.snapshot_ = KB_TRY(store::MvccCursor::open(snapshot_, index_tree, lower, upper,
                                                          read_position(), direction));
        cursor.rows_ = KB_TRY(snapshot_.tree(table_tree));
    } else if (have_rows) {
        // An index this transaction created: the snapshot has rows but no entries for them.
        // Key every row here, and rely on the whole table (no other transaction writes this
        // index's keys: it does not exist for them).
        auto rows = KB_TRY(store::MvccCursor::open(snapshot_, table_tree, {}, {}, read_position(),
                                                   store::Direction::forward));
        while (rows.valid()) {
            if (!wrote(table_id, rows.key())) KB_TRY(add_row(rows.key(), rows.row()));
            KB_TRY(rows.next());
        }
        cursor.whole_table_read_ = true;
        cursor.object_ = kernel::object_of(table_id);
    }
    std::sort(cursor.pending_.begin(), cursor.pending_.end(),
              [&](const RowCursor::Pending& a, const RowCursor::Pending& b) {
                  return cursor.backward_ ? bytes_less(b.index_key, a.index_key)
                                          : bytes_less(a.index_key, b.index_key);
              });
    KB_TRY(cursor.settle());
    return cursor;
}

Result<const Transaction::OverlayIndex*> Transaction::overlay_index(
    const kernel::IndexSchema& index) {
    if (auto found = overlay_indexes_.find(index.id.value()); found != overlay_indexes_.end()) {
        return &found->second;
    }
    const kernel::TableSchema* table = catalog_->table(index.table, schema_position());
    KB_ASSERT(table != nullptr);
    kernel::TableKeys keys(*table, {&index});
    OverlayIndex built;
    for (auto it = overlay_.lower_bound(OverlayKey{index.table.value(), Bytes()});
         it != overlay_.end() && it->first.table == index.table.value(); ++it) {
        if (!it->second.image) continue;
        auto values = KB_TRY(kernel::decode_row(*table, *it->second.image));
        built.emplace(KB_TRY(keys.index_key(0, values, it->first.key)), it->first.key);
    }
    return &overlay_indexes_.emplace(index.id.value(), std::move(built)).first->second;
}

void Transaction::reindex_overlay_row(TableId table_id, ByteSpan key,
                                      const std::optional<Bytes>& before,
                                      const std::optional<Bytes>& after) {
    const kernel::TableSchema* table = catalog_->table(table_id, schema_position());
    for (auto entry = overlay_indexes_.begin(); entry != overlay_indexes_.end();) {
        const kernel::IndexSchema* index =
            catalog_->index(IndexId(entry->first), schema_position());
        if (index == nullptr || index->table != table_id) {
            ++entry;
            continue;
        }
        kernel::TableKeys keys(*table, {index});
        auto index_key_of = [&](const Bytes& image) -> Result<Bytes> {
            auto values = KB_TRY(kernel::decode_row(*table, image));
            return keys.index_key(0, values, key);
        };
        bool kept = true;
        if (before) {
            auto old_key = index_key_of(*before);
            kept = old_key.is_ok();
            if (kept) {
                auto [first, last] = entry->second.equal_range(*old_key);
                for (; first != last; ++first) {
                    if (bytes_equal(first->second, key)) {
                        entry->second.erase(first);
                        break;
                    }
                }
            }
        }
        if (kept && after) {
            auto new_key = index_key_of(*after);
            kept = new_key.is_ok();
            if (kept) entry->second.emplace(std::move(*new_key), copy_of(key));
        }
        // An image that does not decode: forget this index; the next cursor rebuilds it and
        // meets the error there.
        entry = kept ? std::next(entry) : overlay_indexes_.erase(entry);
    }
}

Result<std::vector<IndexedRow>> Transaction::index_scan(IndexId index, ByteSpan lower,
                                                        ByteSpan upper, usize limit) {
    std::vector<IndexedRow> rows;
    if (limit == 0) return rows;
    RowCursor cursor = KB_TRY(open_index_cursor(index, lower, upper));
    while (cursor.valid()) {
        rows.push_back(IndexedRow{.index_key = copy_of(cursor.index_key()),
                                  .key = copy_of(cursor.key()),
                                  .row = copy_of(cursor.row())});
        if (rows.size() >= limit) break;  // the read set ends at this row
        KB_TRY(cursor.next());
    }
    return rows;
}

Result<std::optional<IndexedRow>> Transaction::index_get(IndexId index, ByteSpan prefix) {
    KB_ASSERT(!prefix.empty());
    const Bytes end = kernel::prefix_end(prefix);
    RowCursor cursor = KB_TRY(open_index_cursor(index, prefix, end));
    if (!cursor.valid()) return std::optional<IndexedRow>();
    IndexedRow row{.index_key = copy_of(cursor.index_key()),
                   .key = copy_of(cursor.key()),
                   .row = copy_of(cursor.row())};
    // Found: the read covers [prefix, row]. Record the whole prefix instead, so that a write of
    // another row with those values (a duplicate the caller is about to report) is covered too.
    reads_.ranges.push_back(
        kernel::KeyRange{.object = kernel::object_of(index), .start = copy_of(prefix), .end = end});
    return std::optional<IndexedRow>(std::move(row));
}

}  // namespace kb::db
