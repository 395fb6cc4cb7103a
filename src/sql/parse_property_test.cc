// Properties of parse() and to_sql() together:
//   * any expression tree of issue 5's kinds prints as SQL that parses back to the same tree
//     (random trees, including identifiers and strings that need quoting);
//   * any text that parses prints back as SQL that parses to the same statements (random token
//     soups, most of them syntax errors, none of them a crash).
// Trees are compared through their printed form, which shows every field but positions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>
#include <string>

#include "sql/parse.h"

namespace kb::sql {
namespace {

class TreeGenerator {
public:
    explicit TreeGenerator(u64 seed) : random_(seed) {}

    ast::ExprPtr expr(int depth) {
        switch (pick(depth <= 0 ? 4 : 19)) {
            case 0:
                return leaf(literal());
            case 1:
                return leaf(column());
            case 2:
                return leaf(ast::Param{.number = 1 + pick(20)});
            case 3:
                return leaf(sql_value_function());
            case 4:
                return binary(depth);
            case 5:
                return prefix(depth);
            case 6:
                return boolean(depth);
            case 7:
                return leaf(ast::InList{
                    .expr = expr(depth - 1), .list = list(depth, 1, 4), .negated = coin()});
            case 8:
                return leaf(ast::Between{.expr = expr(depth - 1),
                                         .low = expr(depth - 1),
                                         .high = expr(depth - 1),
                                         .negated = coin(),
                                         .symmetric = coin()});
            case 9:
                return leaf(ast::Like{.expr = expr(depth - 1),
                                      .pattern = expr(depth - 1),
                                      .escape = coin() ? expr(depth - 1) : nullptr,
                                      .negated = coin(),
                                      .case_insensitive = coin()});
            case 10:
                return leaf(ast::DistinctFrom{
                    .left = expr(depth - 1), .right = expr(depth - 1), .negated = coin()});
            case 11:
                return leaf(ast::NullIf{.left = expr(depth - 1), .right = expr(depth - 1)});
            case 12:
                return leaf(ast::NullTest{.expr = expr(depth - 1), .negated = coin()});
            case 13:
                return leaf(ast::BooleanTest{.expr = expr(depth - 1),
                                             .kind = static_cast<ast::BooleanTestKind>(pick(6))});
            case 14:
                return case_expr(depth);
            case 15:
                return leaf(ast::Coalesce{.args = list(depth, 1, 3)});
            case 16:
                return leaf(
                    ast::MinMax{.op = coin() ? ast::MinMaxOp::greatest : ast::MinMaxOp::least,
                                .args = list(depth, 1, 3)});
            case 17:
                return call(depth);
            default:
                return leaf(ast::Cast{.expr = expr(depth - 1), .type = type()});
        }
    }

private:
    int pick(int n) { return static_cast<int>(random_() % static_cast<u64>(n)); }
    bool coin() { return pick(2) == 0; }

    static ast::ExprPtr leaf(ast::ExprNode node) { return ast::make_expr(std::move(node), 0); }

    ast::ExprList list(int depth, int min, int max) {
        ast::ExprList result;
        int count = min + pick(max - min + 1);
        for (int i = 0; i < count; ++i) result.push_back(expr(depth - 1));
        return result;
    }

    std::string identifier() {
        static constexpr const char* kNames[] = {
            "a", "b",    "t",    "x1",  "_y",    "select", "user",         "Mixed", "a b", "q\"t",
            "é", "from", "left", "int", "value", "end",    "current_date", "order", "z$"};
        return kNames[pick(static_cast<int>(std::size(kNames)))];
    }

    ast::Literal literal() {
        ast::Literal result;
        switch (pick(6)) {
            case 0:
                break;  // NULL
            case 1:
                result.kind = ast::Literal::Kind::boolean;
                result.boolean = coin();
                break;
            case 2: {
                // Integers of every width; the kind follows the value, as PostgreSQL's.
                static constexpr i64 kEdges[] = {
                    0,         1,        -1, 2147483647, 2147483648LL, -2147483648LL, -2147483649LL,
                    INT64_MAX, INT64_MIN};
                i64 value = coin() ? kEdges[pick(static_cast<int>(std::size(kEdges)))]
                                   : static_cast<i64>(random_()) >> pick(64);
                result.integer = value;
                result.kind = value >= INT32_MIN && value <= INT32_MAX ? ast::Literal::Kind::int4
                                                                       : ast::Literal::Kind::int8;
                break;
            }
            case 3: {
                result.kind = ast::Literal::Kind::numeric;
                static constexpr const char* kNumbers[] = {"1.5",
                                                           "-0.25",
                                                           "1e10",
                                                           "2.5E-3",
                                                           ".5",
                                                           "9223372036854775808",
                                                           "-99999999999999999999",
                                                           "0.000",
                                                           "123456789012345678901234567890.1"};
                result.text = kNumbers[pick(static_cast<int>(std::size(kNumbers)))];
                break;
            }
            default: {
                result.kind = ast::Literal::Kind::string;
                static constexpr const char* kPieces[] = {"a",  "'", "''", "\\", "é",  " ",
                                                          "\n", "%", "_",  "$$", "--", "/*"};
                int length = pick(5);
                for (int i = 0; i < length; ++i) {
                    result.text += kPieces[pick(static_cast<int>(std::size(kPieces)))];
                }
                break;
            }
        }
        return result;
    }

    ast::ColumnRef column() {
        ast::ColumnRef result;
        int parts = 1 + pick(3);
        if (parts == 3) result.schema = identifier();
        if (parts >= 2) result.table = identifier();
        result.column = identifier();
        return result;
    }

    ast::SqlValueFunction sql_value_function() {
        ast::SqlValueFunction result{.kind = static_cast<ast::SqlValueKind>(pick(9))};
        bool precise = result.kind == ast::SqlValueKind::current_timestamp ||
                       result.kind == ast::SqlValueKind::localtimestamp;
        if (precise && coin()) result.precision = pick(7);
        return result;
    }

    ast::TypeName type() {
        using kernel::SqlType;
        static const kernel::ColumnType kTypes[] = {
            {.type = SqlType::smallint},
            {.type = SqlType::integer},
            {.type = SqlType::bigint},
            {.type = SqlType::real},
            {.type = SqlType::double_precision},
            {.type = SqlType::numeric},
            {.type = SqlType::numeric, .precision = 10, .scale = 2},
            {.type = SqlType::numeric, .precision = 1000, .scale = 0},
            {.type = SqlType::text},
            {.type = SqlType::varchar},
            {.type = SqlType::varchar, .length = 12},
            {.type = SqlType::character, .length = 1},
            {.type = SqlType::character, .length = 0},
            {.type = SqlType::boolean},
            {.type = SqlType::bytea},
            {.type = SqlType::date},
            {.type = SqlType::timestamp},
            {.type = SqlType::timestamptz},
            {.type = SqlType::interval},
            {.type = SqlType::uuid},
            {.type = SqlType::jsonb},
        };
        return ast::TypeName{.type = kTypes[pick(static_cast<int>(std::size(kTypes)))]};
    }

    ast::ExprPtr binary(int depth) {
        static constexpr const char* kOperators[] = {
            "+",  "-",  "*",   "/",  "%",  "^", "=", "<>", "<",  "<=", ">",  ">=",
            "||", "->", "->>", "@>", "<@", "&", "|", "#",  "<<", ">>", "~~", "!~~"};
        return leaf(ast::Operator{.name = kOperators[pick(static_cast<int>(std::size(kOperators)))],
                                  .left = expr(depth - 1),
                                  .right = expr(depth - 1)});
    }

    ast::ExprPtr prefix(int depth) {
        static constexpr const char* kPrefixes[] = {"-", "+", "~", "@", "*", "<=", "|/"};
        std::string name = kPrefixes[pick(static_cast<int>(std::size(kPrefixes)))];
        ast::ExprPtr operand = expr(depth - 1);
        // PostgreSQL folds a minus into a numeric constant (-5 is a constant, not an
        // operator): such a tree never comes out of the parser.
        if (name == "-") {
            const auto* literal = operand->as<ast::Literal>();
            if (literal != nullptr && (literal->kind == ast::Literal::Kind::int4 ||
                                       literal->kind == ast::Literal::Kind::int8 ||
                                       literal->kind == ast::Literal::Kind::numeric)) {
                name = "+";
            }
        }
        return leaf(ast::Operator{.name = name, .left = nullptr, .right = std::move(operand)});
    }

    ast::ExprPtr boolean(int depth) {
        int kind = pick(3);
        if (kind == 2) {
            ast::ExprList args;
            args.push_back(expr(depth - 1));
            return leaf(ast::BoolExpr{.op = ast::BoolOp::not_op, .args = std::move(args)});
        }
        ast::BoolOp op = kind == 0 ? ast::BoolOp::and_op : ast::BoolOp::or_op;
        ast::ExprList args = list(depth, 2, 4);
        // PostgreSQL flattens `(a AND b) AND c` into one AND: a first argument with the same
        // operator never comes out of the parser.
        const auto* first = args[0]->as<ast::BoolExpr>();
        if (first != nullptr && first->op == op) args[0] = leaf(column());
        return leaf(ast::BoolExpr{.op = op, .args = std::move(args)});
    }

    ast::ExprPtr case_expr(int depth) {
        ast::Case result;
        if (coin()) result.operand = expr(depth - 1);
        int arms = 1 + pick(3);
        for (int i = 0; i < arms; ++i) {
            result.whens.push_back(
                ast::CaseWhen{.condition = expr(depth - 1), .result = expr(depth - 1)});
        }
        if (coin()) result.else_result = expr(depth - 1);
        return leaf(std::move(result));
    }

    ast::ExprPtr call(int depth) {
        ast::FuncCall result;
        if (pick(4) == 0) {
            // A special syntax, with the argument counts the grammar makes.
            switch (pick(7)) {
                case 0:
                    result.name = "substring";
                    result.args = list(depth, 2, 3);
                    break;
                case 1:
                    result.name = "position";
                    result.args = list(depth, 2, 2);
                    break;
                case 2:
                    result.name = coin() ? "btrim" : (coin() ? "ltrim" : "rtrim");
                    result.args = list(depth, 1, 2);
                    break;
                case 3:
                    result.name = "extract";
                    result.args.push_back(leaf(ast::Literal{.kind = ast::Literal::Kind::string,
                                                            .text = coin() ? "year" : "epoch"}));
                    result.args.push_back(expr(depth - 1));
                    break;
                case 4:
                    result.name = "overlay";
                    result.args = list(depth, 3, 4);
                    break;
                default:
                    result.name = "timezone";
                    result.args = list(depth, 2, 2);
                    break;
            }
            result.sql_syntax = true;
            return leaf(std::move(result));
        }
        static constexpr const char* kNames[] = {"f",        "lower",      "count",    "Fn",
                                                 "left",     "substring",  "position", "sum",
                                                 "coalesce", "string_agg", "x y"};
        result.name = kNames[pick(static_cast<int>(std::size(kNames)))];
        if (pick(5) == 0) {
            result.star = true;
            return leaf(std::move(result));
        }
        result.args = list(depth, 0, 3);
        if (!result.args.empty()) {
            result.distinct = pick(4) == 0;
            int order = pick(3);
            for (int i = 0; i < order; ++i) {
                result.order_by.push_back(ast::OrderItem{
                    .expr = expr(depth - 1),
                    .descending = coin(),
                    .nulls = static_cast<kernel::NullsOrder>(pick(3)),
                });
            }
        }
        return leaf(std::move(result));
    }

    std::mt19937_64 random_;
};

RC_GTEST_PROP(ParseProperty, PrintedExpressionsParseBackToTheSameTree, ()) {
    const auto seed = *rc::gen::arbitrary<u64>();
    TreeGenerator generator(seed);
    for (int round = 0; round < 20; ++round) {
        ast::ExprPtr tree = generator.expr(4);
        std::string printed = ast::to_sql(*tree);
        auto reparsed = parse_expression(printed);
        RC_ASSERT(reparsed.has_value());
        RC_ASSERT(ast::to_sql(**reparsed) == printed);
        RC_ASSERT(ast::equal(**reparsed, *tree));
        RC_ASSERT(ast::to_sql(*ast::clone(*tree)) == printed);
    }
}

// Random token soups after a statement's opening words: parse never crashes, and whatever
// parses prints back stably.
RC_GTEST_PROP(ParseProperty, AnythingThatParsesPrintsBackStably, ()) {
    static constexpr const char* kOpenings[] = {
        "select",
        "select a from t where",
        "select a, count(*) from t group by a having",
        "select a from t order by",
        "insert into t values (",
        "insert into t (a, b) select",
        "insert into t values (1) on conflict (a) do update set b =",
        "update t set a =",
        "delete from t where",
        "create table t (a int",
        "create table t (a int, b text, primary key (a), check (",
        "alter table t add column c",
        "explain select",
        "select 1;",
        "",
    };
    static constexpr const char* kTokens[] = {
        "a",          "b",           "1",        "2.5",    "'s'",       "$1",
        "null",       "true",        "+",        "-",      "*",         "=",
        "<",          "and",         "or",       "not",    "(",         ")",
        ",",          ";",           "is",       "in",     "between",   "like",
        "::int",      "case",        "when",     "then",   "else",      "end",
        "coalesce(",  "count(*)",    "distinct", "x.y",    "escape",    "numeric(5,2)",
        "é",          "\"Q\"",       "default",  "from",   "where",     "as",
        "desc",       "nulls",       "first",    "limit",  "returning", "unique",
        "references", "primary key", "not null", "select", "t",         "'x'::date",
        "||",         "->"};
    const auto seed = *rc::gen::arbitrary<u64>();
    std::mt19937_64 random(seed);
    for (int round = 0; round < 300; ++round) {
        std::string text = kOpenings[random() % std::size(kOpenings)];
        int length = static_cast<int>(random() % 10);
        for (int i = 0; i < length; ++i) {
            text += ' ';
            text += kTokens[random() % std::size(kTokens)];
        }
        auto parsed = parse(text);
        if (!parsed) {
            RC_ASSERT(!parsed.error().sqlstate.empty());
            RC_ASSERT(parsed.error().sqlstate != sqlstate::kInternalError);
            continue;
        }
        for (const ast::Statement& statement : *parsed) {
            std::string printed = ast::to_sql(statement);
            auto again = parse(printed);
            RC_ASSERT(again.has_value());
            RC_ASSERT(again->size() == 1u);
            RC_ASSERT(ast::to_sql((*again)[0]) == printed);
        }
    }
}

}  // namespace
}  // namespace kb::sql
