// kb_native_append_load: durable appends over the native protocol (include/kimberlite/client.h)
// from N client threads, each with its own connection and stream, for a fixed time; prints one
// JSON line {"events_per_second": ..., "appends": ..., "events": ...}. Driven by
// bench/suites/native.py against a `kmb server` it started.
//
//     kb_native_append_load --server 127.0.0.1:5432 --clients 16 --batch 100 --seconds 5
//         [--event-bytes 100] [--tls disable] [--pipeline 1]   (password: KMB_PASSWORD)
//
// --pipeline P: appends each client keeps in flight on its connection (append_async; the server
// answers them as they become durable, so they share group commits). 1: one at a time.
// Only appends answered before the time is up count.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "kimberlite/client.h"

namespace {

struct Settings {
    std::string server = "127.0.0.1:5432";
    std::string tls = "disable";
    int clients = 16;
    int batch = 1;
    double seconds = 5;
    int event_bytes = 100;
    int pipeline = 1;
};

bool parse(int argc, char** argv, Settings& settings) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--server") {
            settings.server = value;
        } else if (flag == "--tls") {
            settings.tls = value;
        } else if (flag == "--clients") {
            settings.clients = std::atoi(value);
        } else if (flag == "--batch") {
            settings.batch = std::atoi(value);
        } else if (flag == "--seconds") {
            settings.seconds = std::atof(value);
        } else if (flag == "--event-bytes") {
            settings.event_bytes = std::atoi(value);
        } else if (flag == "--pipeline") {
            settings.pipeline = std::atoi(value);
        } else {
            std::fprintf(stderr, "kb_native_append_load: unknown flag %s\n", flag.c_str());
            return false;
        }
    }
    return settings.clients > 0 && settings.batch > 0 && settings.seconds > 0 &&
           settings.pipeline > 0;
}

}  // namespace

int main(int argc, char** argv) {
    Settings settings;
    if (!parse(argc, argv, settings)) return 2;
    const char* password = std::getenv("KMB_PASSWORD");
    std::atomic<unsigned long long> appends{0};
    std::atomic<unsigned long long> events{0};
    std::atomic<bool> failed{false};
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int c = 0; c < settings.clients; ++c) {
        threads.emplace_back([&, c] {
            kb::ClientOptions options;
            options.server = settings.server;
            options.tls = settings.tls;
            options.password = password != nullptr ? password : "";
            options.client_name = "kb_native_append_load";
            auto client = kb::Client::connect(options);
            if (!client) {
                std::fprintf(stderr, "connect: %s\n", client.status().message().c_str());
                failed = true;
                ++ready;
                return;
            }
            const std::string name = "load-" + std::to_string(::getpid()) + "-" + std::to_string(c);
            auto stream = (*client)->create_stream(name);
            if (!stream) {
                std::fprintf(stderr, "create: %s\n", stream.status().message().c_str());
                failed = true;
                ++ready;
                return;
            }
            const std::vector<std::vector<unsigned char>> batch(
                static_cast<size_t>(settings.batch),
                std::vector<unsigned char>(static_cast<size_t>(settings.event_bytes), 'e'));
            ++ready;
            while (!go.load()) std::this_thread::yield();
            std::deque<std::future<kb::Result<kb::ClientAppended>>> in_flight;
            while (!stop.load()) {
                while (in_flight.size() < static_cast<size_t>(settings.pipeline)) {
                    in_flight.push_back((*client)->append_async(*stream, batch));
                }
                auto appended = in_flight.front().get();
                in_flight.pop_front();
                if (!appended) {
                    std::fprintf(stderr, "append: %s\n", appended.status().message().c_str());
                    failed = true;
                    return;
                }
                if (stop.load()) break;  // answered after the time was up
                ++appends;
                events += appended->count;
            }
            for (auto& rest : in_flight) rest.wait();  // before the connection closes
        });
    }
    while (ready.load() < settings.clients)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto start = std::chrono::steady_clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(settings.seconds));
    stop = true;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (std::thread& thread : threads) thread.join();
    if (failed.load()) return 1;
    std::printf("{\"events_per_second\": %.1f, \"appends\": %llu, \"events\": %llu}\n",
                static_cast<double>(events.load()) / elapsed, appends.load(), events.load());
    return 0;
}
