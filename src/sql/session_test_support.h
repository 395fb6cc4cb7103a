// Test-only: a SQL session on a simulated node (tenant "default", the built-in admin), with
// helpers that run a statement and expect success (ok), expect an error (error), or return the
// rows as text lines "v1|v2" (NULL as "NULL").
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "db/engine_test_support.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace kb::sql::testing {

using Lines = std::vector<std::string>;

class SessionTestBase : public ::testing::Test {
protected:
    explicit SessionTestBase(u64 seed) : node(seed) {}

    void SetUp() override {
        ASSERT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        session = std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
    }

    StatementResult ok(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        EXPECT_FALSE(results.empty());
        for (const auto& result : results) {
            EXPECT_TRUE(result.has_value()) << sql << ": " << result.error().to_string();
            if (!result) return {};
        }
        return results.empty() ? StatementResult{} : *results.back();
    }

    SqlError error(std::string_view sql, Session* on = nullptr) {
        auto results = (on ? *on : *session).execute(sql);
        if (results.empty() || results.back().has_value()) {
            ADD_FAILURE() << sql << " succeeded";
            return {};
        }
        return results.back().error();
    }

    Lines rows(std::string_view sql, Session* on = nullptr) { return lines(ok(sql, on)); }

    // A result's rows as "v1|v2" lines.
    static Lines lines(const StatementResult& result) {
        Lines out;
        for (const Row& row : result.rows) {
            std::string line;
            for (usize i = 0; i < row.size(); ++i) {
                if (i > 0) line += "|";
                line += row[i].is_null() ? "NULL" : value_to_text(row[i], result.columns[i].type);
            }
            out.push_back(line);
        }
        return out;
    }

    std::shared_ptr<const PreparedStatement> prepare(std::string_view sql) {
        auto prepared = session->prepare(sql);
        EXPECT_TRUE(prepared.has_value()) << sql << ": " << prepared.error().to_string();
        return prepared ? *prepared : nullptr;
    }

    std::unique_ptr<Session> new_session() {
        return std::make_unique<Session>(node, tenant, db::kAdminPrincipal);
    }

    db::testing::SimNode node;
    TenantId tenant;
    std::unique_ptr<Session> session;
};

}  // namespace kb::sql::testing
