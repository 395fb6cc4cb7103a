// IoGroup: waits for a group of asynchronous Storage operations and reports once.
//
// The log issues several writes (records, a segment header, a durability mark) and then
// several syncs; each stage must finish completely before the next starts. An IoGroup hands
// out callbacks, counts them back in, and calls `done` with the first error (or ok) once the
// group is sealed and every callback has run. Loop thread only.
#pragma once

#include <memory>

#include "io/storage.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"

namespace kb::storage {

class IoGroup {
public:
    explicit IoGroup(io::UniqueFunction<void(Status)> done) : state_(std::make_shared<State>()) {
        state_->done = std::move(done);
    }

    io::WriteCallback write_callback() { return make_callback(); }
    io::SyncCallback sync_callback() { return make_callback(); }
    io::ReadCallback read_callback() {
        auto state = state_;
        ++state->outstanding;
        return [state](Status status, usize) { complete(*state, std::move(status)); };
    }
    // Records the result of a synchronous step in the group.
    void add_result(Status status) {
        if (state_->first_error.is_ok() && !status.is_ok()) state_->first_error = std::move(status);
    }
    // No more operations will be added: `done` runs when the outstanding ones finish (at once,
    // from this call, if none are outstanding).
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

    io::UniqueFunction<void(Status)> make_callback() {
        auto state = state_;
        ++state->outstanding;
        return [state](Status status) { complete(*state, std::move(status)); };
    }
    static void complete(State& state, Status status) {
        --state.outstanding;
        if (state.first_error.is_ok() && !status.is_ok()) state.first_error = std::move(status);
        finish_if_complete(state);
    }
    static void finish_if_complete(State& state) {
        if (state.sealed && state.outstanding == 0 && !state.finished) {
            state.finished = true;
            auto done = std::move(state.done);
            done(std::move(state.first_error));
        }
    }

    std::shared_ptr<State> state_;
};

}  // namespace kb::storage
