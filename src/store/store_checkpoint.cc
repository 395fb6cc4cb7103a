// Store checkpoints: seal the pages of the latest published state that are not on disk, write
// them and a manifest, sync, then write the superblock in two halves, syncing after each
// (store.h, "Checkpoint"; superblock.h).
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <vector>

#include "store/page_cache.h"
#include "store/page_file.h"
#include "store/page_writer.h"
#include "store/store.h"
#include "store/tree_table.h"

namespace kb::store {
namespace {

// Consecutive pages are written with one call, up to this many (1 MiB).
constexpr u64 kWritePagesMax = 256;

// Counts a group of asynchronous operations back in and reports the first error once all are
// done and no more will be added.
class Batch {
public:
    explicit Batch(io::UniqueFunction<void(Status)> done) : state_(std::make_shared<State>()) {
        state_->done = std::move(done);
    }
    io::UniqueFunction<void(Status)> callback() {
        ++state_->outstanding;
        return [state = state_](Status status) {
            --state->outstanding;
            if (state->first_error.is_ok() && !status.is_ok()) state->first_error = status;
            finish_if_complete(*state);
        };
    }
    void seal() {
        state_->sealed = true;
        finish_if_complete(*state_);
    }

private:
    struct State {
        usize outstanding = 0;
        bool sealed = false;
        bool finished = false;
        Status first_error;
        io::UniqueFunction<void(Status)> done;
    };
    static void finish_if_complete(State& state) {
        if (!state.sealed || state.outstanding > 0 || state.finished) return;
        state.finished = true;
        state.done(state.first_error);
    }
    std::shared_ptr<State> state_;
};

}  // namespace

struct Store::Checkpoint {
    std::vector<io::UniqueFunction<void(Status)>> waiters;
    u64 version = 0;
    Position applied;
    Bytes meta;
    RootRef trees;
    bool nothing_new = false;
    std::vector<std::shared_ptr<PageObject>> pages;  // marked writing
    Bytes buffer;                                    // their sealed pages, by address
    struct Write {
        u64 address = 0;
        usize offset = 0;  // into buffer
        u64 pages = 0;
    };
    std::vector<Write> writes;
    PageRun manifest;
    Superblock superblock;
    SuperblockBytes superblock_bytes{};
    std::array<usize, kSuperblockCopies> slot_order{};
    bool superblock_started = false;
    // The superblock waits for both: the pages synced, and the gate (set_checkpoint_gate).
    bool pages_synced = false;
    bool gate_open = true;
    Status gate_status;
};

PageRun Store::checkpoint_manifest_run() const {
    return checkpoint_ ? checkpoint_->manifest : PageRun{};
}

void Store::checkpoint(io::UniqueFunction<void(Status)> done) {
    checkpoint_waiters_.push_back(std::move(done));
    if (checkpoint_) return;  // runs when the one in flight finishes
    // Never call back inside this call: start from the loop.
    loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
        if (alive.expired() || checkpoint_ || checkpoint_waiters_.empty()) return;
        start_checkpoint();
    });
}

u64 Store::epoch_for_seal(TenantId tenant) {
    EpochState& state = epochs_[tenant];
    state.tenant = tenant;
    if (state.sealed >= options_.pages_per_epoch_max) {
        ++state.epoch;
        state.sealed = 0;
    }
    ++state.sealed;
    return state.epoch;
}

void Store::start_checkpoint() {
    auto job = std::make_shared<Checkpoint>();
    job->waiters = std::move(checkpoint_waiters_);
    checkpoint_waiters_.clear();
    checkpoint_ = job;
    Status usable = failure_;
    if (usable.is_ok() && storage_.read_only()) {
        usable = Status::permission_denied("checkpoint of a store opened read-only");
    }
    if (!usable.is_ok()) return finish_checkpoint(job, usable);
    {
        std::lock_guard lock(published_mutex_);
        job->version = published_->version;
        job->applied = published_->applied;
        job->meta = published_->meta;
        job->trees = published_->trees;
    }
    if (job->version == durable_version_) {
        job->nothing_new = true;
        return finish_checkpoint(job, Status::ok());
    }
    Status prepared = prepare_checkpoint(*job);
    if (!prepared.is_ok()) return finish_checkpoint(job, prepared);
    if (checkpoint_gate_) {
        // What must be durable first is made so while the pages are written.
        job->gate_open = false;
        checkpoint_gate_(job->applied,
                         [this, alive = std::weak_ptr<bool>(alive_), job](Status status) {
                             if (alive.expired() || job->gate_open) return;
                             job->gate_open = true;
                             job->gate_status = std::move(status);
                             superblock_when_ready(job);
                         });
    }
    write_pages(job);
}

Status Store::prepare_checkpoint(Checkpoint& job) {
    // 1. Every page of the published state that is not on disk. A page on disk reaches only
    //    pages on disk, so the walk stops at the first clean page of each path and costs
    //    O(dirty pages), all from memory (dirty pages are pinned).
    std::function<void(PageRef, TenantId, bool)> collect = [&](PageRef ref, TenantId tenant,
                                                               bool tree_table) {
        if (ref.empty()) return;
        std::shared_ptr<PageObject> page = cache_->find(ref.address);
        if (!page || page->write_state != WriteState::dirty) return;
        KB_ASSERT(page->generation() == ref.generation && page->tenant() == tenant);
        page->write_state = WriteState::writing;
        job.pages.push_back(page);
        if (page->kind() == PageKind::overflow) return;
        const Node& node = static_cast<const Node&>(*page);
        for (u16 i = 0; i < node.count(); ++i) {
            if (!node.is_leaf()) {
                collect(node.child(i), tenant, tree_table);
            } else if (tree_table) {
                const LeafValue value = node.value(i);
                KB_ASSERT(!value.overflow);
                const RootRef root = decode_tree_root(value.bytes).value();
                collect(root.page, decode_tree_key(node.key(i)).tenant, false);
            } else {
                const LeafValue value = node.value(i);
                if (value.overflow) collect(value.run, tenant, false);
            }
        }
    };
    collect(job.trees.page, kSystemTenant, true);
    std::sort(job.pages.begin(), job.pages.end(),
              [](const auto& a, const auto& b) { return a->address() < b->address(); });

    // 2. Seal them into one buffer in address order; consecutive pages become one write.
    u64 total_pages = 0;
    for (const auto& page : job.pages) total_pages += page->page_count();
    job.buffer.resize(total_pages * kPageSize);
    std::array<u8, kPageBodySize> body;
    usize offset = 0;
    for (const auto& page : job.pages) {
        const u64 count = page->page_count();
        for (u64 i = 0; i < count; ++i) {
            if (page->kind() == PageKind::overflow) {
                ByteSpan value = static_cast<const OverflowRun&>(*page).value();
                body.fill(0);
                body[0] = static_cast<u8>(PageKind::overflow);
                const u64 start = i * kRunPageDataSize;
                const u64 take = std::min<u64>(kRunPageDataSize, value.size() - start);
                std::copy_n(value.begin() + static_cast<std::ptrdiff_t>(start), take,
                            body.begin() + kRunPageHeaderSize);
            } else {
                static_cast<const Node&>(*page).encode(body);
            }
            const u64 address = page->address() + i;
            KB_TRY(file_->seal(address, page->generation(), page->tenant(),
                               epoch_for_seal(page->tenant()), body,
                               MutableByteSpan(job.buffer.data() + offset, kPageSize), random_));
            if (!job.writes.empty() &&
                job.writes.back().address + job.writes.back().pages == address &&
                job.writes.back().pages < kWritePagesMax) {
                ++job.writes.back().pages;
            } else {
                job.writes.push_back({address, offset, 1});
            }
            offset += kPageSize;
        }
    }

    // 3. The manifest. Its size depends on the free list, which depends on where the manifest
    //    goes; a second try with the size the first one needed always fits.
    Manifest manifest;
    manifest.meta = job.meta;
    Bytes encoded;
    u64 manifest_pages = 1;
    std::map<TenantId, EpochState> epochs_after;
    for (;;) {
        const u64 first = writer_->allocate_manifest(manifest_pages);
        job.manifest = {first, manifest_pages};
        IntervalSet free = writer_->free_at(job.version, job.manifest);
        free.add(durable_manifest_.start, durable_manifest_.count);  // the old one is free
        manifest.free = free.runs();
        // The epochs as they will be once the manifest's own pages are sealed.
        epochs_after = epochs_;
        EpochState& system = epochs_after[kSystemTenant];
        system.tenant = kSystemTenant;
        for (u64 i = 0; i < manifest_pages; ++i) {
            if (system.sealed >= options_.pages_per_epoch_max) {
                ++system.epoch;
                system.sealed = 0;
            }
            ++system.sealed;
        }
        manifest.epochs.clear();
        for (const auto& [tenant, state] : epochs_after) manifest.epochs.push_back(state);
        encoded = encode_manifest(manifest);
        const u64 needed = run_pages_for(encoded.size());
        if (needed <= manifest_pages) break;
        writer_->release(first, manifest_pages);
        job.manifest = {};
        manifest_pages = needed;
    }
    const u64 manifest_generation = writer_->take_generation();
    const usize manifest_offset = job.buffer.size();
    job.buffer.resize(job.buffer.size() + manifest_pages * kPageSize);
    for (u64 i = 0; i < manifest_pages; ++i) {
        body.fill(0);
        body[0] = static_cast<u8>(PageKind::manifest);
        const u64 start = i * kRunPageDataSize;
        if (start < encoded.size()) {
            const u64 take = std::min<u64>(kRunPageDataSize, encoded.size() - start);
            std::copy_n(encoded.begin() + static_cast<std::ptrdiff_t>(start), take,
                        body.begin() + kRunPageHeaderSize);
        }
        KB_TRY(file_->seal(
            job.manifest.start + i, manifest_generation, kSystemTenant,
            epoch_for_seal(kSystemTenant), body,
            MutableByteSpan(job.buffer.data() + manifest_offset + i * kPageSize, kPageSize),
            random_));
    }
    KB_ASSERT(epochs_ == epochs_after);
    job.writes.push_back({job.manifest.start, manifest_offset, manifest_pages});

    // 4. The superblock, linked to the durable one.
    Superblock& next = job.superblock;
    next.sequence = superblock_.sequence + 1;
    next.previous_hash = superblock_hash(encode_superblock(superblock_));
    next.applied = job.applied;
    next.trees = job.trees;
    next.manifest = {job.manifest.start, manifest_generation};
    next.manifest_pages = manifest_pages;
    next.manifest_bytes = encoded.size();
    next.page_count = writer_->page_count();
    next.next_generation = writer_->next_generation();
    next.view = superblock_.view;
    next.commit = superblock_.commit;
    job.superblock_bytes = encode_superblock(next);
    // Slots not holding the newest durable copy go first (superblock.h).
    for (usize i = 0; i < kSuperblockCopies; ++i) job.slot_order[i] = i;
    std::stable_sort(job.slot_order.begin(), job.slot_order.end(),
                     [&](usize a, usize b) { return slot_sequences_[a] < slot_sequences_[b]; });
    return Status::ok();
}

void Store::write_pages(std::shared_ptr<Checkpoint> job) {
    auto alive = std::weak_ptr<bool>(alive_);
    if (storage_.has_write_and_sync()) {
        // One IO unit on one IO thread: a checkpoint's hundreds of page writes neither take
        // every IO thread (the log's group commits wait behind them otherwise) nor spin on the
        // file's lock against each other.
        std::vector<io::WriteSpan> spans;
        spans.reserve(job->writes.size());
        for (const Checkpoint::Write& write : job->writes) {
            spans.push_back(io::WriteSpan{
                write.address * kPageSize,
                ByteSpan(job->buffer.data() + write.offset, write.pages * kPageSize)});
        }
        storage_.write_and_sync(pages_file_, std::move(spans), [this, alive, job](Status status) {
            if (alive.expired()) return;
            // A failed sync is fatal (as below); a failed write fails only this checkpoint.
            if (!status.is_ok()) {
                return finish_checkpoint(
                    job, status.code() == StatusCode::fatal ? stop(status) : status);
            }
            job->pages_synced = true;
            superblock_when_ready(job);
        });
        return;
    }
    Batch batch([this, alive, job](Status written) {
        if (alive.expired()) return;
        if (!written.is_ok()) return finish_checkpoint(job, written);
        storage_.sync(pages_file_, [this, alive, job](Status synced) {
            if (alive.expired()) return;
            if (!synced.is_ok()) return finish_checkpoint(job, stop(synced));
            job->pages_synced = true;
            superblock_when_ready(job);
        });
    });
    for (const Checkpoint::Write& write : job->writes) {
        storage_.write(pages_file_, write.address * kPageSize,
                       ByteSpan(job->buffer.data() + write.offset, write.pages * kPageSize),
                       batch.callback());
    }
    batch.seal();
}

void Store::superblock_when_ready(std::shared_ptr<Checkpoint> job) {
    // Either may come last; a job that already failed (a page write) waits for neither.
    if (!job->pages_synced || !job->gate_open || checkpoint_ != job) return;
    if (!job->gate_status.is_ok()) return finish_checkpoint(job, job->gate_status);
    write_superblock_half(job, 0);
}

void Store::write_superblock_half(std::shared_ptr<Checkpoint> job, usize half) {
    job->superblock_started = true;
    auto alive = std::weak_ptr<bool>(alive_);
    Batch batch([this, alive, job, half](Status written) {
        if (alive.expired()) return;
        if (!written.is_ok()) return finish_checkpoint(job, stop(written));
        storage_.sync(superblock_file_, [this, alive, job, half](Status synced) {
            if (alive.expired()) return;
            if (!synced.is_ok()) return finish_checkpoint(job, stop(synced));
            for (usize i = 0; i < 2; ++i) {
                slot_sequences_[job->slot_order[2 * half + i]] = job->superblock.sequence;
            }
            if (half == 0) return write_superblock_half(job, 1);
            finish_checkpoint(job, Status::ok());
        });
    });
    for (usize i = 0; i < 2; ++i) {
        const usize slot = job->slot_order[2 * half + i];
        storage_.write(superblock_file_, slot * kSuperblockSlotBytes, job->superblock_bytes,
                       batch.callback());
    }
    batch.seal();
}

void Store::finish_checkpoint(std::shared_ptr<Checkpoint> job, Status status) {
    KB_ASSERT(checkpoint_ == job);
    checkpoint_.reset();
    if (status.is_ok() && !job->nothing_new) {
        for (const auto& page : job->pages) {
            KB_ASSERT(page->write_state == WriteState::writing);
            page->write_state = WriteState::clean;
            cache_->unpin(page->address());
            pages_written_ += page->page_count();
        }
        pages_written_ += job->manifest.count;
        ++checkpoints_;
        if (durable_manifest_.count > 0) {
            writer_->release(durable_manifest_.start, durable_manifest_.count);
        }
        durable_manifest_ = job->manifest;
        superblock_ = job->superblock;
        durable_version_ = job->version;
        durable_applied_ = job->applied;
        durable_meta_ = job->meta;
        reclaim();
    } else if (!status.is_ok()) {
        // Nothing durable refers to what was written: the pages are dirty again and the
        // manifest's run is free (unless the superblock was being written: then the store has
        // stopped and nothing will be reused).
        for (const auto& page : job->pages) {
            if (page->write_state == WriteState::writing) page->write_state = WriteState::dirty;
        }
        if (job->manifest.count > 0 && !job->superblock_started) {
            writer_->release(job->manifest.start, job->manifest.count);
        }
        job->manifest = {};
    }
    for (auto& waiter : job->waiters) waiter(status);
    if (!checkpoint_ && !checkpoint_waiters_.empty()) start_checkpoint();
}

}  // namespace kb::store
