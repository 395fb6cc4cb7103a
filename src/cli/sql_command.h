// `kmb sql`: the SQL shell over the PostgreSQL wire protocol (pg_client.h).
//
//     kmb sql [--server HOST:PORT] [--user U] [--tenant T] [--tls MODE] [--json] [--timing]
//             [-c SQL]... [-f FILE]... [--keep-going]
//
// With -c / -f (in the order given) it runs those and exits; otherwise it reads stdin: an
// interactive shell when stdin is a terminal (prompt "tenant=> ", multi-line statements ended
// by ';', history, \q \timing \conninfo \?), a script when it is not. A -c text is sent as one
// message (several statements in it run as one implicit transaction, as psql -c); scripts are
// split into statements (sql_splitter.h) and sent one at a time. Scripts stop at the first
// failing statement (exit 1), like psql -v ON_ERROR_STOP=1, unless --keep-going. COPY FROM
// STDIN takes its data from the lines after the statement (up to "\."), or stdin for -c.
//
// Output: psql's aligned tables and command tags on stdout, errors and notices psql-style on
// stderr (with "FILE:LINE: " before errors from a script); --json prints one JSON object per
// statement (errors included) on stdout instead (sql_output.h). Exit statuses as
// client_options.h: 0, 1 a statement failed, 2 usage / file / connection.
#pragma once

#include <string>
#include <vector>

#include "cli/client_options.h"

namespace CLI {
class App;
}

namespace kb::cli {

struct SqlCommandOptions {
    ClientOptions client;
    // -c and -f in command-line order: {'c', text} or {'f', path}.
    std::vector<std::pair<char, std::string>> actions;
    bool json = false;
    bool timing = false;
    bool keep_going = false;
};

CLI::App* add_sql_command(CLI::App& app, SqlCommandOptions* options);

int run_sql_command(const SqlCommandOptions& options);

}  // namespace kb::cli
