// UniqueFunction<R(Args...)>: a move-only, type-erased callable.
//
// Completion callbacks and loop tasks often own things that cannot be copied (a buffer in a
// unique_ptr, a promise); std::function requires copyable callables, and C++23's
// std::move_only_function is not available in GCC 12 under C++20. This is the small subset the
// IO seams need: construct from any callable, move, test for emptiness, call.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "base/assert.h"

namespace kb::io {

template <class Signature>
class UniqueFunction;

template <class R, class... Args>
class UniqueFunction<R(Args...)> {
public:
    UniqueFunction() = default;
    UniqueFunction(std::nullptr_t) {}  // NOLINT: implicit, like std::function

    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
             std::is_invocable_r_v<R, std::decay_t<F>&, Args...>)
        UniqueFunction(F&& callable)  // NOLINT: implicit, like std::function
        : callable_(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(callable))) {}

    UniqueFunction(UniqueFunction&&) noexcept = default;
    UniqueFunction& operator=(UniqueFunction&&) noexcept = default;
    UniqueFunction(const UniqueFunction&) = delete;
    UniqueFunction& operator=(const UniqueFunction&) = delete;

    explicit operator bool() const { return callable_ != nullptr; }

    // Calling an empty UniqueFunction is a programmer error.
    R operator()(Args... args) {
        KB_ASSERT(callable_ != nullptr);
        return callable_->call(std::forward<Args>(args)...);
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual R call(Args&&... args) = 0;
    };

    template <class F>
    struct Model final : Concept {
        template <class G>
        explicit Model(G&& function) : callable(std::forward<G>(function)) {}
        R call(Args&&... args) override {
            return std::invoke(callable, std::forward<Args>(args)...);
        }
        F callable;
    };

    std::unique_ptr<Concept> callable_;
};

}  // namespace kb::io
