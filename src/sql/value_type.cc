// Type names, categories, cast contexts and common-type resolution (see value_type.h).
#include "sql/value_type.h"

#include <array>

namespace kb::sql {
namespace {

// The type's name in PostgreSQL's format_type_be form.
// format_type_be's names are the kernel's (kernel/schema.h).
std::string_view base_name(SqlType id) { return kernel::sql_type_name(id); }

constexpr usize kTypeCount = static_cast<usize>(kernel::kSqlTypeMax) + 1;

// pg_cast between our types (castcontext: 'i' implicit, 'a' assignment, 'e' explicit; a
// cast from a type to itself is a length-coercion function, handled as CastPath::same).
// From PostgreSQL 15:
//   SELECT castsource::regtype, casttarget::regtype, castcontext FROM pg_cast
//   WHERE castsource IN (<our types>) AND casttarget IN (<our types>);
struct CastEntry {
    SqlType from;
    SqlType to;
    char context;
};
constexpr CastEntry kCasts[] = {
    {SqlType::boolean, SqlType::integer, 'e'},
    {SqlType::boolean, SqlType::text, 'a'},
    {SqlType::boolean, SqlType::character, 'a'},
    {SqlType::boolean, SqlType::varchar, 'a'},
    {SqlType::bigint, SqlType::smallint, 'a'},
    {SqlType::bigint, SqlType::integer, 'a'},
    {SqlType::bigint, SqlType::real, 'i'},
    {SqlType::bigint, SqlType::double_precision, 'i'},
    {SqlType::bigint, SqlType::numeric, 'i'},
    {SqlType::smallint, SqlType::bigint, 'i'},
    {SqlType::smallint, SqlType::integer, 'i'},
    {SqlType::smallint, SqlType::real, 'i'},
    {SqlType::smallint, SqlType::double_precision, 'i'},
    {SqlType::smallint, SqlType::numeric, 'i'},
    {SqlType::integer, SqlType::boolean, 'e'},
    {SqlType::integer, SqlType::bigint, 'i'},
    {SqlType::integer, SqlType::smallint, 'a'},
    {SqlType::integer, SqlType::real, 'i'},
    {SqlType::integer, SqlType::double_precision, 'i'},
    {SqlType::integer, SqlType::numeric, 'i'},
    {SqlType::text, SqlType::character, 'i'},
    {SqlType::text, SqlType::varchar, 'i'},
    {SqlType::real, SqlType::bigint, 'a'},
    {SqlType::real, SqlType::smallint, 'a'},
    {SqlType::real, SqlType::integer, 'a'},
    {SqlType::real, SqlType::double_precision, 'i'},
    {SqlType::real, SqlType::numeric, 'a'},
    {SqlType::double_precision, SqlType::bigint, 'a'},
    {SqlType::double_precision, SqlType::smallint, 'a'},
    {SqlType::double_precision, SqlType::integer, 'a'},
    {SqlType::double_precision, SqlType::real, 'a'},
    {SqlType::double_precision, SqlType::numeric, 'a'},
    {SqlType::character, SqlType::text, 'i'},
    {SqlType::character, SqlType::varchar, 'i'},
    {SqlType::varchar, SqlType::text, 'i'},
    {SqlType::varchar, SqlType::character, 'i'},
    {SqlType::date, SqlType::timestamp, 'i'},
    {SqlType::date, SqlType::timestamptz, 'i'},
    {SqlType::timestamp, SqlType::date, 'a'},
    {SqlType::timestamp, SqlType::timestamptz, 'i'},
    {SqlType::timestamptz, SqlType::date, 'a'},
    {SqlType::timestamptz, SqlType::timestamp, 'a'},
    {SqlType::numeric, SqlType::bigint, 'a'},
    {SqlType::numeric, SqlType::smallint, 'a'},
    {SqlType::numeric, SqlType::integer, 'a'},
    {SqlType::numeric, SqlType::real, 'i'},
    {SqlType::numeric, SqlType::double_precision, 'i'},
    {SqlType::jsonb, SqlType::boolean, 'e'},
    {SqlType::jsonb, SqlType::bigint, 'e'},
    {SqlType::jsonb, SqlType::smallint, 'e'},
    {SqlType::jsonb, SqlType::integer, 'e'},
    {SqlType::jsonb, SqlType::real, 'e'},
    {SqlType::jsonb, SqlType::double_precision, 'e'},
    {SqlType::jsonb, SqlType::numeric, 'e'},
};

// The table above as a matrix: 0 when there is no entry.
struct CastMatrix {
    std::array<std::array<char, kTypeCount>, kTypeCount> context{};
    constexpr CastMatrix() {
        for (const CastEntry& entry : kCasts) {
            context[static_cast<usize>(entry.from)][static_cast<usize>(entry.to)] = entry.context;
        }
    }
};
constexpr CastMatrix kCastMatrix;

bool context_allows(char cast_context, CoercionContext context) {
    switch (cast_context) {
        case 'i':
            return true;
        case 'a':
            return context != CoercionContext::implicit;
        case 'e':
            return context == CoercionContext::explicit_cast;
        default:
            return false;
    }
}

}  // namespace

std::string type_name(SqlType id) { return std::string(base_name(id)); }

std::string type_name(const Type& type) {
    if (type.unknown) return "unknown";
    return type_name(type.id());
}

std::string type_name_with_modifier(const Type& type) {
    if (type.unknown) return "unknown";
    const ColumnType& column = type.column;
    switch (column.type) {
        case SqlType::varchar:
            if (column.length == 0) return "character varying";
            return "character varying(" + std::to_string(column.length) + ")";
        case SqlType::character:
            if (column.length == 0) return "bpchar";
            return "character(" + std::to_string(column.length) + ")";
        case SqlType::numeric:
            if (column.precision == 0) return "numeric";
            return "numeric(" + std::to_string(column.precision) + "," +
                   std::to_string(column.scale) + ")";
        default:
            return type_name(column.type);
    }
}

// From PostgreSQL 15: SELECT typname, typcategory, typispreferred FROM pg_type
// WHERE typname IN (<our types>, 'unknown');
char type_category(SqlType id) {
    switch (id) {
        case SqlType::boolean:
            return 'B';
        case SqlType::smallint:
        case SqlType::integer:
        case SqlType::bigint:
        case SqlType::real:
        case SqlType::double_precision:
        case SqlType::numeric:
            return 'N';
        case SqlType::text:
        case SqlType::varchar:
        case SqlType::character:
            return 'S';
        case SqlType::date:
        case SqlType::timestamp:
        case SqlType::timestamptz:
            return 'D';
        case SqlType::interval:
            return 'T';
        case SqlType::bytea:
        case SqlType::uuid:
        case SqlType::jsonb:
            return 'U';
    }
    KB_UNREACHABLE();
}

char type_category(const Type& type) { return type.unknown ? 'X' : type_category(type.id()); }

bool type_is_preferred(SqlType id) {
    return id == SqlType::boolean || id == SqlType::double_precision || id == SqlType::text ||
           id == SqlType::timestamptz || id == SqlType::interval;
}

CastPath cast_path(SqlType from, SqlType to, CoercionContext context) {
    if (from == to) return CastPath::same;
    const char entry = kCastMatrix.context[static_cast<usize>(from)][static_cast<usize>(to)];
    if (entry != 0) return context_allows(entry, context) ? CastPath::convert : CastPath::none;
    // No pg_cast entry: PostgreSQL allows I/O conversion to string types in assignment and
    // explicit contexts, and from string types in explicit ones.
    if (context != CoercionContext::implicit && type_category(to) == 'S') return CastPath::via_io;
    if (context == CoercionContext::explicit_cast && type_category(from) == 'S') {
        return CastPath::via_io;
    }
    return CastPath::none;
}

bool can_coerce(const Type& from, SqlType to, CoercionContext context) {
    if (from.unknown) return true;
    return cast_path(from.id(), to, context) != CastPath::none;
}

SqlResult<Type> common_type(std::span<const Type> types, std::string_view context,
                            usize* failing_index, std::string_view coercion_context) {
    if (coercion_context.empty()) coercion_context = context;
    KB_ASSERT(!types.empty());
    // All the same known type: that type (and its modifier, if all share one).
    bool all_same = !types[0].unknown;
    for (const Type& type : types) {
        if (!type.same_base(types[0])) all_same = false;
    }
    Type chosen = types[0].without_modifier();
    if (!all_same) {
        // select_common_type: walk the inputs, keeping the first known type and moving to a
        // later one of the same category only when the current one is not preferred and
        // coerces to the new one implicitly but not back.
        bool have_known = !types[0].unknown;
        for (usize i = 1; i < types.size(); ++i) {
            const Type& next = types[i];
            if (next.unknown || (have_known && next.id() == chosen.id())) continue;
            if (!have_known) {
                chosen = next.without_modifier();
                have_known = true;
                continue;
            }
            if (type_category(next.id()) != type_category(chosen.id())) {
                if (failing_index != nullptr) *failing_index = i;
                return SqlError(sqlstate::kDatatypeMismatch,
                                std::string(context) + " types " + type_name(chosen) + " and " +
                                    type_name(next) + " cannot be matched");
            }
            if (!type_is_preferred(chosen.id()) &&
                can_coerce(chosen, next.id(), CoercionContext::implicit) &&
                !can_coerce(next, chosen.id(), CoercionContext::implicit)) {
                chosen = next.without_modifier();
            }
        }
        if (!have_known) return Type::of(SqlType::text);
        // coerce_to_common_type: every input must reach the chosen type implicitly.
        for (usize i = 0; i < types.size(); ++i) {
            if (!can_coerce(types[i], chosen.id(), CoercionContext::implicit)) {
                if (failing_index != nullptr) *failing_index = i;
                return SqlError(sqlstate::kCannotCoerce,
                                std::string(coercion_context) + " could not convert type " +
                                    type_name(types[i]) + " to " + type_name(chosen));
            }
        }
    }
    // select_common_typmod: keep a modifier only when every input has the chosen type and
    // the same modifier.
    for (const Type& type : types) {
        if (!type.same_base(chosen) || type.column != types[0].column) return chosen;
    }
    return types[0];
}

}  // namespace kb::sql
