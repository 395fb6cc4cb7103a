// SimDisk: the namespace is a tree of nodes (like inodes), so a renamed directory keeps its
// children and a file stays reachable through any name that survives a crash.
#include "io/sim_disk.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "base/assert.h"

namespace kb::io {

namespace {
constexpr SimDisk::NodeId kRoot = 1;
}  // namespace

SimDisk::SimDisk(SimDiskOptions options) : options_(std::move(options)), prng_(options_.seed) {
    KB_ASSERT(options_.crash_keep_weight + options_.crash_lose_weight + options_.crash_tear_weight >
              0);
    nodes_[kRoot].is_directory = true;
}

std::string SimDisk::display_path(std::string_view path) const {
    std::string text = "sim:" + options_.name;
    if (!path.empty()) {
        text += '/';
        text += path;
    }
    return text;
}

SimDisk::Node& SimDisk::node(NodeId id) {
    auto found = nodes_.find(id);
    KB_ASSERT(found != nodes_.end());
    return found->second;
}

const SimDisk::Node& SimDisk::node(NodeId id) const {
    auto found = nodes_.find(id);
    KB_ASSERT(found != nodes_.end());
    return found->second;
}

// --- Namespace ---

Result<SimDisk::NodeId> SimDisk::lookup_in(std::string_view path, bool durable) const {
    NodeId current = kRoot;
    usize start = 0;
    while (start < path.size()) {
        usize end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const Node& directory = node(current);
        if (!directory.is_directory) {
            return Status::invalid_argument(display_path(path.substr(0, start - 1)) +
                                            ": not a directory");
        }
        const auto& entries = durable ? directory.durable_entries : directory.entries;
        auto found = entries.find(std::string(path.substr(start, end - start)));
        if (found == entries.end()) {
            return Status::not_found(display_path(path) + ": no such file or directory");
        }
        current = found->second;
        start = end + 1;
    }
    return current;
}

Result<SimDisk::NodeId> SimDisk::lookup(std::string_view path) const {
    return lookup_in(path, false);
}

bool SimDisk::is_directory(NodeId id) const { return node(id).is_directory; }

Result<SimDisk::NodeId> SimDisk::parent_directory(std::string_view path,
                                                  std::string_view what) const {
    Result<NodeId> parent = lookup(parent_of(path));
    if (!parent) {
        return Status::error(parent.error().code(),
                             std::string(what) + ": parent directory does not exist");
    }
    if (!node(*parent).is_directory) {
        return Status::invalid_argument(std::string(what) + ": parent is not a directory");
    }
    return *parent;
}

Result<SimDisk::NodeId> SimDisk::create_file(std::string_view path, bool exclusive) {
    std::string what = "open " + display_path(path);
    NodeId parent = KB_TRY(parent_directory(path, what));
    std::string name(name_of(path));
    auto& entries = node(parent).entries;
    auto found = entries.find(name);
    if (found != entries.end()) {
        if (exclusive) return Status::already_exists(what + ": file exists");
        if (node(found->second).is_directory) {
            return Status::invalid_argument(what + ": is a directory");
        }
        return found->second;
    }
    NodeId id = next_node_++;
    nodes_[id];  // a file node
    node(parent).entries.emplace(std::move(name), id);
    return id;
}

Status SimDisk::create_directory(std::string_view path) {
    std::string what = "create directory " + display_path(path);
    NodeId parent = KB_TRY(parent_directory(path, what));
    std::string name(name_of(path));
    auto& entries = node(parent).entries;
    auto found = entries.find(name);
    if (found != entries.end()) {
        if (node(found->second).is_directory) return Status::ok();
        return Status::already_exists(what + ": a file of that name exists");
    }
    NodeId id = next_node_++;
    nodes_[id].is_directory = true;
    node(parent).entries.emplace(std::move(name), id);
    return Status::ok();
}

Status SimDisk::rename(std::string_view from, std::string_view to) {
    std::string what = "rename " + display_path(from) + " to " + display_path(to);
    NodeId from_parent = KB_TRY(parent_directory(from, what));
    NodeId to_parent = KB_TRY(parent_directory(to, what));
    std::string from_name(name_of(from));
    std::string to_name(name_of(to));
    auto source = node(from_parent).entries.find(from_name);
    if (source == node(from_parent).entries.end()) {
        return Status::not_found(what + ": no such file or directory");
    }
    NodeId moving = source->second;
    if (from == to) return Status::ok();
    if (to.size() > from.size() && to.substr(0, from.size()) == from && to[from.size()] == '/') {
        return Status::invalid_argument(what + ": cannot move a directory into itself");
    }
    auto& target_entries = node(to_parent).entries;
    auto target = target_entries.find(to_name);
    if (target != target_entries.end()) {
        if (target->second == moving) return Status::ok();
        const Node& replaced = node(target->second);
        if (replaced.is_directory != node(moving).is_directory) {
            return Status::invalid_argument(
                what + ": cannot replace a " + (replaced.is_directory ? "directory" : "file") +
                " with a " + (replaced.is_directory ? "file" : "directory"));
        }
        if (replaced.is_directory && !replaced.entries.empty()) {
            return Status::invalid_argument(what + ": target directory not empty");
        }
    }
    node(from_parent).entries.erase(from_name);
    node(to_parent).entries[to_name] = moving;
    return Status::ok();
}

Status SimDisk::remove(std::string_view path) {
    std::string what = "remove " + display_path(path);
    NodeId parent = KB_TRY(parent_directory(path, what));
    auto& entries = node(parent).entries;
    auto found = entries.find(std::string(name_of(path)));
    if (found == entries.end()) return Status::not_found(what + ": no such file or directory");
    const Node& removed = node(found->second);
    if (removed.is_directory && !removed.entries.empty()) {
        return Status::invalid_argument(what + ": directory not empty");
    }
    // The node lives on: open handles keep working and a crash may bring the entry back.
    entries.erase(found);
    return Status::ok();
}

Result<std::vector<DirectoryEntry>> SimDisk::list(std::string_view path) const {
    NodeId id = KB_TRY(lookup(path));
    const Node& directory = node(id);
    if (!directory.is_directory) {
        return Status::invalid_argument("list directory " + display_path(path) +
                                        ": not a directory");
    }
    std::vector<DirectoryEntry> entries;
    for (const auto& [name, child] : directory.entries) {
        entries.push_back({name, node(child).is_directory});
    }
    return entries;
}

Status SimDisk::sync_directory(std::string_view path) {
    NodeId id = KB_TRY(lookup(path));
    Node& directory = node(id);
    if (!directory.is_directory) {
        return Status::invalid_argument("fsync directory " + display_path(path) +
                                        ": not a directory");
    }
    directory.durable_entries = directory.entries;
    return Status::ok();
}

std::vector<SimDisk::NodeId> SimDisk::file_nodes() const {
    std::vector<NodeId> files;
    for (const auto& [id, entry] : nodes_) {
        if (!entry.is_directory) files.push_back(id);
    }
    return files;
}

// --- File data ---

void SimDisk::apply(const Change& change, Bytes& image) {
    switch (change.kind) {
        case ChangeKind::write: {
            u64 end = change.offset + change.data.size();
            if (image.size() < end) image.resize(end, 0);
            if (!change.data.empty()) {
                std::memcpy(image.data() + change.offset, change.data.data(), change.data.size());
            }
            return;
        }
        case ChangeKind::set_size:
            image.resize(change.size, 0);
            return;
        case ChangeKind::grow_to:
            if (image.size() < change.size) image.resize(change.size, 0);
            return;
    }
    KB_UNREACHABLE();
}

u64 SimDisk::file_size(NodeId file) const { return node(file).current.size(); }

usize SimDisk::read(NodeId file, u64 offset, MutableByteSpan buffer) const {
    const Bytes& image = node(file).current;
    if (offset >= image.size()) return 0;
    usize count = static_cast<usize>(std::min<u64>(buffer.size(), image.size() - offset));
    std::memcpy(buffer.data(), image.data() + offset, count);
    return count;
}

u64 SimDisk::bytes_used() const {
    // A file's space is in use while a directory entry, current or durable, names it; once
    // removed and the removal synced, it is free again (open handles aside, as on Linux after
    // the last close).
    std::set<NodeId> linked;
    for (const auto& [id, entry] : nodes_) {
        for (const auto& [name, child] : entry.entries) linked.insert(child);
        for (const auto& [name, child] : entry.durable_entries) linked.insert(child);
    }
    u64 used = 0;
    for (const auto& [id, entry] : nodes_) {
        if (linked.count(id) != 0) used += entry.current.size();
    }
    return used;
}

Status SimDisk::check_growth(NodeId file, u64 end, std::string_view what) const {
    u64 size = node(file).current.size();
    if (end <= size) return Status::ok();
    u64 used = bytes_used();
    if (used > options_.capacity_bytes || end - size > options_.capacity_bytes - used) {
        return Status::no_space(std::string(what) + ": no space left on " + display_path("") +
                                " (capacity " + std::to_string(options_.capacity_bytes) +
                                " bytes)");
    }
    return Status::ok();
}

void SimDisk::record(NodeId file, Change change) {
    Node& entry = node(file);
    KB_ASSERT(!entry.is_directory);
    change.sequence = ++entry.last_sequence;
    apply(change, entry.current);
    entry.pending.push_back(std::move(change));
}

void SimDisk::set_size(NodeId file, u64 size) {
    Change change;
    change.kind = ChangeKind::set_size;
    change.size = size;
    record(file, std::move(change));
}

void SimDisk::grow_to(NodeId file, u64 size) {
    Change change;
    change.kind = ChangeKind::grow_to;
    change.size = size;
    record(file, std::move(change));
}

u64 SimDisk::begin_write(NodeId file, u64 offset, ByteSpan data, std::optional<u64> flip_bit) {
    KB_ASSERT(!node(file).is_directory);
    InFlightWrite write{.file = file, .offset = offset, .data = Bytes(data.begin(), data.end())};
    if (flip_bit) {
        KB_ASSERT(*flip_bit < write.data.size() * 8);
        write.data[*flip_bit / 8] ^= static_cast<u8>(1u << (*flip_bit % 8));
    }
    u64 id = next_write_id_++;
    in_flight_.emplace(id, std::move(write));
    return id;
}

void SimDisk::complete_write(u64 write_id) {
    auto found = in_flight_.find(write_id);
    KB_ASSERT_MSG(found != in_flight_.end(), "write completed twice or after a crash");
    InFlightWrite write = std::move(found->second);
    in_flight_.erase(found);
    record(
        write.file,
        Change{.kind = ChangeKind::write, .offset = write.offset, .data = std::move(write.data)});
}

u64 SimDisk::sync_point(NodeId file) const { return node(file).last_sequence; }

void SimDisk::make_durable(NodeId file, u64 sync_point) {
    Node& entry = node(file);
    auto covered = entry.pending.begin();
    while (covered != entry.pending.end() && covered->sequence <= sync_point) {
        apply(*covered, entry.durable);
        ++covered;
    }
    entry.pending.erase(entry.pending.begin(), covered);
}

// --- Lock ---

bool SimDisk::try_lock(u64 owner, u64 pid) {
    KB_ASSERT(owner != 0);
    if (lock_owner_ != 0 && lock_owner_ != owner) return false;
    lock_owner_ = owner;
    lock_pid_ = pid;
    return true;
}

void SimDisk::unlock(u64 owner) {
    if (lock_owner_ != owner) return;
    lock_owner_ = 0;
    lock_pid_ = 0;
}

// --- Crash ---

std::map<SimDisk::NodeId, std::string> SimDisk::node_paths() const {
    std::map<NodeId, std::string> paths;
    std::vector<std::pair<NodeId, std::string>> stack{{kRoot, ""}};
    while (!stack.empty()) {
        auto [id, path] = std::move(stack.back());
        stack.pop_back();
        if (!paths.emplace(id, path).second) continue;  // reached before under another name
        const Node& entry = node(id);
        // Reverse order on the stack so names are visited in sorted order.
        for (auto child = entry.entries.rbegin(); child != entry.entries.rend(); ++child) {
            stack.emplace_back(child->second,
                               path.empty() ? child->first : path + "/" + child->first);
        }
    }
    return paths;
}

void SimDisk::crash_file(NodeId id, const std::string& path, std::vector<Change> changes,
                         CrashReport& report) {
    Node& file = node(id);
    const u64 total_weight =
        u64{options_.crash_keep_weight} + options_.crash_lose_weight + options_.crash_tear_weight;
    std::vector<Change> survivors;
    for (Change& change : changes) {
        if (change.kind != ChangeKind::write) {
            if (prng_.coin()) {
                survivors.push_back(std::move(change));
                ++report.size_changes_kept;
            } else {
                ++report.size_changes_lost;
            }
            continue;
        }
        const u64 length = change.data.size();
        CrashedWrite crashed{.path = path, .offset = change.offset, .length = length};
        u64 draw = prng_.uniform(total_weight);
        if (draw < options_.crash_keep_weight) {
            crashed.outcome = CrashOutcome::kept;
        } else if (draw < u64{options_.crash_keep_weight} + options_.crash_lose_weight) {
            crashed.outcome = CrashOutcome::lost;
        } else {
            crashed.outcome = CrashOutcome::torn;
        }
        if (crashed.outcome == CrashOutcome::torn && length < 2) {
            // One byte cannot tear: it either made it or not.
            crashed.outcome = prng_.coin() ? CrashOutcome::kept : CrashOutcome::lost;
        }
        crashed.kept_begin = crashed.kept_end = change.offset;
        if (crashed.outcome == CrashOutcome::kept) {
            crashed.kept_end = change.offset + length;
            survivors.push_back(std::move(change));
        } else if (crashed.outcome == CrashOutcome::torn) {
            u64 cut = prng_.range_inclusive(1, length - 1);
            auto middle = change.data.begin() + static_cast<std::ptrdiff_t>(cut);
            Change part;         // a write
            if (prng_.coin()) {  // the start made it
                part.offset = change.offset;
                part.data.assign(change.data.begin(), middle);
            } else {  // the end made it
                part.offset = change.offset + cut;
                part.data.assign(middle, change.data.end());
            }
            crashed.kept_begin = part.offset;
            crashed.kept_end = part.offset + part.data.size();
            survivors.push_back(std::move(part));
        }
        report.writes.push_back(std::move(crashed));
    }
    if (options_.crash_reorders_writes) prng_.shuffle(std::span<Change>(survivors));
    Bytes image = file.durable;
    for (const Change& change : survivors) apply(change, image);
    file.durable = image;
    file.current = std::move(image);
    file.pending.clear();
}

void SimDisk::crash_directories(CrashReport& report) {
    for (auto& [id, directory] : nodes_) {
        if (!directory.is_directory) continue;
        std::set<std::string> names;
        for (const auto& entry : directory.entries) names.insert(entry.first);
        for (const auto& entry : directory.durable_entries) names.insert(entry.first);
        std::map<std::string, NodeId> merged;
        for (const std::string& name : names) {
            auto now = directory.entries.find(name);
            auto synced = directory.durable_entries.find(name);
            bool now_present = now != directory.entries.end();
            bool synced_present = synced != directory.durable_entries.end();
            if (now_present && synced_present && now->second == synced->second) {
                merged.emplace(name, now->second);
                continue;
            }
            bool keep_change = !options_.crash_drops_unsynced_entries || prng_.coin();
            if (keep_change) {
                ++report.entries_changed_kept;
                if (now_present) merged.emplace(name, now->second);
            } else {
                ++report.entries_changed_dropped;
                if (synced_present) merged.emplace(name, synced->second);
            }
        }
        directory.durable_entries = merged;
        directory.entries = std::move(merged);
    }
}

void SimDisk::collect_unreachable() {
    std::set<NodeId> reachable;
    std::vector<NodeId> stack{kRoot};
    while (!stack.empty()) {
        NodeId id = stack.back();
        stack.pop_back();
        if (!reachable.insert(id).second) continue;
        for (const auto& entry : node(id).entries) stack.push_back(entry.second);
    }
    std::erase_if(nodes_, [&](const auto& item) { return !reachable.contains(item.first); });
}

CrashReport SimDisk::crash() {
    CrashReport report;
    std::map<NodeId, std::string> paths = node_paths();
    std::map<NodeId, std::vector<Change>> changes;
    for (auto& [id, entry] : nodes_) {
        if (!entry.is_directory) changes[id] = std::move(entry.pending);
    }
    // Writes in flight may have reached the disk in part or whole, like unsynced ones.
    for (auto& [write_id, write] : in_flight_) {
        Change change;
        change.offset = write.offset;
        change.data = std::move(write.data);
        changes[write.file].push_back(std::move(change));
    }
    in_flight_.clear();
    for (auto& [id, file_changes] : changes) {
        auto path = paths.find(id);
        crash_file(id, path == paths.end() ? std::string() : path->second, std::move(file_changes),
                   report);
    }
    crash_directories(report);
    collect_unreachable();
    lock_owner_ = 0;
    lock_pid_ = 0;
    ++epoch_;
    return report;
}

// --- Corruption ---

Status SimDisk::corrupt(std::string_view path, u64 offset, u8 bit) {
    KB_ASSERT(bit < 8);
    NodeId id = KB_TRY(lookup(path));
    Node& file = node(id);
    if (file.is_directory) return Status::invalid_argument(display_path(path) + ": is a directory");
    if (offset >= file.current.size()) {
        return Status::out_of_range(display_path(path) + ": offset " + std::to_string(offset) +
                                    " is past the end");
    }
    u8 mask = static_cast<u8>(1u << bit);
    file.current[offset] ^= mask;
    if (offset < file.durable.size()) file.durable[offset] ^= mask;
    return Status::ok();
}

std::optional<Corruption> SimDisk::corrupt_random() {
    std::vector<std::pair<NodeId, std::string>> candidates;
    for (auto& [id, path] : node_paths()) {
        const Node& entry = node(id);
        if (!entry.is_directory && !entry.current.empty()) candidates.emplace_back(id, path);
    }
    if (candidates.empty()) return std::nullopt;
    const auto& [id, path] = candidates[prng_.uniform(candidates.size())];
    Corruption corruption{.path = path,
                          .offset = prng_.uniform(node(id).current.size()),
                          .bit = static_cast<u8>(prng_.uniform(8))};
    KB_ASSERT(corrupt(path, corruption.offset, corruption.bit).is_ok());
    return corruption;
}

// --- Inspection ---

Result<Bytes> SimDisk::contents(std::string_view path) const {
    NodeId id = KB_TRY(lookup(path));
    if (node(id).is_directory)
        return Status::invalid_argument(display_path(path) + ": is a directory");
    return node(id).current;
}

Result<Bytes> SimDisk::durable_contents(std::string_view path) const {
    NodeId id = KB_TRY(lookup(path));
    if (node(id).is_directory)
        return Status::invalid_argument(display_path(path) + ": is a directory");
    return node(id).durable;
}

bool SimDisk::entry_durable(std::string_view path) const {
    Result<NodeId> durable = lookup_in(path, true);
    Result<NodeId> current = lookup_in(path, false);
    return durable && current && *durable == *current;
}

}  // namespace kb::io
