// Deterministic bytes for schema objects (schema.h), shared by the op codec and the catalog
// codec. Layouts are in docs/FORMATS.md ("Catalog"); every field is fixed-width little-endian
// or length-prefixed (wire.h), in declaration order.
//
// Decoders read untrusted bytes through a WireReader: on anything malformed (truncation, an
// unknown enum value, a bool that is not 0/1) they record the problem in the reader and return
// a partial value that the caller discards after checking the reader's status. They check
// structure only; whether a schema makes sense is the catalog's business (an op with a bad
// CREATE TABLE is refused by the catalog before it is logged).
#pragma once

#include "kernel/schema.h"
#include "kernel/wire.h"

namespace kb::kernel {

void encode_column_def(WireWriter& out, const ColumnDef& column);
ColumnDef decode_column_def(WireReader& in);

void encode_table_schema(WireWriter& out, const TableSchema& schema);
TableSchema decode_table_schema(WireReader& in);

// The constraint lists as a table schema holds them (uniques, checks, foreign keys).
void encode_added_constraints(WireWriter& out, const AddedConstraints& constraints);
AddedConstraints decode_added_constraints(WireReader& in);

void encode_index_schema(WireWriter& out, const IndexSchema& schema);
IndexSchema decode_index_schema(WireReader& in);

void encode_sequence_schema(WireWriter& out, const SequenceSchema& schema);
SequenceSchema decode_sequence_schema(WireReader& in);

// A byte that must name an enum value in [min, max]; records a problem otherwise.
u8 decode_enum_byte(WireReader& in, std::string_view field, u8 min, u8 max);

}  // namespace kb::kernel
