// Small helpers of the store's value types (see types.h).
#include "store/types.h"

namespace kb::store {

std::string to_string(TreeId tree) {
    return "tree " + std::to_string(tree.number) + " of tenant " +
           std::to_string(tree.tenant.value());
}

}  // namespace kb::store
