// COPY options (see copy_options.h): PostgreSQL 15's ProcessCopyOptions, check for check.
#include "sql/copy_options.h"

#include <strings.h>
#include <algorithm>
#include <optional>

namespace kb::sql {
namespace {

using Kind = ast::GenericOption::Kind;

SqlError syntax(std::string message, const ast::GenericOption& option) {
    return SqlError(sqlstate::kSyntaxError, std::move(message)).at(option.position);
}

SqlError invalid(std::string message) {
    return SqlError(sqlstate::kInvalidParameterValue, std::move(message));
}

SqlError unsupported(std::string message) {
    return SqlError(sqlstate::kFeatureNotSupported, std::move(message));
}

// PostgreSQL's defGetString: the argument as text (a list as its names joined by dots).
SqlResult<std::string> string_argument(const ast::GenericOption& option) {
    switch (option.kind) {
        case Kind::none:
            return syntax(option.name + " requires a parameter", option);
        case Kind::string:
        case Kind::number:
            return option.value;
        case Kind::star:
            return std::string("*");
        case Kind::list: {
            std::string joined;
            for (const std::string& name : option.list)
                joined += (joined.empty() ? "" : ".") + name;
            return joined;
        }
    }
    return std::string();
}

// defGetBoolean's spellings; nullopt for anything else.
std::optional<bool> boolean_of(const ast::GenericOption& option) {
    if (option.kind == Kind::none) return true;
    if (option.kind == Kind::number) {
        if (option.value == "0") return false;
        if (option.value == "1") return true;
        return std::nullopt;
    }
    if (option.kind != Kind::string) return std::nullopt;
    const char* text = option.value.c_str();
    if (strcasecmp(text, "true") == 0 || strcasecmp(text, "on") == 0) return true;
    if (strcasecmp(text, "false") == 0 || strcasecmp(text, "off") == 0) return false;
    return std::nullopt;
}

SqlResult<CopyHeader> header_of(const ast::GenericOption& option, bool from) {
    if (auto flag = boolean_of(option)) return *flag ? CopyHeader::present : CopyHeader::none;
    if (option.kind == Kind::string && strcasecmp(option.value.c_str(), "match") == 0) {
        if (!from) {
            return unsupported("cannot use \"" + option.value + "\" with HEADER in COPY TO");
        }
        return CopyHeader::match;
    }
    return syntax(option.name + " requires a Boolean value or \"match\"", option);
}

// The encodings whose bytes are UTF-8 as they are (client_encoding accepts the same).
bool utf8_encoding_name(std::string_view name) {
    std::string squeezed;
    for (char c : name) {
        if (c != '-' && c != '_') squeezed.push_back(static_cast<char>(std::tolower(c)));
    }
    return squeezed == "utf8" || squeezed == "unicode" || squeezed == "sqlascii";
}

}  // namespace

SqlResult<CopyOptions> copy_options(std::span<const ast::GenericOption> options, bool from) {
    CopyOptions out;
    bool format_given = false, freeze_given = false, header_given = false;
    bool binary = false;
    std::optional<std::string> delimiter, null, quote, escape;
    bool force_quote_given = false, force_not_null_given = false, force_null_given = false;
    bool encoding_given = false;
    auto once = [](bool& given, const ast::GenericOption& option) -> SqlStatus {
        if (given) return syntax("conflicting or redundant options", option);
        given = true;
        return sql_ok();
    };
    auto once_string = [](std::optional<std::string>& target,
                          const ast::GenericOption& option) -> SqlStatus {
        if (target) return syntax("conflicting or redundant options", option);
        target = KB_SQL_TRY(string_argument(option));
        return sql_ok();
    };
    auto column_list = [](const ast::GenericOption& option) -> SqlResult<std::vector<std::string>> {
        if (option.kind != Kind::list) {
            return syntax(
                "argument to option \"" + option.name + "\" must be a list of column names",
                option);
        }
        return option.list;
    };

    for (const ast::GenericOption& option : options) {
        const std::string& name = option.name;
        if (name == "format") {
            KB_SQL_TRY(once(format_given, option));
            const std::string format = KB_SQL_TRY(string_argument(option));
            if (format == "text") {
                out.format = CopyFormat::text;
            } else if (format == "csv") {
                out.format = CopyFormat::csv;
            } else if (format == "binary") {
                binary = true;
            } else {
                return invalid("COPY format \"" + format + "\" not recognized").at(option.position);
            }
        } else if (name == "freeze") {
            KB_SQL_TRY(once(freeze_given, option));
            // Rows are always visible once committed: nothing to freeze.
            if (!boolean_of(option)) return syntax(name + " requires a Boolean value", option);
        } else if (name == "delimiter") {
            KB_SQL_TRY(once_string(delimiter, option));
        } else if (name == "null") {
            KB_SQL_TRY(once_string(null, option));
        } else if (name == "header") {
            KB_SQL_TRY(once(header_given, option));
            out.header = KB_SQL_TRY(header_of(option, from));
        } else if (name == "quote") {
            KB_SQL_TRY(once_string(quote, option));
        } else if (name == "escape") {
            KB_SQL_TRY(once_string(escape, option));
        } else if (name == "force_quote") {
            KB_SQL_TRY(once(force_quote_given, option));
            if (option.kind == Kind::star) {
                out.force_quote_all = true;
            } else {
                out.force_quote = KB_SQL_TRY(column_list(option));
            }
        } else if (name == "force_not_null") {
            KB_SQL_TRY(once(force_not_null_given, option));
            out.force_not_null = KB_SQL_TRY(column_list(option));
        } else if (name == "force_null") {
            KB_SQL_TRY(once(force_null_given, option));
            out.force_null = KB_SQL_TRY(column_list(option));
        } else if (name == "encoding") {
            KB_SQL_TRY(once(encoding_given, option));
            const std::string encoding = KB_SQL_TRY(string_argument(option));
            if (!utf8_encoding_name(encoding)) {
                return unsupported("COPY encoding \"" + encoding + "\" is not supported")
                    .with_hint("The data is UTF8 (ENCODING 'UTF8'): kimberlite converts nothing.")
                    .at(option.position);
            }
        } else {
            return syntax("option \"" + name + "\" not recognized", option);
        }
    }

    if (binary) {
        if (delimiter) return syntax("cannot specify DELIMITER in BINARY mode", options[0]);
        if (null) return syntax("cannot specify NULL in BINARY mode", options[0]);
        return unsupported("COPY BINARY is not supported")
            .with_hint("Use FORMAT text or FORMAT csv.");
    }
    const bool csv = out.format == CopyFormat::csv;
    const std::string delimiter_text = delimiter.value_or(csv ? "," : "\t");
    out.null = null.value_or(csv ? "" : "\\N");
    if (delimiter_text.size() != 1) {
        return unsupported("COPY delimiter must be a single one-byte character");
    }
    out.delimiter = delimiter_text[0];
    if (out.delimiter == '\r' || out.delimiter == '\n') {
        return invalid("COPY delimiter cannot be newline or carriage return");
    }
    if (out.null.find_first_of("\r\n") != std::string::npos) {
        return invalid("COPY null representation cannot use newline or carriage return");
    }
    // Backslash would be ambiguous in text format, and letters and digits follow backslashes
    // as escapes (PostgreSQL refuses them all, for consistency).
    static constexpr std::string_view kUnsafeTextDelimiters =
        "\\.abcdefghijklmnopqrstuvwxyz0123456789";
    if (!csv && kUnsafeTextDelimiters.find(out.delimiter) != std::string_view::npos) {
        return invalid("COPY delimiter cannot be \"" + delimiter_text + "\"");
    }
    if (!csv && quote) return unsupported("COPY quote available only in CSV mode");
    if (csv) {
        const std::string quote_text = quote.value_or("\"");
        if (quote_text.size() != 1) {
            return unsupported("COPY quote must be a single one-byte character");
        }
        out.quote = quote_text[0];
        if (out.delimiter == out.quote)
            return invalid("COPY delimiter and quote must be different");
    }
    if (!csv && escape) return unsupported("COPY escape available only in CSV mode");
    if (csv) {
        const std::string escape_text = escape.value_or(std::string(1, out.quote));
        if (escape_text.size() != 1) {
            return unsupported("COPY escape must be a single one-byte character");
        }
        out.escape = escape_text[0];
    }
    if (!csv && (out.force_quote_all || !out.force_quote.empty())) {
        return unsupported("COPY force quote available only in CSV mode");
    }
    if ((out.force_quote_all || !out.force_quote.empty()) && from) {
        return unsupported("COPY force quote only available using COPY TO");
    }
    if (!csv && !out.force_not_null.empty()) {
        return unsupported("COPY force not null available only in CSV mode");
    }
    if (!out.force_not_null.empty() && !from) {
        return unsupported("COPY force not null only available using COPY FROM");
    }
    if (!csv && !out.force_null.empty()) {
        return unsupported("COPY force null available only in CSV mode");
    }
    if (!out.force_null.empty() && !from) {
        return unsupported("COPY force null only available using COPY FROM");
    }
    if (out.null.find(out.delimiter) != std::string::npos) {
        return invalid("COPY delimiter must not appear in the NULL specification");
    }
    if (csv && out.null.find(out.quote) != std::string::npos) {
        return invalid("CSV quote character must not appear in the NULL specification");
    }
    return out;
}

SqlStatus resolve_copy_columns(CopyOptions& options, std::span<const std::string> names) {
    auto flags = [&](const std::vector<std::string>& listed, const char* option,
                     std::vector<bool>& out) -> SqlStatus {
        out.assign(names.size(), false);
        for (const std::string& name : listed) {
            const auto found = std::find(names.begin(), names.end(), name);
            if (found == names.end()) {
                return SqlError(
                    sqlstate::kInvalidColumnReference,
                    std::string(option) + " column \"" + name + "\" not referenced by COPY");
            }
            out[static_cast<usize>(found - names.begin())] = true;
        }
        return sql_ok();
    };
    KB_SQL_TRY(flags(options.force_quote, "FORCE_QUOTE", options.quote_column));
    if (options.force_quote_all) options.quote_column.assign(names.size(), true);
    KB_SQL_TRY(flags(options.force_not_null, "FORCE_NOT_NULL", options.not_null_column));
    KB_SQL_TRY(flags(options.force_null, "FORCE_NULL", options.null_column));
    return sql_ok();
}

}  // namespace kb::sql
