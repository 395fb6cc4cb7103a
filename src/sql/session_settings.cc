// Session settings (see session_settings.h). The parameter table below holds PostgreSQL 15's
// names, defaults and descriptions (SHOW ALL) for the parameters Kimberlite knows; each
// writable one has a function that checks a value and returns it as SHOW prints it.
#include "sql/session_settings.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "kernel/access_reads.h"

namespace kb::sql {
namespace {

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

SqlError invalid_value(std::string_view name, std::string_view value) {
    return SqlError(sqlstate::kInvalidParameterValue, "invalid value for parameter \"" +
                                                          std::string(name) + "\": \"" +
                                                          std::string(value) + "\"");
}

// A value PostgreSQL accepts but Kimberlite does not behave by: refused, never accepted with
// another meaning.
SqlError unsupported_value(std::string_view name, std::string_view value, std::string hint) {
    return SqlError(sqlstate::kFeatureNotSupported,
                    std::string(name) + " \"" + std::string(value) + "\" is not supported")
        .with_hint(std::move(hint));
}

// A parameter's value check: the value (a list flattened to one string, as PostgreSQL
// flattens it) in, the value as SHOW prints it out.
using Check = SqlResult<std::string> (*)(std::string_view name, std::string_view value);

struct Parameter {
    std::string_view key;   // lowercase
    std::string_view name;  // as PostgreSQL spells it (SHOW's column, SHOW ALL, errors)
    std::string_view default_value;
    Check check = nullptr;  // nullptr: read-only (55P02 to SET)
    bool list = false;      // SET takes a list (DateStyle, search_path)
    std::string_view description;
};

// PostgreSQL's parse_bool: a prefix of true / false / yes / no, on / off, 1 / 0.
std::optional<bool> parse_bool(std::string_view value) {
    const std::string lower = lowercase(trim(value));
    if (lower.empty()) return std::nullopt;
    auto prefix_of = [&](std::string_view word, usize minimum) {
        return lower.size() >= minimum && lower.size() <= word.size() &&
               word.substr(0, lower.size()) == lower;
    };
    if (prefix_of("true", 1) || prefix_of("yes", 1) || lower == "on" || lower == "1") return true;
    if (prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || lower == "0") {
        return false;
    }
    return std::nullopt;
}

SqlResult<std::string> check_text(std::string_view, std::string_view value) {
    return std::string(value);
}

// As PostgreSQL: printable ASCII only (others become '?'), at most 63 bytes.
SqlResult<std::string> check_application_name(std::string_view, std::string_view value) {
    std::string out;
    for (char c : value.substr(0, 63)) out.push_back(c < 32 || c > 126 ? '?' : c);
    return out;
}

SqlResult<std::string> check_bool(std::string_view name, std::string_view value) {
    const auto parsed = parse_bool(value);
    if (!parsed) {
        return SqlError(sqlstate::kInvalidParameterValue,
                        "parameter \"" + std::string(name) + "\" requires a Boolean value");
    }
    return std::string(*parsed ? "on" : "off");
}

SqlResult<std::string> check_on_only(std::string_view name, std::string_view value) {
    std::string shown = KB_SQL_TRY(check_bool(name, value));
    if (shown != "on") {
        return unsupported_value(name, value, "Kimberlite always behaves as if it is on.");
    }
    return shown;
}

SqlResult<std::string> check_off_only(std::string_view name, std::string_view value) {
    std::string shown = KB_SQL_TRY(check_bool(name, value));
    if (shown != "off") {
        return unsupported_value(name, value,
                                 "Read-only transactions by default are not supported yet.");
    }
    return shown;
}

// One of `choices` (compared in lowercase), or 22023 listing them as PostgreSQL's hint does.
SqlResult<std::string> one_of(std::string_view name, std::string_view value,
                              std::span<const std::string_view> choices) {
    const std::string lower = lowercase(trim(value));
    for (std::string_view choice : choices) {
        if (lower == choice) return lower;
    }
    std::string hint = "Available values: ";
    for (usize i = 0; i < choices.size(); ++i) {
        hint += std::string(i > 0 ? ", " : "") + std::string(choices[i]);
    }
    return invalid_value(name, value).with_hint(hint + ".");
}

SqlResult<std::string> check_client_encoding(std::string_view name, std::string_view value) {
    // PostgreSQL ignores case, '-' and '_' in encoding names.
    std::string squeezed;
    for (char c : value) {
        if (c != '-' && c != '_') squeezed.push_back(static_cast<char>(std::tolower(c)));
    }
    if (squeezed == "utf8" || squeezed == "unicode") return std::string("UTF8");
    // What libpq asks for in a C locale: no conversion, so UTF-8 text passes as it is.
    if (squeezed == "sqlascii") return std::string("SQL_ASCII");
    return unsupported_value(name, value, "Kimberlite exchanges text in UTF8 only.");
}

// "ISO, MDY" (the only style and order Kimberlite reads and prints dates in): PostgreSQL's
// keywords, in any case and order; DEFAULT is ISO, MDY.
SqlResult<std::string> check_datestyle(std::string_view name, std::string_view value) {
    std::string_view rest = value;
    bool any = false;
    while (true) {
        const usize comma = rest.find(',');
        const std::string word = lowercase(trim(rest.substr(0, comma)));
        if (word.empty()) return invalid_value(name, value);
        any = true;
        if (word == "iso" || word == "mdy" || word == "us" || word == "noneuro" ||
            word == "noneuropean" || word == "default") {
            // Kimberlite's style and order.
        } else if (word == "sql" || word == "postgres" || word == "german" || word == "dmy" ||
                   word == "ymd" || word == "euro" || word == "european") {
            return unsupported_value(name, value,
                                     "Kimberlite reads and prints dates as ISO, MDY only.");
        } else {
            return invalid_value(name, value)
                .with_detail("Unrecognized key word: \"" +
                             std::string(trim(rest.substr(0, comma))) + "\".");
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    if (!any) return invalid_value(name, value);
    return std::string("ISO, MDY");
}

SqlResult<std::string> check_intervalstyle(std::string_view name, std::string_view value) {
    static constexpr std::array<std::string_view, 4> kStyles = {"postgres", "postgres_verbose",
                                                                "sql_standard", "iso_8601"};
    std::string style = KB_SQL_TRY(one_of(name, value, kStyles));
    if (style != "postgres") {
        return unsupported_value(name, value, "Kimberlite prints intervals in the postgres style.");
    }
    return style;
}

// UTC under the names the time zone database gives it; any other zone is not supported yet
// (timestamptz values are read and printed in UTC).
SqlResult<std::string> check_timezone(std::string_view name, std::string_view value) {
    static constexpr std::array<std::string_view, 18> kUtcNames = {
        "UTC",  "GMT",      "Etc/UTC",   "Etc/GMT",       "UCT",       "Etc/UCT",
        "Zulu", "Etc/Zulu", "Universal", "Etc/Universal", "Greenwich", "Etc/Greenwich",
        "GMT0", "Etc/GMT0", "GMT+0",     "GMT-0",         "Etc/GMT+0", "Etc/GMT-0"};
    const std::string lower = lowercase(trim(value));
    for (std::string_view zone : kUtcNames) {
        if (lowercase(zone) == lower) return std::string(zone);
    }
    if (lower.empty()) return invalid_value(name, value);
    return SqlError(sqlstate::kFeatureNotSupported,
                    "time zone \"" + std::string(value) + "\" is not supported")
        .with_hint("Kimberlite sessions run in UTC for now: SET TimeZone = 'UTC'.");
}

// An integer as PostgreSQL's parse_int reads one (no units).
std::optional<i64> parse_integer(std::string_view value) {
    value = trim(value);
    if (!value.empty() && value.front() == '+') value.remove_prefix(1);
    i64 parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return parsed;
}

SqlResult<std::string> check_extra_float_digits(std::string_view name, std::string_view value) {
    const auto digits = parse_integer(value);
    if (!digits) return invalid_value(name, value);
    if (*digits < -15 || *digits > 3) {
        return SqlError(sqlstate::kInvalidParameterValue,
                        std::to_string(*digits) + " is outside the valid range for parameter \"" +
                            std::string(name) + "\" (-15 .. 3)");
    }
    if (*digits <= 0) {
        return unsupported_value(name, value,
                                 "Kimberlite prints floats shortest-exact, as values from 1 to 3 "
                                 "ask.");
    }
    return std::to_string(*digits);
}

// A duration in milliseconds (PostgreSQL's GUC_UNIT_MS): a number, optionally fractional,
// with an optional unit us, ms, s, min, h or d (ms when none); rounded to whole milliseconds;
// 0 .. INT_MAX. Printed in the largest unit that divides it.
SqlResult<std::string> check_milliseconds(std::string_view name, std::string_view value) {
    const std::string_view text = trim(value);
    usize number_end = 0;
    while (number_end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[number_end])) || text[number_end] == '.' ||
            text[number_end] == '-' || text[number_end] == '+' ||
            ((text[number_end] == 'e' || text[number_end] == 'E') && number_end > 0))) {
        ++number_end;
    }
    const std::string number(text.substr(0, number_end));
    char* parsed_end = nullptr;
    const double amount = number.empty() ? 0 : std::strtod(number.c_str(), &parsed_end);
    if (number.empty() || parsed_end != number.c_str() + number.size() || !std::isfinite(amount)) {
        return invalid_value(name, value);
    }
    const std::string_view unit = trim(text.substr(number_end));
    double scale = 1;
    if (unit == "us") {
        scale = 0.001;
    } else if (unit.empty() || unit == "ms") {
        scale = 1;
    } else if (unit == "s") {
        scale = 1000;
    } else if (unit == "min") {
        scale = 60'000;
    } else if (unit == "h") {
        scale = 3'600'000;
    } else if (unit == "d") {
        scale = 86'400'000;
    } else {
        return invalid_value(name, value)
            .with_hint(
                "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", "
                "and \"d\".");
    }
    const double milliseconds = std::rint(amount * scale);
    if (milliseconds < 0 || milliseconds > INT_MAX) {
        const i64 shown = milliseconds < 0 ? static_cast<i64>(std::max(milliseconds, -1e18))
                                           : static_cast<i64>(std::min(milliseconds, 1e18));
        return SqlError(sqlstate::kInvalidParameterValue,
                        std::to_string(shown) + " ms is outside the valid range for parameter \"" +
                            std::string(name) + "\" (0 .. 2147483647)");
    }
    const auto ms = static_cast<i64>(milliseconds);
    if (ms == 0) return std::string("0");
    static constexpr std::array<std::pair<i64, std::string_view>, 4> kUnits = {
        {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "min"}, {1000, "s"}}};
    for (const auto& [size, suffix] : kUnits) {
        if (ms % size == 0) return std::to_string(ms / size) + std::string(suffix);
    }
    return std::to_string(ms) + "ms";
}

// Identifiers separated by commas, each unquoted (lowercased) or "quoted" (PostgreSQL's
// SplitIdentifierString); nullopt when malformed.
std::optional<std::vector<std::string>> split_identifiers(std::string_view text) {
    std::vector<std::string> out;
    std::string_view rest = trim(text);
    if (rest.empty()) return out;
    while (true) {
        std::string name;
        if (!rest.empty() && rest.front() == '"') {
            usize i = 1;
            for (;; ++i) {
                if (i >= rest.size()) return std::nullopt;  // unterminated
                if (rest[i] == '"') {
                    if (i + 1 < rest.size() && rest[i + 1] == '"') {
                        name.push_back('"');
                        ++i;
                        continue;
                    }
                    break;
                }
                name.push_back(rest[i]);
            }
            rest = trim(rest.substr(i + 1));
        } else {
            usize i = 0;
            while (i < rest.size() && rest[i] != ',' &&
                   !std::isspace(static_cast<unsigned char>(rest[i]))) {
                ++i;
            }
            if (i == 0) return std::nullopt;
            name = lowercase(rest.substr(0, i));
            rest = trim(rest.substr(i));
        }
        out.push_back(std::move(name));
        if (rest.empty()) break;
        if (rest.front() != ',') return std::nullopt;
        rest = trim(rest.substr(1));
    }
    return out;
}

// A search path element as PostgreSQL prints it: quoted unless a plain lowercase identifier.
std::string path_element(std::string_view name) {
    bool plain =
        !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name) {
        plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '$');
    }
    if (plain) return std::string(name);
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    return out + "\"";
}

// Names resolve in pg_catalog, then public, whatever the path says; so a path may name those
// two (and "$user", which names no schema here) and nothing else.
SqlResult<std::string> check_search_path(std::string_view name, std::string_view value) {
    const auto elements = split_identifiers(value);
    if (!elements) {
        return invalid_value(name, value).with_detail("List syntax is invalid.");
    }
    std::string shown;
    for (const std::string& element : *elements) {
        if (!element.empty() && element != "$user" && element != "public" &&
            element != "pg_catalog") {
            return SqlError(sqlstate::kFeatureNotSupported,
                            "schema \"" + element + "\" in search_path is not supported")
                .with_hint(
                    "Kimberlite has one schema, public, beside the system catalog (pg_catalog).");
        }
        shown += std::string(shown.empty() ? "" : ", ") + path_element(element);
    }
    return shown;
}

SqlResult<std::string> check_client_min_messages(std::string_view name, std::string_view value) {
    static constexpr std::array<std::string_view, 9> kLevels = {
        "debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"};
    return one_of(name, value, kLevels);
}

SqlResult<std::string> check_bytea_output(std::string_view name, std::string_view value) {
    static constexpr std::array<std::string_view, 2> kFormats = {"escape", "hex"};
    std::string format = KB_SQL_TRY(one_of(name, value, kFormats));
    if (format != "hex") {
        return unsupported_value(name, value, "Kimberlite prints bytea in hex.");
    }
    return format;
}

constexpr std::array<std::string_view, 4> kIsolationLevels = {"serializable", "repeatable read",
                                                              "read committed", "read uncommitted"};

// Remembered as asked: every transaction is serializable, at least as strong as any level.
SqlResult<std::string> check_isolation(std::string_view name, std::string_view value) {
    return one_of(name, value, kIsolationLevels);
}

// SET transaction_isolation is SET TRANSACTION ISOLATION LEVEL: accepted, and the transaction
// is serializable all the same.
SqlResult<std::string> check_transaction_isolation(std::string_view name, std::string_view value) {
    KB_SQL_TRY(one_of(name, value, kIsolationLevels));
    return std::string("serializable");
}

SqlResult<std::string> check_xmloption(std::string_view name, std::string_view value) {
    static constexpr std::array<std::string_view, 2> kOptions = {"content", "document"};
    return one_of(name, value, kOptions);
}

SqlResult<std::string> check_default_tablespace(std::string_view name, std::string_view value) {
    if (value.empty() || value == "pg_default") return std::string(value);
    return unsupported_value(name, value, "Kimberlite has no tablespaces.");
}

SqlResult<std::string> check_table_access_method(std::string_view name, std::string_view value) {
    if (lowercase(value) == "heap") return std::string("heap");
    return unsupported_value(name, value, "Kimberlite has one table access method, heap.");
}

// The known parameters, by key. Descriptions are PostgreSQL's (SHOW ALL).
constexpr std::array<Parameter, 37> kParameters = {{
    {"application_name", "application_name", "", check_application_name, false,
     "Sets the application name to be reported in statistics and logs."},
    {"block_size", "block_size", "8192", nullptr, false, "Shows the size of a disk block."},
    {"bytea_output", "bytea_output", "hex", check_bytea_output, false,
     "Sets the output format for bytea."},
    {"check_function_bodies", "check_function_bodies", "on", check_bool, false,
     "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."},
    {"client_encoding", "client_encoding", "UTF8", check_client_encoding, false,
     "Sets the client's character set encoding."},
    {"client_min_messages", "client_min_messages", "notice", check_client_min_messages, false,
     "Sets the message levels that are sent to the client."},
    {"datestyle", "DateStyle", "ISO, MDY", check_datestyle, true,
     "Sets the display format for date and time values."},
    {"default_table_access_method", "default_table_access_method", "heap",
     check_table_access_method, false, "Sets the default table access method for new tables."},
    {"default_tablespace", "default_tablespace", "", check_default_tablespace, false,
     "Sets the default tablespace to create tables and indexes in."},
    {"default_transaction_deferrable", "default_transaction_deferrable", "off", check_bool, false,
     "Sets the default deferrable status of new transactions."},
    {"default_transaction_isolation", "default_transaction_isolation", "serializable",
     check_isolation, false, "Sets the transaction isolation level of each new transaction."},
    {"default_transaction_read_only", "default_transaction_read_only", "off", check_off_only, false,
     "Sets the default read-only status of new transactions."},
    {"extra_float_digits", "extra_float_digits", "1", check_extra_float_digits, false,
     "Sets the number of digits displayed for floating-point values."},
    {"idle_in_transaction_session_timeout", "idle_in_transaction_session_timeout", "0",
     check_milliseconds, false,
     "Sets the maximum allowed idle time between queries, when in a transaction."},
    {"idle_session_timeout", "idle_session_timeout", "0", check_milliseconds, false,
     "Sets the maximum allowed idle time between queries, when not in a transaction."},
    {"in_hot_standby", "in_hot_standby", "off", nullptr, false,
     "Shows whether hot standby is currently active."},
    {"integer_datetimes", "integer_datetimes", "on", nullptr, false,
     "Shows whether datetimes are integer based."},
    {"intervalstyle", "IntervalStyle", "postgres", check_intervalstyle, false,
     "Sets the display format for interval values."},
    {"kimberlite.as_of_position", "kimberlite.as_of_position", "", check_text, false,
     "Reads see the database as of this log position (time travel)."},
    {"kimberlite.as_of_timestamp", "kimberlite.as_of_timestamp", "", check_text, false,
     "Reads see the database as of this time (time travel)."},
    {"lc_collate", "lc_collate", "C", nullptr, false, "Shows the collation order locale."},
    {"lc_ctype", "lc_ctype", "C", nullptr, false,
     "Shows the character classification and case conversion locale."},
    {"lock_timeout", "lock_timeout", "0", check_milliseconds, false,
     "Sets the maximum allowed duration of any wait for a lock."},
    {"max_identifier_length", "max_identifier_length", "63", nullptr, false,
     "Shows the maximum identifier length."},
    {"max_index_keys", "max_index_keys", "32", nullptr, false,
     "Shows the maximum number of index keys."},
    {"row_security", "row_security", "on", check_bool, false, "Enable row security."},
    {"search_path", "search_path", "\"$user\", public", check_search_path, true,
     "Sets the schema search order for names that are not schema-qualified."},
    {"server_encoding", "server_encoding", "UTF8", nullptr, false,
     "Shows the server (database) character set encoding."},
    {"server_version", "server_version", "15.8", nullptr, false, "Shows the server version."},
    {"server_version_num", "server_version_num", "150008", nullptr, false,
     "Shows the server version as an integer."},
    {"standard_conforming_strings", "standard_conforming_strings", "on", check_on_only, false,
     "Causes '...' strings to treat backslashes literally."},
    {"statement_timeout", "statement_timeout", "0", check_milliseconds, false,
     "Sets the maximum allowed duration of any statement."},
    {"timezone", "TimeZone", "UTC", check_timezone, false,
     "Sets the time zone for displaying and interpreting time stamps."},
    {"transaction_deferrable", "transaction_deferrable", "off", check_bool, false,
     "Whether to defer a read-only serializable transaction until it can be executed with no "
     "possible serialization failures."},
    {"transaction_isolation", "transaction_isolation", "serializable", check_transaction_isolation,
     false, "Sets the current transaction's isolation level."},
    {"transaction_read_only", "transaction_read_only", "off", check_off_only, false,
     "Sets the current transaction's read-only status."},
    {"xmloption", "xmloption", "content", check_xmloption, false,
     "Sets whether XML data in implicit parsing and serialization operations is to be "
     "considered as documents or content fragments."},
}};

// Parameters that describe the session, read from it (read_setting) rather than set.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kSessionParameters = {{
    {"is_superuser", "Shows whether the current user is a superuser."},
    {"session_authorization", "Sets the session user name."},
}};

const Parameter* find_parameter(std::string_view key) {
    for (const Parameter& parameter : kParameters) {
        if (parameter.key == key) return &parameter;
    }
    return nullptr;
}

bool is_session_parameter(std::string_view key) {
    return std::any_of(kSessionParameters.begin(), kSessionParameters.end(),
                       [&](const auto& entry) { return entry.first == key; });
}

SqlError unrecognized(std::string_view name) {
    return SqlError(sqlstate::kUndefinedObject,
                    "unrecognized configuration parameter \"" + std::string(name) + "\"");
}

SqlError cannot_change(std::string_view name) {
    return SqlError("55P02", "parameter \"" + std::string(name) + "\" cannot be changed");
}

// A custom parameter: a name with a dot. Names under "kimberlite." are reserved: only the
// known ones (PostgreSQL's MarkGUCPrefixReserved).
SqlStatus check_custom_name(std::string_view key, std::string_view written) {
    if (key.starts_with("kimberlite.")) {
        return SqlError(sqlstate::kInvalidParameterValue,
                        "invalid configuration parameter name \"" + std::string(written) + "\"")
            .with_detail("\"kimberlite\" is a reserved prefix.");
    }
    if (key.front() == '.' || key.back() == '.') {
        return SqlError(sqlstate::kInvalidParameterValue,
                        "invalid configuration parameter name \"" + std::string(written) + "\"");
    }
    return sql_ok();
}

// The parameter a SET or set_config() names, or the error that name is: nullptr for a
// custom parameter.
SqlResult<const Parameter*> writable(std::string_view key, std::string_view written) {
    if (const Parameter* parameter = find_parameter(key)) {
        if (parameter->check == nullptr) return cannot_change(parameter->name);
        return parameter;
    }
    if (is_session_parameter(key)) return cannot_change(key);
    if (key.find('.') == std::string_view::npos) return unrecognized(written);
    KB_SQL_TRY(check_custom_name(key, written));
    return static_cast<const Parameter*>(nullptr);
}

// PostgreSQL's flattening of SET's values into one string: a list joined by ", " (search_path's
// elements quoted as identifiers), one value otherwise.
SqlResult<std::string> flatten(const Parameter* parameter, std::string_view name,
                               std::span<const ast::SetValue> values) {
    if (values.size() > 1 && (parameter == nullptr || !parameter->list)) {
        return SqlError(sqlstate::kInvalidParameterValue,
                        "SET " + std::string(name) + " takes only one argument");
    }
    std::string text;
    for (const ast::SetValue& value : values) {
        if (!text.empty()) text += ", ";
        const bool quote = parameter != nullptr && parameter->key == "search_path" &&
                           value.kind == ast::SetValue::Kind::string;
        text += quote ? path_element(value.text) : value.text;
    }
    return text;
}

}  // namespace

SessionInfo session_identity(db::TransactionHost& host, TenantId tenant, PrincipalId principal,
                             const SessionOptions& options) {
    SessionInfo info;
    info.database_name = options.database_name;
    info.user_name = options.user_name;
    info.backend_pid = options.backend_pid;
    info.superuser = kernel::is_builtin_principal(principal);
    const db::TransactionHost::Start start = host.start(tenant);
    if (info.database_name.empty() && start.catalog != nullptr) {
        info.database_name = start.catalog->info().name;
    }
    if (!info.superuser) {
        // A read error leaves the name as given and the role no superuser: the statements
        // themselves will meet the error.
        if (auto role = kernel::reads::role(start.snapshot, principal); role && *role) {
            if (info.user_name.empty()) info.user_name = (*role)->name;
            info.superuser = (*role)->superuser;
        }
    } else if (info.user_name.empty()) {
        info.user_name = principal == kernel::kSystemPrincipal ? "system" : "admin";
    }
    return info;
}

const SettingMap& default_settings() {
    static const SettingMap defaults = [] {
        SettingMap out;
        for (const Parameter& parameter : kParameters) {
            out.emplace(parameter.key, parameter.default_value);
        }
        return out;
    }();
    return defaults;
}

std::optional<std::string> read_setting(const SettingMap& settings, const SessionInfo& session,
                                        std::string_view name) {
    const std::string key = lowercase(name);
    if (key == "session_authorization") return session.user_name;
    if (key == "is_superuser") return std::string(session.superuser ? "on" : "off");
    const auto found = settings.find(key);
    if (found == settings.end()) return std::nullopt;
    return found->second;
}

SqlStatus assign_setting(SettingMap& settings, std::string_view name,
                         std::span<const ast::SetValue> values) {
    const std::string key = lowercase(name);
    const Parameter* parameter = KB_SQL_TRY(writable(key, name));
    const std::string text = KB_SQL_TRY(flatten(parameter, name, values));
    settings[key] =
        parameter == nullptr ? text : KB_SQL_TRY(parameter->check(parameter->name, text));
    return sql_ok();
}

SqlResult<std::string> assign_setting_text(SettingMap& settings, std::string_view name,
                                           std::string_view value) {
    const std::string key = lowercase(name);
    const Parameter* parameter = KB_SQL_TRY(writable(key, name));
    std::string shown = parameter == nullptr ? std::string(value)
                                             : KB_SQL_TRY(parameter->check(parameter->name, value));
    settings[key] = shown;
    return shown;
}

SqlStatus reset_setting(SettingMap& settings, std::string_view name, const SettingMap& defaults) {
    const std::string key = lowercase(name);
    const Parameter* parameter = KB_SQL_TRY(writable(key, name));
    if (parameter != nullptr) {
        const auto configured = defaults.find(key);
        settings[key] = configured != defaults.end() ? configured->second
                                                     : std::string(parameter->default_value);
    } else if (auto found = settings.find(key); found != settings.end()) {
        found->second.clear();  // a custom parameter, once known, stays known (empty)
    }
    return sql_ok();
}

std::vector<ResultColumn> show_columns(std::string_view name) {
    const std::string key = lowercase(name);
    if (key == "all") {
        return {{"name", Type::of(SqlType::text)},
                {"setting", Type::of(SqlType::text)},
                {"description", Type::of(SqlType::text)}};
    }
    const Parameter* parameter = find_parameter(key);
    return {{parameter != nullptr ? std::string(parameter->name) : key, Type::of(SqlType::text)}};
}

SqlResult<StatementResult> execute_setting_statement(SettingMap& settings,
                                                     const SessionInfo& session,
                                                     const ast::Statement& statement,
                                                     const SettingMap& defaults) {
    StatementResult result;
    if (const auto* show = statement.as<ast::ShowStatement>()) {
        result.tag = "SHOW";
        result.returns_rows = true;
        result.columns = show_columns(show->name);
        if (lowercase(show->name) == "all") {
            // name -> (as PostgreSQL spells it, description), sorted by name case aside (keys
            // are lowercase), as PostgreSQL orders SHOW ALL.
            std::map<std::string, std::pair<std::string_view, std::string_view>> rows;
            for (const auto& [key, value] : settings) {
                const Parameter* parameter = find_parameter(key);
                rows[key] = parameter != nullptr
                                ? std::pair(parameter->name, parameter->description)
                                : std::pair(std::string_view(key), std::string_view());
            }
            for (const auto& [key, description] : kSessionParameters) {
                rows[std::string(key)] = {key, description};
            }
            for (const auto& [key, named] : rows) {
                result.rows.push_back({Value::text(std::string(named.first)),
                                       Value::text(*read_setting(settings, session, key)),
                                       Value::text(std::string(named.second))});
            }
            return result;
        }
        auto value = read_setting(settings, session, show->name);
        if (!value) return unrecognized(show->name);
        result.rows.push_back({Value::text(std::move(*value))});
        return result;
    }
    if (const auto* reset = statement.as<ast::ResetStatement>()) {
        result.tag = "RESET";
        if (reset->all) {
            // Custom parameters stay known, empty, as in PostgreSQL.
            SettingMap fresh = defaults;
            for (const auto& [key, value] : settings) fresh.try_emplace(key, "");
            settings = std::move(fresh);
        } else {
            KB_SQL_TRY(reset_setting(settings, reset->name, defaults));
        }
        return result;
    }
    const auto& set = *statement.as<ast::SetStatement>();
    result.tag = "SET";
    if (set.to_default) {
        KB_SQL_TRY(reset_setting(settings, set.name, defaults));
    } else {
        KB_SQL_TRY(assign_setting(settings, set.name, set.values));
    }
    return result;
}

std::optional<i64> setting_milliseconds(std::string_view shown) {
    static constexpr std::array<std::pair<std::string_view, i64>, 5> kUnits = {
        {{"ms", 1}, {"min", 60'000}, {"s", 1000}, {"h", 3'600'000}, {"d", 86'400'000}}};
    for (const auto& [suffix, size] : kUnits) {
        if (!shown.ends_with(suffix)) continue;
        const auto amount = parse_integer(shown.substr(0, shown.size() - suffix.size()));
        if (!amount) continue;
        return *amount * size;
    }
    return parse_integer(shown);
}

}  // namespace kb::sql
