// kb_sql_shell: a line-oriented SQL shell over the embedded database, speaking the protocol of
// tests/sql/shell_protocol.py, for the sqllogictest runner and the differential test.
//
//     kb_sql_shell --data-dir DIR --key-dir DIR [--tenant NAME]
//
// Input: frames of SQL (lines up to a line "\."); a frame "\restart" closes and reopens the
// database; a frame whose first line is "\bind" (then a tab and each parameter value, tab
// separated, escaped as ROW values are, NULL as \N) runs the rest of the frame, one statement,
// as a prepared statement: Session::prepare with no declared types, the values read as text
// with the described types, execute_prepared. Output per statement: OK <tag> | ROWS n,
// COL name type..., ROW v\tv..., END n | ERROR <sqlstate> <message>.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/database_core.h"
#include "kimberlite/database.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Inverse of escape(); nullopt for \N (NULL).
std::optional<std::string> unescape(const std::string& text) {
    if (text == "\\N") return std::nullopt;
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        const char next = text[++i];
        out += next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next;
    }
    return out;
}

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text;
}

void print(const kb::sql::SqlResult<kb::sql::StatementResult>& result) {
    if (!result) {
        std::cout << "ERROR " << result.error().sqlstate << " " << one_line(result.error().message)
                  << "\n";
        return;
    }
    if (!result->returns_rows) {
        std::cout << "OK " << result->tag << "\n";
        return;
    }
    std::cout << "ROWS " << result->columns.size() << "\n";
    for (const auto& column : result->columns) {
        std::cout << "COL " << column.name << " " << kb::sql::type_name(column.type) << "\n";
    }
    for (const auto& row : result->rows) {
        std::cout << "ROW ";
        for (size_t i = 0; i < row.size(); ++i) {
            if (i > 0) std::cout << "\t";
            std::cout << (row[i].is_null()
                              ? std::string("\\N")
                              : escape(kb::sql::value_to_text(row[i], result->columns[i].type)));
        }
        std::cout << "\n";
    }
    std::cout << "END " << result->rows.size() << "\n";
}

// A "\bind" frame: prepare the statement, read the values with its parameter types, run it.
kb::sql::SqlResult<kb::sql::StatementResult> run_bound(kb::sql::Session& session,
                                                       const std::string& frame) {
    const size_t line_end = frame.find('\n');
    std::string header = frame.substr(0, line_end);
    const std::string sql = line_end == std::string::npos ? "" : frame.substr(line_end + 1);
    std::vector<std::optional<std::string>> texts;
    if (header.size() > 5) {
        std::string values = header.substr(6);  // after "\bind\t"
        size_t start = 0;
        while (true) {
            const size_t tab = values.find('\t', start);
            texts.push_back(unescape(values.substr(start, tab - start)));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
    }
    auto prepared = session.prepare(sql);
    if (!prepared) return prepared.error();
    const auto& types = (*prepared)->description().parameter_types;
    std::vector<kb::kernel::Value> parameters;
    for (size_t i = 0; i < texts.size(); ++i) {
        if (!texts[i] || i >= types.size()) {
            parameters.push_back(kb::kernel::Value::null());
            continue;
        }
        auto value = kb::sql::parameter_from_text(*texts[i], types[i]);
        if (!value) return value.error();
        parameters.push_back(std::move(*value));
    }
    return session.execute_prepared(**prepared, parameters);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Kimberlite SQL shell for tests", "kb_sql_shell"};
    std::string data_dir, key_dir, tenant_name = "default";
    app.add_option("--data-dir", data_dir)->required();
    app.add_option("--key-dir", key_dir)->required();
    app.add_option("--tenant", tenant_name);
    CLI11_PARSE(app, argc, argv);

    kb::DatabaseOptions options;
    options.key_dir = key_dir;
    std::unique_ptr<kb::Database> db;
    std::unique_ptr<kb::sql::Session> session;
    auto open = [&]() -> bool {
        auto opened = kb::Database::open(data_dir, options);
        if (!opened) {
            std::cerr << "kb_sql_shell: " << opened.error().to_string() << "\n";
            return false;
        }
        db = std::move(*opened);
        auto tenant = db->tenant(tenant_name);
        if (!tenant) {
            std::cerr << "kb_sql_shell: no tenant " << tenant_name << "\n";
            return false;
        }
        session = std::make_unique<kb::sql::Session>(db->core(), *tenant, kb::db::kAdminPrincipal);
        return true;
    };
    auto close = [&]() {
        session.reset();
        if (db) (void)db->close();
        db.reset();
    };
    if (!open()) return 2;
    std::string frame, line;
    while (std::getline(std::cin, line)) {
        if (line != "\\.") {
            frame += line;
            frame += '\n';
            continue;
        }
        // The frame's lines joined by '\n' without a final one, as pg_shell.py joins them
        // (a trailing newline would show in error messages such as an unterminated string's).
        if (!frame.empty()) frame.pop_back();
        if (frame == "\\restart") {
            close();
            if (!open()) return 2;
        } else if (frame.rfind("\\bind", 0) == 0 &&
                   (frame.size() == 5 || frame[5] == '\t' || frame[5] == '\n')) {
            print(run_bound(*session, frame));
        } else {
            for (const auto& result : session->execute(frame)) print(result);
        }
        std::cout.flush();
        frame.clear();
    }
    close();
    return 0;
}
