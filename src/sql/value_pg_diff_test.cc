// Differential test of the value layer against a real PostgreSQL 15.
//
// Generates several hundred expressions from a fixed seed (literals of every type, casts,
// operators and functions over typed and untyped literals), evaluates each with our registry
// (value_test_support.h: the same path the binder takes) and in a private PostgreSQL 15 started
// for the test (initdb into a temporary directory, a Unix socket only, TimeZone UTC), and
// compares result types and text outputs, or SQLSTATEs when either side fails. Skips, with the
// reason, when PostgreSQL 15 is not installed or does not start.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/prng.h"
#include "sql/func_catalog.h"
#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

namespace fs = std::filesystem;
using testing::cast;
using testing::describe;
using testing::evaluate;
using testing::Expr;
using testing::func;
using testing::lit;
using testing::op;
using testing::prefix;
using testing::result_type_name;
using testing::unknown;

constexpr const char* kPostgresBin = "/usr/lib/postgresql/15/bin";

// Runs a shell command; its exit status.
int run(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

// A PostgreSQL cluster in a temporary directory, listening only on a Unix socket there.
class PostgresServer {
public:
    // Empty on success, else why the server is unavailable.
    std::string start() {
        if (!fs::exists(fs::path(kPostgresBin) / "initdb")) return "PostgreSQL 15 is not installed";
        char pattern[] = "/tmp/kb-sqlval-pg-XXXXXX";
        if (mkdtemp(pattern) == nullptr) return "mkdtemp failed";
        dir_ = pattern;
        // initdb refuses to run as root: run the server as the postgres user then.
        if (geteuid() == 0) {
            const passwd* user = getpwnam("postgres");
            if (user == nullptr) return "running as root and there is no postgres user";
            if (chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) return "chown failed";
            as_user_ = "runuser -u postgres -- ";
        }
        const std::string bin = kPostgresBin;
        const std::string data = dir_ + "/data";
        if (run(as_user_ + bin + "/initdb -D " + data +
                " -E UTF8 --locale=C -A trust -U postgres -N >" + dir_ + "/initdb.log 2>&1") != 0) {
            return "initdb failed (see " + dir_ + "/initdb.log)";
        }
        const std::string options = "-k " + dir_ + " -c listen_addresses= -p 5432 -F";
        if (run(as_user_ + bin + "/pg_ctl -D " + data + " -o " + quote(options) + " -l " + dir_ +
                "/server.log -w start >/dev/null 2>&1") != 0) {
            return "the server did not start (see " + dir_ + "/server.log)";
        }
        started_ = true;
        return "";
    }

    // Runs a script with psql; its standard output.
    std::string psql(const std::string& script) {
        const std::string path = dir_ + "/script.sql";
        std::ofstream(path) << script;
        const std::string command = std::string(kPostgresBin) + "/psql -X -q -A -t -h " + dir_ +
                                    " -p 5432 -U postgres -d postgres -f " + path + " 2>&1";
        std::string out;
        FILE* pipe = popen(command.c_str(), "r");
        if (pipe == nullptr) return out;
        char buffer[4096];
        usize n = 0;
        while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
        pclose(pipe);
        return out;
    }

    ~PostgresServer() {
        if (started_) {
            run(as_user_ + std::string(kPostgresBin) + "/pg_ctl -D " + dir_ +
                "/data -m immediate -w stop >/dev/null 2>&1");
        }
        if (!dir_.empty()) {
            std::error_code ignored;
            fs::remove_all(dir_, ignored);
        }
    }

private:
    std::string dir_;
    std::string as_user_;
    bool started_ = false;
};

// --- the expressions --------------------------------------------------------------------------

struct Pool {
    const char* type;
    std::vector<const char*> values;
};

const std::vector<Pool>& pools() {
    static const std::vector<Pool> kPools = {
        {"smallint", {"0", "1", "-1", "32767", "-32768", "7", "300"}},
        {"integer", {"0", "1", "-7", "2147483647", "-2147483648", "65536", "3"}},
        {"bigint", {"0", "5", "-9223372036854775808", "9223372036854775807", "4294967296"}},
        {"numeric",
         {"0", "1.5", "-2.50", "0.001", "123456789.123456789", "1e20", "NaN", "Infinity",
          "-Infinity", "3", "0.3333", "99999.999", "-0.5"}},
        {"real", {"0", "1.5", "-0.1", "3.4e38", "1e-45", "NaN", "Infinity", "0.3333333"}},
        {"double precision",
         {"0", "0.1", "-2.5", "1e308", "5e-324", "NaN", "-Infinity", "1e15", "123456789012345678",
          "1.5e-7", "2.5"}},
        {"text", {"", "abc", "ABC", "a%c", "héllo", " spaced ", "12", "t", "2020-01-01", "1 day"}},
        {"character varying(5)", {"ab", "abc  ", "xyz"}},
        {"character(3)", {"ab", "a", "abc"}},
        {"boolean", {"t", "f"}},
        {"date", {"2020-01-31", "2020-02-29", "infinity", "1999-12-31", "0001-01-01 BC"}},
        {"timestamp", {"2020-01-31 12:34:56.789", "2020-03-01 00:00", "infinity", "1970-01-01"}},
        {"timestamp with time zone", {"2020-01-31 12:34:56+02", "2000-01-01 00:00+00"}},
        {"interval",
         {"1 day", "1 mon", "-1 year 2 days 03:04:05.5", "25:00:00", "0", "1 mon -1 day",
          "1.5 days"}},
        {"bytea", {"\\x", "\\x00ff", "\\x616263"}},
        {"uuid", {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000001"}},
        {"jsonb",
         {"{\"a\": 1}", "[1, \"x\"]", "\"s\"", "1.50", "null",
          "{\"b\": [1, 2], \"a\": {\"c\": true}}"}},
    };
    return kPools;
}

// Strings that are invalid (or odd) for most types, to exercise input errors.
constexpr const char* kJunk[] = {"abc",
                                 "",
                                 "1.5",
                                 "1e400",
                                 "2020-13-01",
                                 "99999999999",
                                 " 42 ",
                                 "-0",
                                 "1 2",
                                 "{",
                                 "\\x0g",
                                 "t",
                                 "2147483648",
                                 "1e-400",
                                 "P1D",
                                 "00:61",
                                 "yes",
                                 "0x10",
                                 "12:00",
                                 "1 day ago",
                                 "NaN",
                                 "-infinity",
                                 "{\"a\":",
                                 "[1,2]",
                                 "\\x01",
                                 "01/02/03",
                                 "2020-02-30",
                                 "24:00:00",
                                 "1e5",
                                 "  ",
                                 "+",
                                 "0.0000001",
                                 "epoch",
                                 "P1Y2M",
                                 "@ 3 days",
                                 "1 mon 2",
                                 "9223372036854775808",
                                 "-32769",
                                 "1.5e300",
                                 "2020-01-01 25:00"};

template <class T>
const T& pick(Prng& prng, const std::vector<T>& items) {
    return items[prng.uniform(items.size())];
}

Expr random_literal(Prng& prng, bool allow_junk) {
    const Pool& pool = pick(prng, pools());
    if (allow_junk && prng.chance(1, 4))
        return lit(kJunk[prng.uniform(std::size(kJunk))], pool.type);
    return lit(pick(prng, pool.values), pool.type);
}

// A freshly made value of a type: random digits and scales, dates, times and intervals.
std::optional<std::string> random_text(Prng& prng, std::string_view type) {
    auto digits = [&](u64 count) {
        std::string out;
        for (u64 i = 0; i < count; ++i) out += static_cast<char>('0' + prng.uniform(10));
        return out;
    };
    auto two = [&](u64 bound) {
        const u64 v = 1 + prng.uniform(bound);
        return (v < 10 ? "0" : "") + std::to_string(v);
    };
    const std::string sign = prng.chance(1, 3) ? "-" : "";
    if ((type == "double precision" || type == "real") && prng.coin()) {
        // Any bit pattern, printed exactly enough to read back: exercises shortest output.
        char buffer[64];
        if (type == "real") {
            const float f = std::bit_cast<float>(static_cast<u32>(prng.next_u64()));
            if (!std::isfinite(f)) return std::string("1.5");
            std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(f));
        } else {
            const double d = std::bit_cast<double>(prng.next_u64());
            if (!std::isfinite(d)) return std::string("2.5");
            std::snprintf(buffer, sizeof buffer, "%.17g", d);
        }
        return std::string(buffer);
    }
    if (type == "numeric" || type == "double precision" || type == "real") {
        std::string number = sign + digits(1 + prng.uniform(12));
        if (prng.coin()) number += "." + digits(1 + prng.uniform(8));
        if (type != "numeric" && prng.chance(1, 4)) {
            number += "e" + std::to_string(static_cast<int>(prng.uniform(80)) - 40);
        }
        return number;
    }
    if (type == "integer" || type == "bigint") return sign + digits(1 + prng.uniform(9));
    if (type == "jsonb") {
        std::string json;
        testing::random_json(prng, 0, json);
        return json;
    }
    if (type == "date" || type == "timestamp" || type == "timestamp with time zone") {
        std::string out = std::to_string(1 + prng.uniform(2999)) + "-" + two(12) + "-" + two(28);
        if (type != "date") out += " " + two(23) + ":" + two(59) + ":" + two(59);
        if (type != "date" && prng.coin()) out += "." + digits(1 + prng.uniform(7));
        if (type == "timestamp with time zone" && prng.coin())
            out += (prng.coin() ? "+" : "-") + two(14);
        return out;
    }
    if (type == "interval") {
        static const std::vector<const char*> kUnits = {"years",   "mons",    "days", "hours",
                                                        "minutes", "seconds", "weeks"};
        std::string out;
        const u64 parts = 1 + prng.uniform(3);
        for (u64 i = 0; i < parts; ++i) {
            out += (prng.chance(1, 4) ? "-" : "") + digits(1 + prng.uniform(3));
            if (prng.chance(1, 3)) out += "." + digits(1 + prng.uniform(3));
            out += std::string(" ") + kUnits[(i * 2 + prng.uniform(2)) % kUnits.size()] + " ";
        }
        if (prng.coin()) out += two(23) + ":" + two(59) + ":" + two(59);
        return out;
    }
    return std::nullopt;
}

Expr literal_of(Prng& prng, const char* type) {
    if (prng.coin()) {
        if (auto text = random_text(prng, type)) return lit(*text, type);
    }
    for (const Pool& pool : pools()) {
        if (std::string_view(pool.type) == type) return lit(pick(prng, pool.values), type);
    }
    KB_UNREACHABLE();
}

Expr random_operator(Prng& prng);

// An operand for an operator: usually typed, sometimes a bare string literal, now and then a
// nested operator expression.
Expr operand(Prng& prng, const std::vector<const char*>& types) {
    static int depth = 0;
    if (depth < 2 && prng.chance(1, 10)) {
        ++depth;
        Expr nested = random_operator(prng);
        --depth;
        return nested;
    }
    if (prng.chance(1, 8)) {
        static const std::vector<const char*> kBare = {"1",          "2.5",   "abc",
                                                       "2020-01-01", "1 day", "t"};
        return unknown(pick(prng, kBare));
    }
    return literal_of(prng, pick(prng, types));
}

Expr random_operator(Prng& prng) {
    static const std::vector<const char*> kNumbers = {"smallint", "integer", "bigint",
                                                      "numeric",  "real",    "double precision"};
    static const std::vector<const char*> kTexts = {"text", "character varying(5)", "character(3)"};
    static const std::vector<const char*> kTimes = {"date", "timestamp", "timestamp with time zone",
                                                    "interval"};
    static const std::vector<const char*> kAll = {
        "smallint", "integer", "numeric",     "double precision", "text",
        "boolean",  "date",    "timestamp",   "interval",         "bytea",
        "uuid",     "jsonb",   "character(3)"};
    static const std::vector<const char*> kArithmetic = {"+", "-", "*", "/", "%"};
    static const std::vector<const char*> kComparison = {"=", "<>", "<", "<=", ">", ">="};
    switch (prng.uniform(7)) {
        case 0:
        case 1:
            return op(pick(prng, kArithmetic), operand(prng, kNumbers), operand(prng, kNumbers));
        case 2:
            return op(pick(prng, kComparison), operand(prng, kNumbers), operand(prng, kNumbers));
        case 3: {
            const char* type = pick(prng, kAll);
            return op(pick(prng, kComparison), operand(prng, {type}), operand(prng, {type}));
        }
        case 4: {
            static const std::vector<const char*> kTimeOps = {"+", "-", "<", "="};
            std::vector<const char*> right = kTimes;
            right.push_back("integer");
            right.push_back("double precision");
            return op(pick(prng, kTimeOps), operand(prng, kTimes), operand(prng, right));
        }
        case 5: {
            static const std::vector<const char*> kTextOps = {"||", "~~", "!~~", "~~*", "<"};
            std::vector<const char*> left = kTexts;
            left.push_back(pick(prng, kAll));
            return op(pick(prng, kTextOps), operand(prng, left), operand(prng, kTexts));
        }
        default:
            if (prng.coin()) return prefix("-", operand(prng, kNumbers));
            return op(pick(prng, std::vector<const char*>{"->", "->>"}), literal_of(prng, "jsonb"),
                      prng.coin()
                          ? unknown(prng.coin() ? "a" : "b")
                          : lit(std::to_string(static_cast<int>(prng.uniform(4)) - 1), "integer"));
    }
}

Expr small_integer(Prng& prng) {
    return lit(std::to_string(static_cast<int>(prng.uniform(9)) - 3), "integer");
}

Expr random_function(Prng& prng) {
    static const std::vector<const char*> kTextTypes = {"text", "character varying(5)",
                                                        "character(3)"};
    static const std::vector<const char*> kNumbers = {"smallint", "integer", "bigint",
                                                      "numeric",  "real",    "double precision"};
    auto text = [&] { return operand(prng, kTextTypes); };
    auto number = [&] { return operand(prng, kNumbers); };
    switch (prng.uniform(12)) {
        case 0:
            return func(pick(prng, std::vector<const char*>{"length", "lower", "upper", "reverse",
                                                            "octet_length", "btrim"}),
                        {text()});
        case 1:
            return func(pick(prng, std::vector<const char*>{"btrim", "ltrim", "rtrim", "strpos",
                                                            "starts_with"}),
                        {text(), text()});
        case 2:
            return func("substring", {text(), small_integer(prng), small_integer(prng)});
        case 3:
            return func(pick(prng, std::vector<const char*>{"substr", "left", "right", "repeat",
                                                            "lpad", "rpad"}),
                        {text(), small_integer(prng)});
        case 4:
            return func("replace", {text(), unknown("b"), text()});
        case 5: {
            std::vector<Expr> args;
            const u64 n = 1 + prng.uniform(4);
            for (u64 i = 0; i < n; ++i) args.push_back(random_literal(prng, false));
            return func(prng.coin() ? "concat" : "concat_ws", std::move(args));
        }
        case 6:
            return func(pick(prng, std::vector<const char*>{"abs", "round", "floor", "ceil",
                                                            "trunc", "sign"}),
                        {number()});
        case 7:
            return func(pick(prng, std::vector<const char*>{"round", "trunc"}),
                        {literal_of(prng, "numeric"), small_integer(prng)});
        case 8:
            return func("mod", {number(), number()});
        case 9:
            return func("lpad", {text(), small_integer(prng), text()});
        case 10:
            return func("length", {literal_of(prng, "bytea")});
        default:
            return func("substr", {literal_of(prng, "bytea"), small_integer(prng)});
    }
}

Expr random_cast(Prng& prng) {
    const Expr from = random_literal(prng, false);
    const Pool& to = pick(prng, pools());
    return cast(from, to.type);
}

std::vector<Expr> generate(u64 seed, usize count) {
    Prng prng(seed);
    std::vector<Expr> out;
    while (out.size() < count) {
        switch (prng.uniform(5)) {
            case 0:
                out.push_back(random_literal(prng, true));
                break;
            case 1:
                out.push_back(random_cast(prng));
                break;
            case 2:
                out.push_back(random_function(prng));
                break;
            default:
                out.push_back(random_operator(prng));
                break;
        }
    }
    return out;
}

// "OK <type>\t<text>" or "ERROR <sqlstate>", the same shape the PostgreSQL side prints.
std::string ours(const Expr& expr) {
    const auto result = evaluate(expr);
    if (!result) return "ERROR " + result.error().sqlstate;
    std::string text = describe(result);
    std::string escaped;
    for (char c : text) {
        if (c == '\\') {
            escaped += "\\\\";
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return "OK " + result_type_name(result) + "\t" + escaped;
}

constexpr const char* kEvaluator = R"SQL(
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
CREATE FUNCTION pg_temp.ev(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text; n boolean; t text;
BEGIN
  EXECUTE 'SELECT format(''%s'', x), x IS NULL, pg_typeof(x)::text FROM (SELECT ' || q ||
          ' AS x) s' INTO r, n, t;
  IF n THEN r := 'NULL'; END IF;
  RETURN 'OK ' || t || E'\t' || replace(replace(r, E'\\', E'\\\\'), E'\n', E'\\n');
EXCEPTION WHEN others THEN
  RETURN 'ERROR ' || SQLSTATE;
END $f$;
)SQL";

TEST(PostgresDifferential, ExpressionsMatchPostgres) {
    PostgresServer server;
    if (const std::string why = server.start(); !why.empty()) GTEST_SKIP() << why;
    // A fixed seed keeps `make test` reproducible; KB_SQLVAL_DIFF_SEED and KB_SQLVAL_DIFF_COUNT
    // explore further (make soak).
    const char* seed_text = std::getenv("KB_SQLVAL_DIFF_SEED");
    const char* count_text = std::getenv("KB_SQLVAL_DIFF_COUNT");
    const u64 seed = seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : 20240601;
    const usize count = count_text != nullptr ? std::strtoull(count_text, nullptr, 10) : 700;
    const std::vector<Expr> expressions = generate(seed, count);
    std::string script = kEvaluator;
    for (const Expr& expr : expressions) {
        script += "SELECT pg_temp.ev($kbq$" + expr.sql() + "$kbq$);\n";
    }
    std::istringstream output(server.psql(script));
    std::vector<std::string> lines;
    for (std::string line; std::getline(output, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), expressions.size()) << "psql output:\n" << output.str();
    usize mismatches = 0;
    usize errors = 0;
    for (usize i = 0; i < expressions.size(); ++i) {
        const std::string mine = ours(expressions[i]);
        if (lines[i].rfind("ERROR", 0) == 0) ++errors;
        if (mine != lines[i]) {
            ++mismatches;
            ADD_FAILURE() << expressions[i].sql() << "\n  ours:       " << mine
                          << "\n  PostgreSQL: " << lines[i];
        }
    }
    // Both outcomes must be well represented for the comparison to mean something.
    EXPECT_GT(errors, expressions.size() / 20);
    EXPECT_LT(errors, expressions.size() / 2);
    EXPECT_EQ(mismatches, 0U) << "seed " << seed << ", " << errors << " errors in PostgreSQL";
}

// Our registry folds a call on constants at bind time exactly when PostgreSQL's planner would:
// FunctionDef::immutable must match pg_proc.provolatile = 'i' for every signature we implement.
TEST(PostgresDifferential, ImmutableFunctionsAreThoseOfPgProc) {
    PostgresServer server;
    if (const std::string why = server.start(); !why.empty()) GTEST_SKIP() << why;
    std::vector<const FunctionDef*> defs;
    for (auto catalog : {operator_catalog(), datetime_operator_catalog(), string_function_catalog(),
                         math_function_catalog()}) {
        for (const FunctionDef& def : catalog) {
            if (def.impl != nullptr) defs.push_back(&def);
        }
    }
    auto type_of = [](const FunctionDef& def, usize i) -> std::string {
        const ParamType& param = def.params[i];
        if (param.any) return def.variadic_any ? "\"any\"" : "anynonarray";
        return type_name(Type::of(param.type));
    };
    std::string script;
    for (const FunctionDef* def : defs) {
        std::string lookup;
        if (def->is_operator) {
            lookup =
                "SELECT p.provolatile FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode "
                "WHERE o.oprname = '" +
                std::string(def->name) + "' AND o.oprleft = " +
                (def->param_count == 2 ? "'" + type_of(*def, 0) + "'::regtype" : "0") +
                " AND o.oprright = '" + type_of(*def, def->param_count - 1) + "'::regtype";
        } else {
            std::string signature = std::string(def->name) + "(";
            for (usize i = 0; i < def->param_count; ++i) {
                signature += (i > 0 ? "," : "") + type_of(*def, i);
            }
            lookup =
                "SELECT provolatile FROM pg_proc WHERE oid = to_regprocedure('" + signature + ")')";
        }
        script += "SELECT coalesce((" + lookup + "), '?');\n";
    }
    std::istringstream output(server.psql(script));
    std::vector<std::string> lines;
    for (std::string line; std::getline(output, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), defs.size()) << "psql output:\n" << output.str();
    for (usize i = 0; i < defs.size(); ++i) {
        const FunctionDef& def = *defs[i];
        std::string signature = std::string(def.name) + "(";
        for (usize j = 0; j < def.param_count; ++j)
            signature += (j > 0 ? "," : "") + type_of(def, j);
        signature += ")";
        EXPECT_NE(lines[i], "?") << signature << ": not in pg_proc / pg_operator";
        if (lines[i] == "?") continue;
        EXPECT_EQ(def.immutable, lines[i] == "i")
            << signature << ": provolatile " << lines[i] << ", ours immutable=" << def.immutable;
    }
}

}  // namespace
}  // namespace kb::sql
