// Store: opening, the writer's edits, publishing, snapshots and inspection (see store.h).
// Checkpoints are in store_checkpoint.cc.
#include "store/store.h"

#include <functional>

#include "store/btree.h"
#include "store/page_cache.h"
#include "store/page_file.h"
#include "store/page_writer.h"
#include "store/tree_table.h"

namespace kb::store {
namespace {

constexpr std::string_view kStoreDirectory = "store";
constexpr std::string_view kPagesPath = "store/pages.kbs";
constexpr std::string_view kSuperblockPath = "store/superblock.kbs";
constexpr std::string_view kSuperblockNewPath = "store/superblock.kbs.new";
// See page_writer.h, "Generations".
constexpr u64 kGenerationSkipOnOpen = u64{1} << 32;

// Runs one asynchronous storage operation to completion on the loop (used while opening).
Status wait_for(io::EventLoop& loop,
                const std::function<void(io::UniqueFunction<void(Status)>)>& start) {
    auto result = std::make_shared<std::optional<Status>>();
    start([result](Status status) { *result = std::move(status); });
    if (!loop.run_until([&] { return result->has_value(); })) {
        return Status::internal("the event loop stopped before a store IO completed");
    }
    return **result;
}

// Creates an empty store: the page file and a superblock of sequence 1 in all four slots. The
// superblock file appears under its name only once complete and durable, so a crash here
// leaves either no store (created again next time) or a whole one.
Status create_store(io::Storage& storage, io::EventLoop& loop) {
    KB_TRY(storage.create_directory(kStoreDirectory));
    KB_TRY(storage.sync_directory(""));
    io::FileHandle pages = KB_TRY(storage.open(kPagesPath, {.write = true, .create = true}));
    KB_TRY(storage.close(pages));
    io::FileHandle file = KB_TRY(storage.open(kSuperblockNewPath, {.write = true, .create = true}));
    KB_TRY(storage.truncate(file, 0));
    Superblock first;
    first.sequence = 1;
    const SuperblockBytes encoded = encode_superblock(first);
    Bytes slots(kSuperblockFileBytes, 0);
    for (usize i = 0; i < kSuperblockCopies; ++i) {
        std::copy(encoded.begin(), encoded.end(),
                  slots.begin() + static_cast<std::ptrdiff_t>(i * kSuperblockSlotBytes));
    }
    KB_TRY(wait_for(loop, [&](io::UniqueFunction<void(Status)> done) {
        storage.write(file, 0, slots, std::move(done));
    }));
    KB_TRY(wait_for(
        loop, [&](io::UniqueFunction<void(Status)> done) { storage.sync(file, std::move(done)); }));
    KB_TRY(storage.close(file));
    KB_TRY(storage.rename(kSuperblockNewPath, kSuperblockPath));
    return storage.sync_directory(kStoreDirectory);
}

}  // namespace

Store::Store(io::Storage& storage, io::EventLoop& loop, StoreOptions options, PageKeySource& keys,
             crypto::RandomSource& random)
    : storage_(storage),
      loop_(loop),
      options_(options),
      keys_(keys),
      random_(random),
      registry_(std::make_shared<SnapshotRegistry>()) {
    KB_ASSERT(options_.pages_per_epoch_max >= 1 &&
              options_.pages_per_epoch_max <= limits::kPagesPerPageKeyMax);
}

Store::~Store() {
    {
        std::lock_guard lock(published_mutex_);
        published_.reset();
    }
    KB_ASSERT_MSG(registry_->live() == 0, "a Snapshot outlived its Store");
    // Callbacks of IO still in flight find alive_ gone and do nothing.
    (void)storage_.close(pages_file_);
    (void)storage_.close(superblock_file_);
}

Result<std::unique_ptr<Store>> Store::open(io::Storage& storage, io::EventLoop& loop,
                                           StoreOptions options, PageKeySource& keys,
                                           crypto::RandomSource& random) {
    const bool read_only = storage.read_only();
    if (!KB_TRY(storage.exists(kSuperblockPath))) {
        if (read_only) return Status::not_found("no store in this data directory");
        KB_TRY(create_store(storage, loop));
    }
    io::FileHandle superblocks = KB_TRY(storage.open(kSuperblockPath, {.write = !read_only}));
    io::FileHandle pages = KB_TRY(storage.open(kPagesPath, {.write = !read_only}));
    Bytes slots(kSuperblockFileBytes, 0);
    KB_TRY(storage.read_sync(superblocks, 0, slots));  // missing bytes read as zero
    std::vector<SuperblockSlot> decoded;
    for (usize i = 0; i < kSuperblockCopies; ++i) {
        decoded.push_back(
            decode_superblock(ByteSpan(slots).subspan(i * kSuperblockSlotBytes, kSuperblockSize)));
    }
    const std::string where = storage.path_of(superblocks);
    auto chosen = KB_TRY(choose_superblock(decoded, where));
    if (!chosen) return Status::corruption(where + ": no superblock was ever written");

    std::unique_ptr<Store> store(new Store(storage, loop, options, keys, random));
    KB_TRY(store->load(*chosen, pages, superblocks));
    for (usize i = 0; i < kSuperblockCopies; ++i) {
        store->slot_sequences_[i] =
            decoded[i].state == SlotState::valid ? decoded[i].superblock.sequence : 0;
    }
    return store;
}

Status Store::load(const Superblock& superblock, io::FileHandle pages, io::FileHandle superblocks) {
    pages_file_ = pages;
    superblock_file_ = superblocks;
    cache_ = std::make_unique<PageCache>(options_.cache_bytes);
    file_ = std::make_unique<PageFile>(storage_, pages_file_, keys_, *cache_);
    Manifest manifest;
    if (!superblock.manifest.empty()) {
        Bytes bytes;
        KB_TRY(file_->read_run(superblock.manifest, superblock.manifest_pages,
                               superblock.manifest_bytes, kSystemTenant, PageKind::manifest,
                               bytes));
        manifest = KB_TRY(decode_manifest(bytes, superblock.page_count,
                                          describe_page(superblock.manifest.address)));
    }
    IntervalSet free;
    for (const PageRun& run : manifest.free) free.add(run.start, run.count);
    if (free.intersects(superblock.manifest.address, superblock.manifest_pages) ||
        free.intersects(superblock.trees.page.address, 1)) {
        return Status::corruption("store manifest lists pages in use as free");
    }
    for (const EpochState& epoch : manifest.epochs) epochs_[epoch.tenant] = epoch;
    writer_ =
        std::make_unique<PageWriter>(*file_, 2, superblock.next_generation + kGenerationSkipOnOpen,
                                     std::move(free), superblock.page_count);
    writer_->set_on_exhausted([this] { reclaim(); });
    superblock_ = superblock;
    durable_version_ = 1;
    durable_applied_ = superblock.applied;
    durable_meta_ = manifest.meta;
    durable_manifest_ = {superblock.manifest.address, superblock.manifest_pages};
    working_trees_ = superblock.trees;
    published_ = std::make_shared<const PublishedState>(1, superblock.applied, manifest.meta,
                                                        superblock.trees, registry_);
    return Status::ok();
}

// --- The writer's view ---

Status Store::check_writable() const { return failure_; }

Status Store::stop(Status failure) {
    KB_ASSERT(!failure.is_ok());
    if (failure_.is_ok()) {
        failure_ = failure.with_context("the store stopped accepting changes");
    }
    return failure_;
}

Result<RootRef> Store::root_of(TreeId tree) const {
    auto root = KB_TRY(find_tree_root(*file_, working_trees_, tree));
    if (!root) return Status::not_found(to_string(tree) + " does not exist");
    return *root;
}

Status Store::set_root(TreeId tree, RootRef root) {
    const auto key = encode_tree_key(tree);
    const auto value = encode_tree_root(root);
    bool inserted = false;
    auto trees = tree_put(*writer_, kSystemTenant, working_trees_, key, value, &inserted);
    if (!trees) return stop(trees.error());
    working_trees_ = *trees;
    return Status::ok();
}

Status Store::create_tree(TreeId tree) {
    KB_TRY(check_writable());
    if (KB_TRY(find_tree_root(*file_, working_trees_, tree))) {
        return Status::already_exists(to_string(tree) + " already exists");
    }
    ++changes_;
    return set_root(tree, RootRef{});
}

Status Store::drop_tree(TreeId tree) {
    KB_TRY(check_writable());
    const RootRef root = KB_TRY(root_of(tree));
    ++changes_;
    Status retired = tree_retire_all(*writer_, tree.tenant, root);
    if (!retired.is_ok()) return stop(retired);
    const auto key = encode_tree_key(tree);
    bool erased = false;
    auto trees = tree_erase(*writer_, kSystemTenant, working_trees_, key, &erased);
    if (!trees) return stop(trees.error());
    KB_ASSERT(erased);
    working_trees_ = *trees;
    return Status::ok();
}

Result<bool> Store::has_tree(TreeId tree) const {
    auto root = KB_TRY(find_tree_root(*file_, working_trees_, tree));
    return root.has_value();
}

Result<std::vector<TreeId>> Store::trees(TenantId tenant) const {
    return working_view().trees(tenant);
}

Result<std::optional<Bytes>> Store::get(TreeId tree, ByteSpan key) const {
    const RootRef root = KB_TRY(root_of(tree));
    return tree_get(*file_, tree.tenant, root, key);
}

Result<bool> Store::seek(TreeId tree, ByteSpan lower, Bytes& key, Bytes& value) const {
    const RootRef root = KB_TRY(root_of(tree));
    return tree_seek(*file_, tree.tenant, root, lower, key, value);
}

Status Store::put(TreeId tree, ByteSpan key, ByteSpan value) {
    KB_TRY(check_writable());
    if (key.size() > kStoreKeyBytesMax) {
        return Status::invalid_argument(
            "a key of " + std::to_string(key.size()) + " bytes is over the store's limit of " +
            std::to_string(kStoreKeyBytesMax) + " (" + to_string(tree) + ")");
    }
    if (value.size() > kStoreValueBytesMax) {
        return Status::invalid_argument(
            "a value of " + std::to_string(value.size()) + " bytes is over the store's limit of " +
            std::to_string(kStoreValueBytesMax) + " (" + to_string(tree) + ")");
    }
    const RootRef root = KB_TRY(root_of(tree));
    // tree_put reads its whole path before changing anything: a failure changed nothing.
    bool inserted = false;
    const RootRef new_root = KB_TRY(tree_put(*writer_, tree.tenant, root, key, value, &inserted));
    ++changes_;
    if (new_root != root) return set_root(tree, new_root);
    return Status::ok();
}

Status Store::put_sorted(TreeId tree, std::span<const KeyValue> entries) {
    KB_TRY(check_writable());
    for (const KeyValue& entry : entries) {
        if (entry.key.size() > kStoreKeyBytesMax || entry.value.size() > kStoreValueBytesMax) {
            return put(tree, entry.key, entry.value);  // its message names the limit
        }
    }
    RootRef root = KB_TRY(root_of(tree));
    for (usize next = 0; next < entries.size();) {
        usize consumed = 0;
        RootRef new_root =
            KB_TRY(tree_put_run(*writer_, tree.tenant, root, entries.subspan(next), &consumed));
        if (consumed == 0) {
            // A split, a replacement, an overflow value or an empty tree: the general path.
            bool inserted = false;
            new_root = KB_TRY(tree_put(*writer_, tree.tenant, root, entries[next].key,
                                       entries[next].value, &inserted));
            consumed = 1;
        }
        changes_ += consumed;
        next += consumed;
        if (new_root != root) {
            KB_TRY(set_root(tree, new_root));
            root = new_root;
        }
    }
    return Status::ok();
}

Result<bool> Store::erase(TreeId tree, ByteSpan key) {
    KB_TRY(check_writable());
    const RootRef root = KB_TRY(root_of(tree));
    bool erased = false;
    auto new_root = tree_erase(*writer_, tree.tenant, root, key, &erased);
    if (!new_root) {
        // Before the key was found nothing changed; after, a merge may have half-happened.
        if (erased) return stop(new_root.error());
        return new_root.error();
    }
    if (!erased) return false;
    ++changes_;
    if (*new_root != root) KB_TRY(set_root(tree, *new_root));
    return true;
}

Result<Cursor> Store::scan(TreeId tree, ByteSpan lower, ByteSpan upper, Direction direction) const {
    const RootRef root = KB_TRY(root_of(tree));
    return Cursor::open(*file_, tree.tenant, root, lower, upper, direction, nullptr, &changes_);
}

Snapshot Store::working_view() const {
    Position applied;
    {
        std::lock_guard lock(published_mutex_);
        applied = published_->applied;
    }
    auto state = std::make_shared<const PublishedState>(writer_->version(), applied, Bytes(),
                                                        working_trees_, nullptr);
    return Snapshot(std::move(state), file_.get(), &changes_);
}

// --- Publishing and snapshots ---

Status Store::publish(Position applied, ByteSpan meta) {
    KB_TRY(check_writable());
    if (meta.size() > kMetaBytesMax) {
        return Status::invalid_argument("store meta of " + std::to_string(meta.size()) +
                                        " bytes is over the limit of " +
                                        std::to_string(kMetaBytesMax));
    }
    auto state = std::make_shared<const PublishedState>(
        writer_->version(), applied, Bytes(meta.begin(), meta.end()), working_trees_, registry_);
    std::shared_ptr<const PublishedState> previous;
    {
        std::lock_guard lock(published_mutex_);
        previous = std::move(published_);
        published_ = std::move(state);
    }
    previous.reset();  // outside the lock: it may unregister a version
    writer_->published();
    reclaim();
    return Status::ok();
}

Snapshot Store::snapshot() const {
    std::lock_guard lock(published_mutex_);
    return Snapshot(published_, file_.get(), nullptr);
}

u64 Store::oldest_live_version() const {
    auto oldest = registry_->oldest();
    KB_ASSERT(oldest.has_value());  // the store holds the latest published state itself
    return *oldest;
}

void Store::reclaim() { writer_->reclaim(oldest_live_version(), durable_version_); }

// --- Inspection ---

usize Store::live_snapshots() const {
    std::lock_guard lock(published_mutex_);
    // The registry counts versions held; the store holds only the current one itself.
    const usize current_holders = published_ ? static_cast<usize>(published_.use_count()) - 1 : 0;
    const usize older_versions = registry_->live() - (published_ ? 1 : 0);
    return current_holders + older_versions;
}

u64 Store::dirty_bytes() const { return cache_->stats().pinned_bytes; }

StoreStats Store::stats() const {
    StoreStats stats;
    {
        std::lock_guard lock(published_mutex_);
        stats.published_version = published_->version;
    }
    stats.durable_version = durable_version_;
    stats.superblock_sequence = superblock_.sequence;
    stats.page_count = writer_->page_count();
    stats.free_pages = writer_->free_pages();
    stats.retired_pages = writer_->retired_pages();
    const PageCacheStats cache = cache_->stats();
    stats.dirty_bytes = cache.pinned_bytes;
    stats.cache_bytes = cache.resident_bytes;
    stats.cache_hits = cache.hits;
    stats.cache_misses = cache.misses;
    stats.checkpoints = checkpoints_;
    stats.pages_written = pages_written_;
    stats.live_snapshot_versions = registry_->live();
    return stats;
}

Result<IntegrityReport> Store::check_integrity() const {
    const Snapshot view = snapshot();
    const RootRef trees = view.state_->trees;
    IntegrityReport report;
    IntervalSet reachable;
    const IntervalSet& free = writer_->free_set();
    const u64 page_count = writer_->page_count();
    auto claim = [&](u64 address, u64 pages) -> Status {
        if (address == 0 || address + pages > page_count) {
            return Status::corruption(describe_page(address) + ": outside the page file");
        }
        if (reachable.intersects(address, pages)) {
            return Status::corruption(describe_page(address) + ": reached twice");
        }
        if (free.intersects(address, pages)) {
            return Status::corruption(describe_page(address) + ": reachable but free");
        }
        reachable.add(address, pages);
        report.reachable_pages += pages;
        return Status::ok();
    };
    auto visit_node = [&](const Node& node) -> Status {
        if (node.is_leaf()) report.entries += node.count();
        return claim(node.address(), 1);
    };
    auto visit_run = [&](PageRef run, u64 pages) { return claim(run.address, pages); };
    KB_TRY(tree_visit_pages(
        *file_, kSystemTenant, trees, [&](const Node& node) { return claim(node.address(), 1); },
        visit_run));
    auto cursor = KB_TRY(
        Cursor::open(*file_, kSystemTenant, trees, {}, {}, Direction::forward, nullptr, nullptr));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const TreeId tree = decode_tree_key(cursor.key());
        const ByteSpan value = KB_TRY(cursor.value());
        const RootRef root = KB_TRY(decode_tree_root(value));
        ++report.trees;
        KB_TRY(tree_visit_pages(*file_, tree.tenant, root, visit_node, visit_run));
    }
    IntervalSet accounted = writer_->accounted();
    accounted.add(reachable);
    accounted.add(durable_manifest_.start, durable_manifest_.count);
    const PageRun in_flight = checkpoint_manifest_run();
    accounted.add(in_flight.start, in_flight.count);
    report.unaccounted_pages = (page_count - 1) - accounted.size();
    return report;
}

}  // namespace kb::store
