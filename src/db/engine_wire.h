// What a network client of the engine's replica sends (the request body of a vsr request) and
// gets back (the reply body), and the reply an in-process refusal would have had. A request is
// an op exactly as the log will hold it (kernel/op_codec.h: tenant, principal, body), except a
// create-tenant, which names the tenant only: its keys are made by the primary that prepares it
// (Engine::prepare), which logs them wrapped in the op, so every replica applies the same keys
// and no backup ever makes one. The reply is a SubmitResult. docs/FORMATS.md "Engine requests
// and replies" has the layout.
#pragma once

#include "base/bytes.h"
#include "db/engine.h"
#include "kernel/op.h"
#include "kimberlite/status.h"

namespace kb::db {

// A CreateTenantOp is sent by name (its key fields are not sent).
Result<Bytes> encode_request(const kernel::Op& op);
// invalid_argument (naming what is wrong) for bytes that are not a request. A create-tenant
// comes back without keys (default WrappedKeys), for the primary to fill in.
Result<kernel::Op> decode_request(ByteSpan body);

// An applied op's or a refusal's result, or (`error`) an operating error before logging.
Bytes encode_reply(const Result<SubmitResult>& result);
// What encode_reply made; invalid_argument for anything else. An encoded error comes back as
// that Status.
Result<SubmitResult> decode_reply(ByteSpan body);

}  // namespace kb::db
