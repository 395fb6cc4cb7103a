// Simulator: the cluster, its clients, the fault scheduler and the run loop (simulator.h).
#include "sim/simulator.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "base/assert.h"
#include "base/prng.h"
#include "crypto/master_key.h"
#include "db/engine.h"
#include "db/genesis.h"
#include "io/clock.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/sim_network.h"
#include "io/sim_storage.h"
#include "kernel/permissions.h"
#include "sim/checker.h"
#include "sim/engine_node.h"
#include "sim/kernel_workload.h"
#include "sim/sim_client.h"
#include "sim/sim_state_machine.h"
#include "sim/tracing_bus.h"
#include "sim/workload.h"
#include "storage/log.h"
#include "storage/test_keys.h"
#include "vsr/message.h"
#include "vsr/superblock.h"

namespace kb::sim {

namespace {

constexpr u64 kCluster = 0x5eed;
constexpr u64 kClientIdBase = 1000;  // client ids start here (0 means "no client")
constexpr usize kKernelStreams = 3;  // streams the kernel workload appends to

ClientId client_id(u8 index) { return ClientId(kClientIdBase + index); }

// What the seed chose for this run: how hostile the world is.
struct Profile {
    u8 clients = 1;
    u64 think_max_ns = 0;     // pause between a reply and the client's next request
    u64 retry_ns = 0;         // a client resends after this long without a reply
    u64 crash_per_10k = 0;    // chance per tick of a crash (within the budget of f)
    u64 network_per_10k = 0;  // chance per tick of a network fault when there is none
    u64 storm_per_10k = 0;    // chance per tick of a storm (beyond f, short)
    u64 pipeline_max = 32;
};

class World final : public ClientHost {
public:
    explicit World(const SimulatorOptions& options);
    ~World();

    SimulatorResult run();

    // ClientHost.
    io::SimEventLoop& loop() override { return loop_; }
    io::SimNetwork& network() override { return network_; }
    Prng& client_prng() override { return client_prng_; }
    Workload& workload() override { return *workload_; }
    u64& trace() override { return trace_; }
    u64 cluster() const override { return cluster_; }
    u8 replicas() const override { return options_.replicas; }
    u64 retry_ns() const override { return profile_.retry_ns; }
    u64 think_max_ns() const override { return profile_.think_max_ns; }
    void fail(std::string what) override;
    bool failed() const override { return failure_.has_value(); }
    // Checks everything the replicas did so far, then the reply.
    void on_reply(ClientId client, RequestNumber request, Position op, u64 first_sent_ns) override;
    void on_registered(ClientId client, Position op) override;
    bool on_eviction(ClientId client, RequestNumber request) override;

private:
    struct Node {
        std::unique_ptr<io::SimDisk> disk;
        std::unique_ptr<io::SimStorage> storage;
        std::unique_ptr<TracingBus> bus;
        std::unique_ptr<storage::Log> log;
        std::unique_ptr<vsr::Superblock> superblock;
        std::unique_ptr<RecordingStateMachine> state;
        std::unique_ptr<vsr::Replica> replica;
        std::unique_ptr<EngineNode> engine;  // the kernel mode's replica (instead of the above)
        u64 incarnation = 0;
        bool down = false;
        u64 restart_tick = 0;
        View promised;  // the superblock's durable view when it went down
        u64 view_changes = 0;
    };

    // The node's running replica, or null while it is down.
    static const vsr::Replica* replica_of(const Node& node);
    const vsr::Replica& replica_at(u8 index) const { return *replica_of(*nodes_[index]); }
    Profile draw_profile();
    static std::unique_ptr<Workload> make_workload(const SimulatorOptions& options);
    void start_echo_node(u8 index, bool fresh);
    void start_engine_node(u8 index);
    // Kernel mode, before the clients start: a tenant, its streams and the bank's accounts
    // table, made in-process at the primary of view 0.
    void set_up_kernel();
    Status check_kernel_state() const;
    // Every engine has published everything it applied.
    bool engines_published() const;
    static io::SimNetworkOptions network_options(const SimulatorOptions& options, Prng& prng);
    void start_node(u8 index, bool fresh);
    void crash(u8 index, u64 restart_tick);
    void restart_due();
    std::optional<u8> primary() const;
    u8 impaired() const;
    void inject_faults();
    void network_fault();
    void storm();
    void heal_network();
    // Runs the loop for `duration_ns`, checking after every task; false once something broke.
    // Runs one tick's worth of simulated time, checking after every task and firing an armed
    // crash the moment its replica applies; false once something broke.
    bool run_tick();
    bool run_checked_until(const std::function<bool()>& done, u64 limit_ns);
    bool converged() const;
    void trace_event(u64 kind, u64 a, u64 b = 0);
    void note(const std::string& what) const;
    void note_replica_changes();

    SimulatorOptions options_;
    Prng fault_prng_;
    Prng client_prng_;
    io::ManualClock clock_;
    io::SimEventLoop loop_;
    io::SimNetwork network_;
    std::unique_ptr<storage::KeyringKeySource> keys_;
    std::unique_ptr<Workload> workload_;
    KernelWorkload* kernel_workload_ = nullptr;  // workload_, in the kernel mode
    Checker checker_;
    u64 cluster_ = kCluster;
    // The kernel mode's shared parts: a fixed master key, the cluster's genesis record.
    crypto::SeededRandom key_random_;
    std::unique_ptr<crypto::MemoryMasterKeyProvider> master_;
    kernel::AdminPermissions permissions_{{db::kSystemPrincipal, db::kAdminPrincipal}};
    EngineNodeEnvironment engine_environment_;
    TenantId kernel_tenant_;
    std::vector<StreamId> kernel_streams_;
    Profile profile_;
    vsr::ReplicaOptions replica_options_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<std::unique_ptr<SimClient>> clients_;
    u64 trace_ = 0;
    u64 tick_ = 0;
    std::optional<std::string> failure_;
    u64 failure_tick_ = 0;
    u64 failure_ns_ = 0;
    // The network fault in force (one at a time) and the replicas it cuts off.
    bool network_fault_ = false;
    u64 network_fault_end_ = 0;
    u8 network_victims_ = 0;
    std::set<u8> network_victim_ids_;
    u64 crashes_ = 0;
    u64 storms_ = 0;
    u64 network_faults_ = 0;
    u64 evictions_ = 0;
    std::vector<std::string> last_state_;  // verbose: each replica's last printed state
    // A crash waiting for its replica (a primary) to apply past `applied`: a crash right after
    // a commit, with the replies possibly still on the wire. Or, in the kernel mode, waiting
    // for the replica's next checkpoint and coming `tasks` loop tasks into it (or right after
    // it, if it is done sooner): anywhere between the client table's save and the store's
    // superblock (docs/FORMATS.md "Client table").
    struct ArmedCrash {
        u8 replica = 0;
        Position applied;
        u64 down_for_ticks = 0;
        bool in_checkpoint = false;
        u64 tasks = 0;
        bool checkpoint_seen = false;
    };
    std::optional<ArmedCrash> armed_crash_;
};

// --- World ---

World::World(const SimulatorOptions& options)
    : options_(options),
      fault_prng_(options.seed * 0x9e3779b97f4a7c15ull + 1),
      client_prng_(options.seed * 0xbf58476d1ce4e5b9ull + 2),
      loop_(clock_),
      network_(loop_, network_options(options, fault_prng_)),
      keys_(storage::testing::make_test_keys()),
      workload_(make_workload(options)),
      kernel_workload_(dynamic_cast<KernelWorkload*>(workload_.get())),
      checker_(options.replicas, options.tolerate_double_apply || options.tolerate_session_bugs,
               workload_.get()),
      key_random_(options.seed * 0x2545f4914f6cdd1dull + 3) {
    KB_ASSERT(options_.replicas == 1 || options_.replicas == 3 || options_.replicas == 5);
    profile_ = draw_profile();
    replica_options_.pipeline_max = profile_.pipeline_max;
    replica_options_.canary = options_.canary;
    if (options_.client_sessions_max > 0) {
        replica_options_.client_sessions_max = options_.client_sessions_max;
    }
    if (kernel_workload_ != nullptr) {
        master_ = std::make_unique<crypto::MemoryMasterKeyProvider>(
            crypto::KeyId(1), crypto::random_secret_key<32>(key_random_));
        auto genesis =
            db::make_genesis_record(*master_, key_random_, options_.replicas, clock_.realtime());
        KB_ASSERT_MSG(genesis.has_value(), "the simulator could not make a genesis record");
        engine_environment_ =
            EngineNodeEnvironment{.loop = &loop_,
                                  .clock = &clock_,
                                  .master = master_.get(),
                                  .permissions = &permissions_,
                                  .genesis_record = std::move(*genesis),
                                  .replica_count = options_.replicas,
                                  .protocol = replica_options_,
                                  .checkpoint_every_ops = fault_prng_.range_inclusive(20, 400)};
    }
    for (u8 index = 0; index < options_.replicas; ++index) {
        auto node = std::make_unique<Node>();
        io::SimDiskOptions disk_options;
        disk_options.seed = options_.seed * 131 + index;
        disk_options.name = "replica" + std::to_string(index);
        node->disk = std::make_unique<io::SimDisk>(disk_options);
        io::SimStorageOptions storage_options;
        storage_options.seed = options_.seed * 31 + index;
        node->storage = std::make_unique<io::SimStorage>(*node->disk, loop_, storage_options);
        node->bus = std::make_unique<TracingBus>(network_.bus(io::Peer::replica(index)),
                                                 loop_.clock(), trace_);
        nodes_.push_back(std::move(node));
    }
    for (u8 index = 0; index < options_.replicas && !failed(); ++index) {
        start_node(index, /*fresh=*/true);
    }
    if (kernel_workload_ != nullptr && !failed()) set_up_kernel();
    for (u8 c = 0; c < profile_.clients; ++c) {
        clients_.push_back(std::make_unique<SimClient>(*this, client_id(c)));
    }
}

World::~World() {
    clients_.clear();
    for (auto& node : nodes_) {
        node->engine.reset();
        node->replica.reset();
        node->state.reset();
        node->superblock.reset();
        node->log.reset();
    }
}

io::SimNetworkOptions World::network_options(const SimulatorOptions& options, Prng& prng) {
    io::SimNetworkOptions network;
    network.seed = options.seed;
    if (!options.faults) return network;
    const u64 min_ns = prng.range_inclusive(10, 200) * kNanosPerMicro;
    const u64 mean_ns = min_ns + prng.range_inclusive(0, 2000) * kNanosPerMicro;
    const u64 max_ns = mean_ns + prng.range_inclusive(0, 50) * kNanosPerMilli;
    network.latency = io::SimLatency{.min_ns = min_ns, .mean_ns = mean_ns, .max_ns = max_ns};
    static constexpr u32 kRates[] = {0, 0, 1'000, 10'000, 30'000, 60'000};
    network.loss_per_million = kRates[prng.uniform(std::size(kRates))];
    network.duplication_per_million = kRates[prng.uniform(std::size(kRates))];
    return network;
}

Profile World::draw_profile() {
    Profile profile;
    Prng& prng = fault_prng_;
    profile.clients = static_cast<u8>(prng.range_inclusive(1, 8));
    static constexpr u64 kThink[] = {0, 100'000, 1'000'000, 10'000'000, 50'000'000};
    profile.think_max_ns = kThink[prng.uniform(std::size(kThink))];
    profile.retry_ns = prng.range_inclusive(100, 400) * kNanosPerMilli;
    static constexpr u64 kPipeline[] = {1, 4, 32};
    profile.pipeline_max = kPipeline[prng.uniform(std::size(kPipeline))];
    if (!options_.faults) return profile;
    static constexpr u64 kCrash[] = {0, 5, 20, 100};
    static constexpr u64 kNetwork[] = {0, 10, 50, 300};
    static constexpr u64 kStorm[] = {0, 2, 10};
    profile.crash_per_10k = kCrash[prng.uniform(std::size(kCrash))];
    profile.network_per_10k = kNetwork[prng.uniform(std::size(kNetwork))];
    profile.storm_per_10k = kStorm[prng.uniform(std::size(kStorm))];
    return profile;
}

void World::fail(std::string what) {
    if (failure_) return;
    failure_ = std::move(what);
    failure_tick_ = tick_;
    failure_ns_ = clock_.monotonic_ns();
}

void World::note(const std::string& what) const {
    if (!options_.verbose) return;
    std::printf("%12.6f tick %llu: %s\n", static_cast<double>(clock_.monotonic_ns()) / 1e9,
                static_cast<unsigned long long>(tick_), what.c_str());
}

void World::note_replica_changes() {
    last_state_.resize(replicas());
    for (u8 index = 0; index < replicas(); ++index) {
        const vsr::Replica* r = replica_of(*nodes_[index]);
        std::string state = "down";
        if (r != nullptr) {
            state = std::string(vsr::replica_status_name(r->status())) +
                    " view=" + std::to_string(r->view().value()) +
                    " log_view=" + std::to_string(r->log_view().value()) +
                    (r->is_primary() ? " PRIMARY" : "");
        }
        if (state != last_state_[index]) {
            last_state_[index] = state;
            if (r != nullptr) {
                state += " op=" + std::to_string(r->op().value()) +
                         " commit=" + std::to_string(r->commit_max().value()) +
                         " applied=" + std::to_string(r->commit_min().value());
            }
            note("replica " + std::to_string(index) + " " + state);
        }
    }
}

void World::trace_event(u64 kind, u64 a, u64 b) {
    trace_ = fold64(trace_, kind << 56 | clock_.monotonic_ns());
    trace_ = fold64(trace_, a << 32 | b);
}

void World::on_reply(ClientId client, RequestNumber request, Position op, u64 first_sent_ns) {
    if (failed()) return;
    trace_event(1, client.value(), request.value());
    trace_ = fold64(trace_, op.value());
    if (auto checked = checker_.check(); !checked.is_ok()) return fail(checked.message());
    if (first_sent_ns == 0) {
        // A repeat: only the position is compared with the first answer.
        if (auto ok = checker_.on_reply(client, request, op, 0, 0); !ok.is_ok()) {
            return fail(ok.message());
        }
        return;
    }
    auto ok = checker_.on_reply(client, request, op, first_sent_ns, clock_.monotonic_ns());
    if (!ok.is_ok()) fail(ok.message());
}

void World::on_registered(ClientId client, Position op) {
    if (failed()) return;
    trace_event(9, client.value(), op.value());
    note("client " + std::to_string(client.value()) + " registered: session " +
         std::to_string(op.value()));
    if (auto checked = checker_.check(); !checked.is_ok()) return fail(checked.message());
    if (auto ok = checker_.on_register_reply(client, op); !ok.is_ok()) fail(ok.message());
}

bool World::on_eviction(ClientId client, RequestNumber request) {
    trace_event(8, client.value(), request.value());
    note("client " + std::to_string(client.value()) + " evicted at request " +
         std::to_string(request.value()));
    if (!options_.tolerate_eviction) {
        fail("client " + std::to_string(client.value()) + " was told its session is gone " +
             "(eviction) at request " + std::to_string(request.value()) + ", though the " +
             "session table has room for every client (" + std::to_string(profile_.clients) +
             " clients, " + std::to_string(replica_options_.client_sessions_max) + " sessions)");
        return false;
    }
    ++evictions_;
    return true;
}

const vsr::Replica* World::replica_of(const Node& node) {
    if (node.engine != nullptr) return &node.engine->engine().replica();
    return node.replica.get();
}

std::unique_ptr<Workload> World::make_workload(const SimulatorOptions& options) {
    if (options.workload == SimWorkload::kernel) {
        return std::make_unique<KernelWorkload>(options.tolerate_session_bugs);
    }
    return std::make_unique<EchoAppendWorkload>();
}

void World::start_node(u8 index, bool fresh) {
    Node& node = *nodes_[index];
    ++node.incarnation;
    node.down = false;
    if (kernel_workload_ != nullptr) return start_engine_node(index);
    start_echo_node(index, fresh);
}

void World::start_engine_node(u8 index) {
    Node& node = *nodes_[index];
    // A new data directory is initialised from the cluster's genesis record; a restarted one
    // finds it in its log.
    auto opened = EngineNode::open(engine_environment_, index, *node.storage, *node.bus,
                                   options_.seed * 7919 + index * 1009 + node.incarnation);
    if (!opened) {
        return fail("replica " + std::to_string(index) + " could not open its engine" +
                    (node.incarnation > 1 ? " after a crash: " : ": ") +
                    opened.status().to_string());
    }
    node.engine = std::move(*opened);
    if (replicas() == 1 && node.incarnation == 1) {
        // A cluster of one logs its genesis record itself, outside the replica's commits.
        checker_.initialised(node.engine->first_position().prev());
    }
    db::Engine& engine = node.engine->engine();
    if (auto ok =
            checker_.on_start(index, engine.replica(), *node.engine, engine.log(), node.promised);
        !ok.is_ok()) {
        return fail(ok.message());
    }
    if (index == 0) cluster_ = db::cluster_number(engine.genesis());
}

void World::set_up_kernel() {
    auto made = create_streams(nodes_[0]->engine->engine(), kKernelStreams,
                               [this](const std::function<bool()>& done) {
                                   return run_checked_until(done, 60 * kNanosPerSecond);
                               });
    if (failed()) return;
    if (!made) return fail("kernel setup: " + made.status().to_string());
    kernel_tenant_ = made->first;
    kernel_streams_ = made->second;
    kernel_workload_->set_streams(kernel_tenant_, kernel_streams_);
    // The bank table: few accounts (much contention) to many, and a share of the requests.
    static constexpr usize kAccounts[] = {3, 5, 10, 20};
    static constexpr u64 kTransactionPercent[] = {25, 50, 75};
    const usize accounts = kAccounts[client_prng_.uniform(std::size(kAccounts))];
    if (options_.canary_no_read_sets) kernel_workload_->bank().drop_read_sets();
    kernel_workload_->set_transaction_percent(
        kTransactionPercent[client_prng_.uniform(std::size(kTransactionPercent))]);
    auto bank =
        create_accounts(nodes_[0]->engine->engine(), kernel_tenant_, accounts,
                        kernel_workload_->bank(), [this](const std::function<bool()>& done) {
                            return run_checked_until(done, 60 * kNanosPerSecond);
                        });
    if (failed()) return;
    if (!bank.is_ok()) return fail("kernel setup: the accounts table: " + bank.to_string());
}

bool World::engines_published() const {
    return std::all_of(nodes_.begin(), nodes_.end(), [](const auto& node) {
        const db::Engine& engine = node->engine->engine();
        return engine.snapshot().applied() == engine.applied_position();
    });
}

Status World::check_kernel_state() const {
    // Every replica's streams end where the model's do (no append lost, none applied twice),
    // and its accounts table holds the bank model's accounts, now and as of earlier positions.
    for (u8 index = 0; index < replicas(); ++index) {
        const db::Engine& engine = nodes_[index]->engine->engine();
        Status ok = check_stream_ends(engine, kernel_tenant_, kernel_streams_,
                                      kernel_workload_->next_offsets());
        if (ok.is_ok()) ok = check_accounts(engine, kernel_workload_->bank());
        if (!ok.is_ok()) {
            return Status::internal("replica " + std::to_string(index) + ": " + ok.message());
        }
    }
    return Status::ok();
}

void World::start_echo_node(u8 index, bool fresh) {
    Node& node = *nodes_[index];
    const std::string who = "replica " + std::to_string(index);
    storage::LogOptions log_options;
    log_options.segment_capacity_bytes = 64 << 10;
    log_options.zero_fill_segments = false;
    auto log = storage::Log::open(*node.storage, loop_, log_options);
    if (!log) return fail(who + " could not open its log: " + log.status().to_string());
    node.log = std::move(*log);
    if (fresh) {
        auto created = vsr::Superblock::create(*node.storage, loop_,
                                               vsr::ReplicaState{.cluster = kCluster,
                                                                 .replica = index,
                                                                 .replica_count = replicas(),
                                                                 .view = View(),
                                                                 .log_view = View(),
                                                                 .head_limit = std::nullopt});
        if (!created)
            return fail(who + " could not create its superblock: " + created.status().to_string());
        node.superblock = std::move(*created);
    } else {
        auto opened = vsr::Superblock::open(*node.storage, loop_);
        if (!opened) {
            return fail(who + " could not open its superblock after a crash: " +
                        opened.status().to_string());
        }
        node.superblock = std::move(*opened);
    }
    node.state = std::make_unique<RecordingStateMachine>(std::make_unique<EchoLogStateMachine>(
        keys_.get(), options_.seed * 7919 + index * 1009 + node.incarnation));
    node.replica = std::make_unique<vsr::Replica>(loop_, *node.bus, *node.log, *node.superblock,
                                                  *node.state, replica_options_);
    if (auto ok = checker_.on_start(index, *node.replica, *node.state, *node.log, node.promised);
        !ok.is_ok()) {
        return fail(ok.message());
    }
    node.replica->start();
}

void World::crash(u8 index, u64 restart_tick) {
    Node& node = *nodes_[index];
    if (node.down) return;
    trace_event(2, index, restart_tick);
    note("crash replica " + std::to_string(index) + " (restart at tick " +
         std::to_string(restart_tick) + ")");
    ++crashes_;
    node.promised =
        node.engine ? node.engine->engine().durable_view() : node.superblock->durable().view;
    node.view_changes += replica_of(node)->counters().view_changes;
    checker_.on_stop(index);
    node.engine.reset();
    node.replica.reset();
    node.state.reset();
    node.superblock.reset();
    node.log.reset();
    node.storage->crash();
    network_.reset(io::Peer::replica(index));
    node.down = true;
    node.restart_tick = restart_tick;
}

void World::restart_due() {
    for (u8 index = 0; index < replicas() && !failed(); ++index) {
        Node& node = *nodes_[index];
        if (!node.down || node.restart_tick > tick_) continue;
        trace_event(3, index);
        note("restart replica " + std::to_string(index));
        start_node(index, /*fresh=*/false);
    }
}

std::optional<u8> World::primary() const {
    std::optional<u8> found;
    for (u8 index = 0; index < replicas(); ++index) {
        const vsr::Replica* replica = replica_of(*nodes_[index]);
        if (replica == nullptr || !replica->is_primary()) continue;
        if (!found || replica->view() > replica_at(*found).view()) found = index;
    }
    return found;
}

u8 World::impaired() const {
    u8 count = network_fault_ ? network_victims_ : 0;
    for (const auto& node : nodes_) count = static_cast<u8>(count + (node->down ? 1 : 0));
    return count;
}

void World::heal_network() {
    if (!network_fault_) return;
    network_.heal();
    network_fault_ = false;
    network_victims_ = 0;
    network_victim_ids_.clear();
    trace_event(4, 0);
    note("network healed");
}

void World::network_fault() {
    const u8 f = static_cast<u8>((replicas() - 1) / 2);
    const u8 room = static_cast<u8>(f - std::min(f, impaired()));
    if (room == 0) return;
    // Victims: the primary half of the time (the interesting one), else anyone.
    std::vector<u8> order(replicas());
    for (u8 index = 0; index < replicas(); ++index) order[index] = index;
    fault_prng_.shuffle(std::span<u8>(order));
    if (auto leader = primary(); leader && fault_prng_.coin()) {
        std::iter_swap(order.begin(), std::find(order.begin(), order.end(), *leader));
    }
    const u64 duration = fault_prng_.coin() ? fault_prng_.range_inclusive(1, 30)
                                            : fault_prng_.range_inclusive(30, 400);
    const u64 kind = fault_prng_.uniform(4);
    u8 victims = 1;
    switch (kind) {
        case 0:
        case 1: {  // symmetric: a minority cut off from the rest
            victims = static_cast<u8>(fault_prng_.range_inclusive(1, room));
            std::vector<io::Peer> cut;
            std::vector<io::Peer> rest;
            for (u8 i = 0; i < replicas(); ++i) {
                (i < victims ? cut : rest).push_back(io::Peer::replica(order[i]));
            }
            // Half the time some clients are on the cut-off side (reaching only it, often an
            // old primary that will take their requests and never commit them); the others
            // reach everyone.
            if (fault_prng_.coin()) {
                for (u8 c = 0; c < profile_.clients; ++c) {
                    if (fault_prng_.coin()) cut.push_back(io::Peer::client(client_id(c)));
                }
            }
            network_.partition({cut, rest});
            break;
        }
        case 2: {  // one way: the victim stops hearing someone, or stops being heard
            const io::Peer victim = io::Peer::replica(order[0]);
            const io::Peer other = io::Peer::replica(order[1]);
            if (fault_prng_.coin()) {
                network_.block(victim, other);
            } else {
                network_.block(other, victim);
            }
            break;
        }
        default:  // clog: everything to and from the victim is held, then sent on
            network_.clog(io::Peer::replica(order[0]), duration * options_.tick_ns);
            break;
    }
    network_fault_ = true;
    network_victims_ = victims;
    network_victim_ids_.clear();
    for (u8 i = 0; i < victims; ++i) network_victim_ids_.insert(order[i]);
    network_fault_end_ = tick_ + duration;
    ++network_faults_;
    trace_event(5, kind, order[0]);
    static constexpr const char* kKinds[] = {"partition", "partition", "one-way block", "clog"};
    note(std::string(kKinds[kind]) + " around replica " + std::to_string(order[0]) + " (" +
         std::to_string(victims) + " cut off) until tick " + std::to_string(network_fault_end_));
}

void World::storm() {
    // Beyond f for a moment: all replicas lose power together (and come back soon), or the
    // primary and a backup do.
    ++storms_;
    const u64 back = tick_ + fault_prng_.range_inclusive(1, 20);
    if (fault_prng_.coin() || replicas() == 1) {
        trace_event(6, 0);
        note("storm: every replica loses power");
        for (u8 index = 0; index < replicas(); ++index) crash(index, back);
        return;
    }
    trace_event(6, 1);
    const auto leader = primary();
    const u8 first = leader ? *leader : static_cast<u8>(fault_prng_.uniform(replicas()));
    // The backup is one the network fault in force (if any) does not cut off: it has been
    // acknowledging what the cut-off replicas lack.
    std::vector<u8> candidates;
    for (u8 index = 0; index < replicas(); ++index) {
        if (index != first && !network_victim_ids_.contains(index)) candidates.push_back(index);
    }
    if (candidates.empty()) {
        for (u8 index = 0; index < replicas(); ++index) {
            if (index != first) candidates.push_back(index);
        }
    }
    const u8 second = candidates[fault_prng_.uniform(candidates.size())];
    note("storm: the primary " + std::to_string(first) + " and backup " + std::to_string(second) +
         " lose power");
    // The backup comes back first, and the cut-off replicas are reconnected about then: the
    // replicas up elect a view without the old primary, on what the backup kept (it said it
    // was durable).
    crash(first, tick_ + fault_prng_.range_inclusive(20, 300));
    crash(second, back);
    if (network_fault_) network_fault_end_ = std::min(network_fault_end_, back);
}

void World::inject_faults() {
    if (!options_.faults) return;
    if (network_fault_ && tick_ >= network_fault_end_) heal_network();
    const u8 f = static_cast<u8>((replicas() - 1) / 2);
    if (profile_.crash_per_10k > 0 && fault_prng_.chance(profile_.crash_per_10k, 10'000)) {
        // Kernel mode: a third of the crashes come some way into the victim's next checkpoint
        // (engines checkpoint every checkpoint_every_ops committed ops, drawn per seed) — in a
        // cluster of one too, which is then down for a moment, as in a storm.
        const bool in_checkpoint = kernel_workload_ != nullptr && fault_prng_.uniform(3) == 0;
        if (impaired() < f || (in_checkpoint && replicas() == 1)) {
            // The primary half of the time: crashes right after it commits are the ones that
            // test what "committed" means.
            u8 victim = static_cast<u8>(fault_prng_.uniform(replicas()));
            const auto leader = primary();
            const bool primary_victim = leader && fault_prng_.coin();
            if (primary_victim) victim = *leader;
            const u64 down_for = fault_prng_.uniform(4) == 0 ? fault_prng_.range_inclusive(50, 500)
                                                             : fault_prng_.range_inclusive(1, 50);
            if (in_checkpoint) {
                armed_crash_ = ArmedCrash{.replica = victim,
                                          .applied = Position(),
                                          .down_for_ticks = down_for,
                                          .in_checkpoint = true,
                                          .tasks = fault_prng_.uniform(48),
                                          .checkpoint_seen = false};
                note("armed: crash replica " + std::to_string(victim) + " " +
                     std::to_string(armed_crash_->tasks) + " tasks into its next checkpoint");
            } else if (primary_victim && fault_prng_.coin()) {
                // Not now but the moment it next applies an op (replies may be on the wire).
                armed_crash_ = ArmedCrash{victim, replica_at(victim).commit_min(), down_for};
                note("armed: crash replica " + std::to_string(victim) + " once it applies past " +
                     std::to_string(armed_crash_->applied.value()));
            } else {
                crash(victim, tick_ + down_for);
            }
        }
    }
    if (!network_fault_ && profile_.network_per_10k > 0 &&
        fault_prng_.chance(profile_.network_per_10k, 10'000)) {
        network_fault();
    }
    if (profile_.storm_per_10k > 0 && fault_prng_.chance(profile_.storm_per_10k, 10'000)) {
        storm();
    }
}

bool World::run_checked_until(const std::function<bool()>& done, u64 limit_ns) {
    const u64 deadline = clock_.monotonic_ns() + limit_ns;
    bool finished = false;
    loop_.run_until(
        [&] {
            if (failed()) return true;
            if (options_.verbose) note_replica_changes();
            if (auto checked = checker_.check(); !checked.is_ok()) {
                fail(checked.message());
                return true;
            }
            finished = done();
            return finished;
        },
        limit_ns);
    if (!failed() && !finished && clock_.monotonic_ns() < deadline) {
        clock_.set_monotonic_ns(deadline);
    }
    return !failed() && finished;
}

bool World::run_tick() {
    const u64 end = clock_.monotonic_ns() + options_.tick_ns;
    while (!failed() && clock_.monotonic_ns() < end) {
        bool fire = false;
        run_checked_until(
            [&] {
                if (!armed_crash_) return false;
                const Node& node = *nodes_[armed_crash_->replica];
                if (node.down) {
                    armed_crash_.reset();  // a storm took it first
                    return false;
                }
                if (armed_crash_->in_checkpoint) {
                    ArmedCrash& armed = *armed_crash_;
                    if (node.engine->engine().checkpoint_in_flight()) {
                        armed.checkpoint_seen = true;
                        fire = armed.tasks == 0;
                        if (!fire) --armed.tasks;
                    } else {
                        fire = armed.checkpoint_seen;
                    }
                    return fire;
                }
                fire = replica_of(node)->commit_min() > armed_crash_->applied;
                return fire;
            },
            end - clock_.monotonic_ns());
        if (fire && !failed()) {
            const ArmedCrash armed = *armed_crash_;
            armed_crash_.reset();
            const u8 f = static_cast<u8>((replicas() - 1) / 2);
            // Within the budget still (a network fault may have come since it was armed).
            if (impaired() < f || replicas() == 1)
                crash(armed.replica, tick_ + armed.down_for_ticks);
        }
    }
    return !failed();
}

bool World::converged() const {
    Position commit;
    for (const auto& node : nodes_) {
        if (node->down || replica_of(*node) == nullptr) return false;
        commit = std::max(commit, replica_of(*node)->commit_max());
    }
    if (commit.value() < checker_.committed()) return false;
    const View view = replica_at(0).view();
    for (const auto& node : nodes_) {
        const vsr::Replica& replica = *replica_of(*node);
        if (replica.status() != vsr::ReplicaStatus::normal || replica.view() != view ||
            replica.commit_min() != commit) {
            return false;
        }
    }
    return std::none_of(clients_.begin(), clients_.end(),
                        [](const auto& client) { return client->waiting(); });
}

SimulatorResult World::run() {
    for (auto& client : clients_) {
        client->start(client_prng_.uniform(options_.tick_ns));
    }
    for (tick_ = 0; tick_ < options_.ticks && !failed(); ++tick_) {
        restart_due();
        if (failed()) break;
        inject_faults();
        if (!run_tick()) break;
        if (options_.ops_target > 0 && checker_.acknowledged() >= options_.ops_target) break;
    }
    if (!failed()) {
        // Calm: the faults stop, everyone comes back; the cluster must converge with every
        // acknowledged op in place.
        trace_event(7, tick_);
        for (auto& client : clients_) client->stop_new_requests();
        armed_crash_.reset();
        heal_network();
        network_.heal();
        for (u8 index = 0; index < replicas() && !failed(); ++index) {
            if (nodes_[index]->down) start_node(index, /*fresh=*/false);
        }
        if (!failed() && !run_checked_until([this] { return converged(); }, options_.converge_ns)) {
            if (!failed()) {
                std::string state = "no convergence within " +
                                    std::to_string(options_.converge_ns / kNanosPerSecond) +
                                    " s after the faults stopped (liveness):";
                for (u8 index = 0; index < replicas(); ++index) {
                    const vsr::Replica& r = replica_at(index);
                    state += " [r" + std::to_string(index) + " " +
                             std::string(vsr::replica_status_name(r.status())) +
                             " view=" + std::to_string(r.view().value()) +
                             " op=" + std::to_string(r.op().value()) +
                             " commit=" + std::to_string(r.commit_max().value()) +
                             " applied=" + std::to_string(r.commit_min().value()) + "]";
                }
                u64 waiting = 0;
                for (const auto& client : clients_) waiting += client->waiting() ? 1u : 0u;
                state += " clients waiting=" + std::to_string(waiting);
                fail(state);
            }
        }
        if (!failed()) {
            if (auto ok = checker_.final_check(); !ok.is_ok()) fail(ok.message());
        }
        if (!failed() && kernel_workload_ != nullptr) {
            // Readers see what was applied once the engines publish (at the end of the loop
            // turn that applied it): let that happen, then read every replica's state.
            run_checked_until([this] { return engines_published(); }, kNanosPerSecond);
            if (auto ok = check_kernel_state(); !ok.is_ok()) fail(ok.message());
        }
    }

    SimulatorResult result;
    result.seed = options_.seed;
    result.replicas = replicas();
    result.clients = profile_.clients;
    result.ticks = tick_;
    result.simulated_ns = clock_.monotonic_ns();
    result.committed = checker_.committed();
    result.acknowledged = checker_.acknowledged();
    result.highest_view = checker_.highest_view().value();
    result.crashes = crashes_;
    result.storms = storms_;
    result.network_faults = network_faults_;
    result.messages = network_.stats().delivered;
    result.tasks = loop_.tasks_run();
    result.trace_hash = trace_;
    result.double_applies = checker_.double_applies();
    result.evictions = evictions_;
    result.registrations = checker_.registrations();
    if (kernel_workload_ != nullptr) {
        result.appends = kernel_workload_->counts().appended;
        result.conflicts = kernel_workload_->counts().conflicts;
        result.repeats = kernel_workload_->counts().repeats;
        result.session_bugs = kernel_workload_->counts().session_bugs;
        const BankWorkload::Counts& bank = kernel_workload_->bank().counts();
        result.transactions = bank.applied;
        result.transaction_refusals = bank.conflicts + bank.too_old + bank.unique;
        result.transaction_too_old = bank.too_old;
        result.repeats += bank.repeats;
    }
    result.failure = failure_;
    result.failure_tick = failure_tick_;
    result.failure_ns = failure_ns_;
    return result;
}

}  // namespace

SimulatorResult simulate(const SimulatorOptions& options) {
    World world(options);
    return world.run();  // a cluster that could not start reports that as its failure
}

}  // namespace kb::sim
