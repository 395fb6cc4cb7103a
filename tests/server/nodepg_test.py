"""End-to-end: node-postgres (npm `pg`, pinned in nodepg/package.json and package-lock.json)
against a real `kmb server`.

The package is installed at test time with `npm ci` into KB_NODEPG_DIR (CMake passes
BUILD/tests/nodepg; npm's cache is ~/.npm), then nodepg/client_test.js runs under node with the
server's port, password and TLS certificate in its environment. When node or npm is missing or
the registry cannot be reached (and the cache does not have the packages), the test fails and
says so: it never passes without having run the client.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from kmb_server import ADMIN_PASSWORD, KmbServer

HERE = pathlib.Path(__file__).resolve().parent / "nodepg"
INSTALL_DIR = pathlib.Path(os.environ.get(
    "KB_NODEPG_DIR", os.path.join(tempfile.gettempdir(), f"kb-nodepg-{os.getuid()}")))


def install_node_postgres():
    """`npm ci` of nodepg/ into INSTALL_DIR, skipped when the same lock file is installed."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"`{tool}` is not installed: scripts/install-deps.sh installs nodejs and "
                        "npm, which this test needs to run node-postgres")
    lock = (HERE / "package-lock.json").read_bytes()
    stamp_text = hashlib.sha256((HERE / "package.json").read_bytes() + lock).hexdigest()
    stamp = INSTALL_DIR / "node_modules" / ".kb-installed"
    if stamp.exists() and stamp.read_text() == stamp_text:
        return
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, INSTALL_DIR / name)
    try:
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
            cwd=INSTALL_DIR, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("`npm ci` of node-postgres did not finish in 300 s: is the npm registry "
                    "reachable from this machine?")
    if result.returncode != 0:
        pytest.fail("`npm ci` could not install node-postgres (tests/server/nodepg/"
                    "package-lock.json) into " f"{INSTALL_DIR}: the npm registry must be "
                    "reachable, or ~/.npm must already hold the packages.\n"
                    f"npm said:\n{result.stdout}{result.stderr}")
    stamp.write_text(stamp_text)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("kmb"))).start()
    yield running
    running.stop()


def test_node_postgres_client(server):
    install_node_postgres()
    script = INSTALL_DIR / "client_test.js"
    shutil.copyfile(HERE / "client_test.js", script)  # beside node_modules, so require finds pg
    env = dict(os.environ, KMB_PORT=str(server.port), KMB_PASSWORD=ADMIN_PASSWORD,
               KMB_TLS_CA=os.path.join(server.data_dir, "tls", "server.crt"), TZ="UTC")
    result = subprocess.run(["node", str(script)], cwd=INSTALL_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    print(result.stdout, result.stderr)
    assert result.returncode == 0, f"node-postgres checks failed:\n{result.stdout}{result.stderr}"
    # The script reports every check; make sure they all ran (a crash before the summary, or a
    # script that ran nothing, must not look like success).
    lines = result.stdout.strip().splitlines()
    ran = sum(line.startswith("ok ") for line in lines)
    assert lines and lines[-1] == f"{ran} passed, 0 failed", result.stdout
    assert ran >= 10, result.stdout
