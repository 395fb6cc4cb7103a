// Network: the parts of the message-bus contract that are not pure interface.
#include "io/network.h"

namespace kb::io {

std::string Peer::describe() const {
    if (is_replica()) return "replica " + std::to_string(replica_);
    return "client " + std::to_string(client_.value());
}

}  // namespace kb::io
