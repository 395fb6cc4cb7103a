// Fuzz target for COPY FROM's decoder: the data comes from any client, in any chunking. Any
// bytes must either decode into records of exactly the COPY's columns or be refused with a
// COPY data error (22P04, 22021) carrying its CONTEXT; never a crash. Records that decoded are
// written back (CopyEncoder) and must decode to the same fields.
//
// Input: two flag bytes, then the data.
//   byte 0  bit 0 CSV (else text); bit 1 HEADER; bit 2 HEADER MATCH (with bit 1); bits 3-4
//           the delimiter (default, '|', ';', ','); bit 5 a NULL string of "NA" (CSV only);
//           bits 6-7 the columns - 1
//   byte 1  the chunk size the data is fed in (0: all at once)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/assert.h"
#include "sql/copy_format.h"

namespace {

using namespace kb;
using namespace kb::sql;

ast::GenericOption option(std::string name, std::string value) {
    ast::GenericOption out;
    out.name = std::move(name);
    out.kind = ast::GenericOption::Kind::string;
    out.value = std::move(value);
    return out;
}

// The records of `data` fed in `chunk`-byte pieces, or the error.
SqlResult<std::vector<CopyRecord>> decode(const CopyOptions& options,
                                          const std::vector<std::string>& columns,
                                          std::string_view data, usize chunk) {
    CopyDecoder decoder(options, "t", columns);
    std::vector<CopyRecord> records;
    const usize step = chunk == 0 ? std::max<usize>(data.size(), 1) : chunk;
    for (usize at = 0; at < data.size(); at += step) {
        auto fed = decoder.feed(as_bytes(data.substr(at, step)), records);
        if (!fed) return fed.error();
    }
    auto finished = decoder.finish(records);
    if (!finished) return finished.error();
    return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const u8 flags = data[0];
    const usize chunk = data[1];
    const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
    const bool csv = (flags & 1) != 0;
    std::vector<ast::GenericOption> given;
    if (csv) given.push_back(option("format", "csv"));
    if ((flags & 2) != 0) given.push_back(option("header", (flags & 4) != 0 ? "match" : "true"));
    static constexpr const char* kDelimiters[] = {nullptr, "|", ";", ","};
    if (const char* delimiter = kDelimiters[(flags >> 3) & 3]) {
        given.push_back(option("delimiter", delimiter));
    }
    if (csv && (flags & 32) != 0) given.push_back(option("null", "NA"));
    auto parsed = copy_options(given, true);
    if (!parsed) return 0;  // e.g. ',' with text format is allowed, a clash is not
    CopyOptions options = *parsed;
    std::vector<std::string> columns;
    for (usize c = 0; c <= static_cast<usize>(flags >> 6); ++c) {
        columns.push_back("c" + std::to_string(c));
    }
    KB_ASSERT(resolve_copy_columns(options, columns).has_value());

    auto records = decode(options, columns, text, chunk);
    if (!records) {
        const SqlError& error = records.error();
        KB_ASSERT_MSG(error.sqlstate == sqlstate::kBadCopyFileFormat ||
                          error.sqlstate == sqlstate::kCharacterNotInRepertoire,
                      error.to_string().c_str());
        KB_ASSERT(error.context.starts_with("COPY t, line "));
        return 0;
    }
    // Written back without a header and decoded again: the same fields.
    CopyOptions plain = options;
    plain.header = CopyHeader::none;
    const CopyEncoder encoder(plain);
    std::string written;
    for (const CopyRecord& record : *records) {
        KB_ASSERT(record.fields.size() == columns.size());
        for (usize i = 0; i < record.fields.size(); ++i) {
            std::optional<std::string_view> value;
            if (record.fields[i]) value = *record.fields[i];
            encoder.field(value, i, record.fields.size(), written);
        }
        written.push_back('\n');
    }
    auto again = decode(plain, columns, written, 0);
    KB_ASSERT_MSG(again.has_value(), again.has_value() ? "" : again.error().to_string().c_str());
    KB_ASSERT(again->size() == records->size());
    for (usize r = 0; r < records->size(); ++r) {
        KB_ASSERT((*again)[r].fields == (*records)[r].fields);
    }
    return 0;
}
