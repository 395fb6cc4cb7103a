#!/usr/bin/env bash
# Installs every Debian 12 package the build, tests and benchmarks need.
# This is the only place in the repository that knows package names.
# Idempotent: packages already installed are skipped, and apt is not touched
# at all when nothing is missing (so `make test` stays fast on a warm machine).
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build ccache pkg-config clang clang-format
    # crypto
    libssl-dev openssl libsodium-dev
    # tests and benchmarks
    libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev b3sum
    libsqlite3-dev sqlite3
    # later subsystems (networking, config, SQL parsing, compression)
    libasio-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
    libspdlog-dev libfmt-dev libzstd-dev liburing-dev libcpp-httplib-dev
    libpg-query-dev libprotobuf-c-dev
    # real clients and peers for end-to-end tests
    postgresql-15 postgresql-client python3-psycopg python3-pytest
)
# node and npm for the node-postgres end-to-end test (npm ci of tests/server/nodepg at test
# time). Only when either command is missing: a nodejs that bundles npm (NodeSource's) conflicts
# with Debian's npm package, and is enough as it is.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
