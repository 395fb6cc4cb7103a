// Transaction: snapshot reads plus an overlay, committed as one op (see transaction.h).
#include "db/transaction.h"

#include <algorithm>
#include <atomic>
#include <iterator>

#include "kernel/access_reads.h"
#include "kernel/ddl.h"
#include "kernel/kernel_trees.h"
#include "store/mvcc.h"

namespace kb::db {

bool Transaction::BytesLess::operator()(const Bytes& a, const Bytes& b) const {
    return bytes_less(a, b);
}

bool Transaction::OverlayKeyLess::operator()(const OverlayKey& a, const OverlayKey& b) const {
    if (a.table != b.table) return a.table < b.table;
    return bytes_less(a.key, b.key);
}

bool Transaction::OverlayKeyLess::operator()(const OverlayKey& a, const OverlayProbe& b) const {
    if (a.table != b.table) return a.table < b.table;
    return bytes_less(a.key, b.key);
}

bool Transaction::OverlayKeyLess::operator()(const OverlayProbe& a, const OverlayKey& b) const {
    if (a.table != b.table) return a.table < b.table;
    return bytes_less(a.key, b.key);
}

Transaction::Transaction(TransactionHost& host, TenantId tenant, PrincipalId principal,
                         store::Snapshot snapshot,
                         std::shared_ptr<const kernel::TenantCatalog> catalog)
    : host_(&host),
      tenant_(tenant),
      principal_(principal),
      snapshot_(std::move(snapshot)),
      catalog_(std::move(catalog)) {}

u64 TransactionHost::next_instance_id() {
    static std::atomic<u64> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

std::optional<SchemaKey> Transaction::schema_key() const {
    if (as_of_ || !ddl_.empty()) return std::nullopt;
    return SchemaKey{host_->instance_id(), tenant_, catalog_->version()};
}

kernel::TenantCatalog& Transaction::own_catalog() {
    if (own_catalog_ == nullptr) {
        auto copy = std::make_shared<kernel::TenantCatalog>(*catalog_);
        own_catalog_ = copy.get();
        catalog_ = std::move(copy);
    }
    return *own_catalog_;
}

Result<Transaction> Transaction::begin(TransactionHost& host, TenantId tenant,
                                       PrincipalId principal) {
    TransactionHost::Start start = host.start(tenant);
    if (!start.catalog || start.catalog->info().created > start.snapshot.applied()) {
        return Status::not_found("no tenant " + std::to_string(tenant.value()));
    }
    if (start.catalog->info().is_dropped()) {
        return Status::not_found("database \"" + start.catalog->info().name +
                                 "\" does not exist (dropped at position " +
                                 std::to_string(start.catalog->info().dropped.value()) + ")");
    }
    return Transaction(host, tenant, principal, std::move(start.snapshot),
                       std::move(start.catalog));
}

Result<bool> Transaction::is_superuser() const {
    if (!superuser_) {
        superuser_ =
            KB_TRY(kernel::reads::is_superuser(snapshot_, principal_, snapshot_.applied()));
    }
    return *superuser_;
}

Result<bool> Transaction::has_table_privilege(TableId table, kernel::Privilege privilege) const {
    if (KB_TRY(is_superuser())) return true;
    const auto key = std::make_pair(table.value(), privilege);
    auto found = privileges_.find(key);
    if (found == privileges_.end()) {
        const bool allowed = KB_TRY(kernel::reads::has_table_privilege(
            snapshot_, principal_, tenant_, table, privilege, snapshot_.applied()));
        found = privileges_.emplace(key, allowed).first;
    }
    return found->second;
}

Status Transaction::read_as_of(Position position) {
    if (position > snapshot_.applied()) {
        return Status::out_of_range("position " + std::to_string(position.value()) +
                                    " is after the newest applied position " +
                                    std::to_string(snapshot_.applied().value()));
    }
    as_of_ = position;
    return Status::ok();
}

Status Transaction::check_writable() const {
    if (as_of_) {
        return Status::permission_denied("the transaction reads as of position " +
                                         std::to_string(as_of_->value()) + " and cannot write");
    }
    return Status::ok();
}

Status Transaction::check_table(TableId table) const {
    if (catalog_->table(table, schema_position()) == nullptr) {
        return Status::not_found("no table " + std::to_string(table.value()));
    }
    return Status::ok();
}

Result<std::optional<Bytes>> Transaction::visible(TableId table, ByteSpan key,
                                                  bool* existed) const {
    const OverlayProbe probe{table.value(), key};
    // Most reads are of transactions that wrote nothing yet, or of keys past all they wrote
    // (inserts in key order).
    if (!overlay_.empty() && !OverlayKeyLess{}(std::prev(overlay_.end())->first, probe)) {
        auto in_overlay = overlay_.find(probe);
        if (in_overlay != overlay_.end()) {
            if (existed != nullptr) *existed = in_overlay->second.existed;
            return in_overlay->second.image;
        }
    }
    std::optional<Bytes> row;
    if (!truncated_.contains(table.value())) {
        const std::optional<store::TreeView>& view = *KB_TRY(table_view(table));
        // nullopt: a table created after the snapshot (by this transaction) has no tree.
        if (view) row = KB_TRY(store::mvcc_get(*view, key, read_position()));
    }
    if (existed != nullptr) *existed = row.has_value();
    return row;
}

Result<const std::optional<store::TreeView>*> Transaction::table_view(TableId table) const {
    auto found = table_views_.find(table.value());
    if (found == table_views_.end()) {
        std::optional<store::TreeView> view =
            KB_TRY(snapshot_.find_tree(kernel::trees::table(tenant_, table)));
        found = table_views_.emplace(table.value(), std::move(view)).first;
    }
    return &found->second;
}

Result<std::optional<Bytes>> Transaction::get(TableId table, ByteSpan key) {
    KB_TRY(check_table(table));
    reads_.keys.push_back(kernel::KeyRef{.object = kernel::object_of(table), .key = copy_of(key)});
    return visible(table, key, nullptr);
}

Result<std::vector<KeyedRow>> Transaction::scan(TableId table, ByteSpan start, ByteSpan end,
                                                usize limit) {
    KB_TRY(check_table(table));
    std::vector<KeyedRow> rows;
    const store::TreeId tree = kernel::trees::table(tenant_, table);
    std::optional<store::MvccCursor> cursor;
    if (!truncated_.contains(table.value()) && KB_TRY(snapshot_.has_tree(tree))) {
        cursor = KB_TRY(store::MvccCursor::open(snapshot_, tree, start, end, read_position(),
                                                store::Direction::forward));
    }
    auto overlay = overlay_.lower_bound(OverlayKey{table.value(), copy_of(start)});
    auto in_range = [&](ByteSpan key) { return end.empty() || bytes_less(key, end); };
    auto overlay_valid = [&] {
        return overlay != overlay_.end() && overlay->first.table == table.value() &&
               in_range(overlay->first.key);
    };
    // Merge the snapshot's rows with the overlay's, the overlay winning on equal keys.
    while (rows.size() < limit) {
        const bool have_snapshot = cursor && cursor->valid();
        const bool have_overlay = overlay_valid();
        if (!have_snapshot && !have_overlay) break;
        if (have_overlay && (!have_snapshot || !bytes_less(cursor->key(), overlay->first.key))) {
            if (have_snapshot && !bytes_less(overlay->first.key, cursor->key())) {
                KB_TRY(cursor->next());  // the same key: the overlay's version replaces it
            }
            if (overlay->second.image) {
                rows.push_back(KeyedRow{overlay->first.key, *overlay->second.image});
            }
            ++overlay;
        } else {
            rows.push_back(KeyedRow{copy_of(cursor->key()), copy_of(cursor->row())});
            KB_TRY(cursor->next());
        }
    }
    kernel::KeyRange range{
        .object = kernel::object_of(table), .start = copy_of(start), .end = copy_of(end)};
    if (rows.size() == limit && !rows.empty()) {
        // Stopped early: what lies past the last row returned was not read.
        range.end = rows.back().key;
        range.end.push_back(0);  // the smallest key after it: [start, last] as a half-open range
    }
    reads_.ranges.push_back(std::move(range));
    return rows;
}

void Transaction::note_parent(ObjectId object, ByteSpan key) {
    reads_.parent_keys.push_back(kernel::KeyRef{.object = object, .key = copy_of(key)});
}

void Transaction::note_absent(ObjectId object, ByteSpan key) {
    reads_.absent_keys.push_back(kernel::KeyRef{.object = object, .key = copy_of(key)});
}

Status Transaction::insert(TableId table, Bytes key, Bytes row) {
    KB_TRY(check_writable());
    KB_TRY(check_table(table));
    bool existed = false;
    if (KB_TRY(visible(table, key, &existed))) {
        return Status::already_exists("table " + std::to_string(table.value()) +
                                      " has a row with this primary key");
    }
    reads_.absent_keys.push_back(kernel::KeyRef{.object = kernel::object_of(table), .key = key});
    write_overlay(table, std::move(key), OverlayRow{existed, std::move(row)});
    return Status::ok();
}

Status Transaction::update(TableId table, Bytes key, Bytes row) {
    KB_TRY(check_writable());
    KB_TRY(check_table(table));
    bool existed = false;
    if (!KB_TRY(visible(table, key, &existed))) {
        return Status::not_found("table " + std::to_string(table.value()) +
                                 " has no row with this primary key");
    }
    reads_.keys.push_back(kernel::KeyRef{.object = kernel::object_of(table), .key = key});
    write_overlay(table, std::move(key), OverlayRow{existed, std::move(row)});
    return Status::ok();
}

Status Transaction::remove(TableId table, ByteSpan key) {
    KB_TRY(check_writable());
    KB_TRY(check_table(table));
    bool existed = false;
    if (!KB_TRY(visible(table, key, &existed))) {
        return Status::not_found("table " + std::to_string(table.value()) +
                                 " has no row with this primary key");
    }
    reads_.keys.push_back(kernel::KeyRef{.object = kernel::object_of(table), .key = copy_of(key)});
    write_overlay(table, copy_of(key), OverlayRow{existed, std::nullopt});
    return Status::ok();
}

Status Transaction::change_schema(kernel::DdlChange change) {
    const std::string what = kernel::describe_ddl(change);
    const kernel::Outcome outcome = try_change_schema(std::move(change));
    return status_of_outcome(outcome, std::string(kernel::outcome_name(outcome)) + ": " + what);
}

kernel::Outcome Transaction::try_change_schema(kernel::DdlChange change) {
    KB_ASSERT_MSG(!as_of_, "schema changes in a time-travel transaction");
    // Checked as of the position after the snapshot; admission checks it again at the op's.
    const kernel::Outcome outcome = kernel::apply_ddl(own_catalog(), change, schema_position());
    if (outcome != kernel::Outcome::ok) return outcome;
    reads_.catalog_version = catalog_->version();
    overlay_indexes_.clear();  // keyed for the schema as it was
    if (const auto* truncate = std::get_if<kernel::TruncateTableChange>(&change)) {
        // Apply runs DDL before row effects, so rows this transaction wrote before the truncate
        // go with it, and the snapshot's rows are gone for every later read and write.
        const u64 table = truncate->table.value();
        std::erase_if(overlay_, [&](const auto& entry) { return entry.first.table == table; });
        truncated_.insert(table);
    }
    ddl_.push_back(std::move(change));
    return kernel::Outcome::ok;
}

std::vector<KeyedRow> Transaction::written_rows(TableId table) const {
    std::vector<KeyedRow> rows;
    for (auto it = overlay_.lower_bound(OverlayKey{table.value(), Bytes()});
         it != overlay_.end() && it->first.table == table.value(); ++it) {
        if (it->second.image) rows.push_back(KeyedRow{it->first.key, *it->second.image});
    }
    return rows;
}

void Transaction::write_overlay(TableId table, Bytes key, OverlayRow row) {
    // A row effect: kind, table, key and image with their lengths.
    constexpr u64 kEffectFramingBytes = 1 + 8 + 4 + 4;
    written_bytes_ += kEffectFramingBytes + key.size() + (row.image ? row.image->size() : 0);
    // Hinted at the end: rows inserted in key order (ascending ids) go there in constant time.
    const usize entries = overlay_.size();
    const auto entry =
        overlay_.try_emplace(overlay_.end(), OverlayKey{table.value(), std::move(key)});
    const bool added = overlay_.size() != entries;
    ++writes_;
    std::optional<Bytes> before = added ? std::nullopt : std::move(entry->second.image);
    const u64 since = added ? writes_ : entry->second.since;
    entry->second = std::move(row);
    entry->second.since = since;
    if (!overlay_indexes_.empty()) {
        reindex_overlay_row(table, entry->first.key, before, entry->second.image);
    }
}

bool Transaction::wrote_before(TableId table, ByteSpan key, u64 writes) const {
    const auto found = overlay_.find(OverlayProbe{table.value(), key});
    return found != overlay_.end() && found->second.since <= writes;
}

bool Transaction::wrote(TableId table, ByteSpan key) const {
    return overlay_.contains(OverlayProbe{table.value(), key});
}

bool Transaction::created_sequence(kernel::SequenceId sequence) const {
    const auto& sequences = catalog_->sequence_versions();
    const auto found = sequences.find(sequence);
    return found != sequences.end() && found->second.first.created == schema_position();
}

Result<kernel::SequenceBlock> Transaction::draw_from_created_sequence(kernel::SequenceId sequence,
                                                                      u64 count) {
    kernel::SequenceBlock block;
    const kernel::Outcome outcome =
        own_catalog().reserve(sequence, count, schema_position(), &block);
    KB_TRY(status_of_outcome(outcome, "sequence " + std::to_string(sequence.value())));
    ddl_.push_back(kernel::AdvanceSequenceChange{.sequence = sequence, .count = count});
    reads_.catalog_version = catalog_->version();
    return block;
}

Result<kernel::SequenceBlock> Transaction::reserve_sequence(kernel::SequenceId sequence,
                                                            u64 count) {
    KB_ASSERT(count >= 1);
    // Created by this transaction's DDL: nobody else can see it before the commit, so its
    // values come from the transaction's catalog, and the op carries the reservation for apply
    // to repeat (the sequence then continues after these values).
    if (created_sequence(sequence)) return draw_from_created_sequence(sequence, count);
    auto result = KB_TRY(host_->submit(
        tenant_, principal_, kernel::ReserveSequenceOp{.sequence = sequence, .count = count}));
    KB_TRY(status_of_outcome(result.outcome, result.detail));
    return result.applied.block;
}

Transaction::Mark Transaction::mark() const {
    return Mark{.overlay = overlay_, .ddl = ddl_, .catalog = *catalog_, .truncated = truncated_};
}

void Transaction::rollback_to(const Mark& mark) {
    // Sequence values are never given back (as in PostgreSQL): draws from sequences this
    // transaction created that survive the rollback are made again on the restored catalog.
    std::vector<kernel::AdvanceSequenceChange> kept_draws;
    for (usize i = mark.ddl.size(); i < ddl_.size(); ++i) {
        if (const auto* draw = std::get_if<kernel::AdvanceSequenceChange>(&ddl_[i])) {
            kept_draws.push_back(*draw);
        }
    }
    overlay_ = mark.overlay;
    overlay_indexes_.clear();
    ddl_ = mark.ddl;
    own_catalog() = mark.catalog;
    truncated_ = mark.truncated;
    for (const kernel::AdvanceSequenceChange& draw : kept_draws) {
        // A sequence created after the mark went with it. The draw succeeded before on the
        // same sequence state, so it succeeds again.
        if (created_sequence(draw.sequence)) {
            const auto redrawn = draw_from_created_sequence(draw.sequence, draw.count);
            KB_ASSERT(redrawn.has_value());
        }
    }
}

bool Transaction::writes_nothing() const {
    if (!ddl_.empty()) return false;
    return std::none_of(overlay_.begin(), overlay_.end(), [](const auto& entry) {
        return entry.second.existed || entry.second.image.has_value();
    });
}

namespace {

// The effect an overlay entry makes, or nullopt when it changed nothing (inserted and removed
// again).
std::optional<kernel::RowEffect> effect_of(u64 table, Bytes key, bool existed,
                                           std::optional<Bytes> image) {
    kernel::RowEffectKind kind;
    if (existed) {
        kind = image ? kernel::RowEffectKind::update : kernel::RowEffectKind::remove;
    } else if (image) {
        kind = kernel::RowEffectKind::insert;
    } else {
        return std::nullopt;
    }
    return kernel::RowEffect{.kind = kind,
                             .table = TableId(table),
                             .key = std::move(key),
                             .row = image ? std::move(*image) : Bytes()};
}

}  // namespace

kernel::TransactionOp Transaction::op_with(kernel::ReadSet reads) const {
    kernel::TransactionOp op;
    op.snapshot = snapshot_position();
    op.idempotency = idempotency_;
    op.reads = std::move(reads);
    op.ddl = ddl_;
    op.fixed = fixed_;
    op.effects.reserve(overlay_.size());
    return op;
}

usize Transaction::op_size_estimate_bytes() const {
    // A key reference: object id and key with its length; a range: object id and two keys.
    constexpr u64 kKeyRefFramingBytes = 8 + 4;
    constexpr u64 kDdlChangeBytes = 4096;  // schemas are small; DDL in a bulk load is rare
    auto count = [&](const std::vector<kernel::KeyRef>& refs, usize& counted) {
        if (counted > refs.size()) counted = 0;  // never after commit, which spends the reads
        for (; counted < refs.size(); ++counted) {
            read_bytes_ += kKeyRefFramingBytes + refs[counted].key.size();
        }
    };
    count(reads_.keys, reads_counted_[0]);
    count(reads_.absent_keys, reads_counted_[1]);
    count(reads_.parent_keys, reads_counted_[2]);
    usize& ranges = reads_counted_[3];
    for (; ranges < reads_.ranges.size(); ++ranges) {
        const kernel::KeyRange& range = reads_.ranges[ranges];
        read_bytes_ += kKeyRefFramingBytes + 4 + range.start.size() + range.end.size();
    }
    constexpr u64 kOpFramingBytes = 256;
    return static_cast<usize>(kOpFramingBytes + read_bytes_ + written_bytes_ +
                              ddl_.size() * kDdlChangeBytes);
}

kernel::TransactionOp Transaction::build_op() const {
    kernel::TransactionOp op = op_with(reads_);
    for (const auto& [key, row] : overlay_) {
        auto effect = effect_of(key.table, key.key, row.existed, row.image);
        if (effect) op.effects.push_back(std::move(*effect));
    }
    return op;
}

Result<SubmitResult> Transaction::commit() {
    KB_ASSERT_MSG(!spent_, "a transaction commits once");
    spent_ = true;
    if (writes_nothing()) {
        SubmitResult nothing;
        nothing.position = Position::none();
        return nothing;
    }
    // The op build_op() would make, its read set, keys and images moved out of the spent
    // transaction rather than copied (nodes taken out of the overlay lend their keys).
    kernel::TransactionOp op = op_with(std::exchange(reads_, {}));
    while (!overlay_.empty()) {
        auto node = overlay_.extract(overlay_.begin());
        auto effect = effect_of(node.key().table, std::move(node.key().key), node.mapped().existed,
                                std::move(node.mapped().image));
        if (effect) op.effects.push_back(std::move(*effect));
    }
    auto result = KB_TRY(host_->submit(tenant_, principal_, std::move(op)));
    KB_TRY(status_of_outcome(result.outcome, result.detail));
    return result;
}

}  // namespace kb::db
