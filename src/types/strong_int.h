// StrongInt<Tag, Rep>: an integer that is only interchangeable with itself.
//
// A StreamId cannot be passed where an Offset is expected, nor compared with one: each
// domain id is a distinct instantiation. Construction from the raw integer is explicit;
// `value()` gets it back for encoding. Arithmetic is opt-in per type (see ids.h).
#pragma once

#include <compare>
#include <functional>

#include "base/ints.h"

namespace kb {

template <class Tag, class Rep>
class StrongInt {
public:
    using rep_type = Rep;

    constexpr StrongInt() = default;
    constexpr explicit StrongInt(Rep value) : value_(value) {}

    constexpr Rep value() const { return value_; }

    friend constexpr auto operator<=>(StrongInt, StrongInt) = default;
    friend constexpr bool operator==(StrongInt, StrongInt) = default;

private:
    Rep value_ = 0;
};

}  // namespace kb

template <class Tag, class Rep>
struct std::hash<kb::StrongInt<Tag, Rep>> {
    std::size_t operator()(kb::StrongInt<Tag, Rep> id) const noexcept {
        return std::hash<Rep>{}(id.value());
    }
};
