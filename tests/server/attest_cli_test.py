"""End-to-end: `kmb attest` and `kmb digest` against a running `kmb server`, and the digest they
export checked offline: `kmb verify --digest FILE --trusted-keys FILE` on the stopped server's
data directory passes (and fails with a key that did not sign). Also: only superusers may
attest, and `kmb digest` refuses a data directory and a server at once.
"""
import json
import os
import subprocess

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KMB, KmbServer

CLERK_PASSWORD = "clerk password 3"


def kmb(*args, password=ADMIN_PASSWORD):
    env = dict(os.environ, KMB_PASSWORD=password)
    return subprocess.run([KMB, *args], env=env, capture_output=True, text=True, timeout=120)


def client(server, user="admin"):
    return ["--server", f"127.0.0.1:{server.port}", "--user", user]


def test_attest_digest_and_verify(tmp_path):
    server = KmbServer(str(tmp_path)).start()
    stopped = False
    try:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount numeric)")
            for i in range(10):
                conn.execute("INSERT INTO ledger VALUES (%s, %s)", (i, i * 1.5))
            conn.execute(f"CREATE USER clerk PASSWORD '{CLERK_PASSWORD}'")
            conn.execute('GRANT CONNECT ON DATABASE "default" TO clerk')
            # Nothing attested yet: kimberlite_digest() says so.
            with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
                conn.execute("SELECT kimberlite_digest()")

        # kmb digest before any attestation: nothing to export (exit 1, SQLSTATE shown).
        none = kmb("digest", *client(server))
        assert none.returncode == 1, none.stderr
        assert "55000" in none.stderr or "no attestation" in none.stderr

        human = kmb("attest", *client(server))
        assert human.returncode == 0, human.stderr
        assert human.stdout.startswith("Attested position "), human.stdout
        assert "1 signature" in human.stdout

        # --json prints the digest document (one line), itself a valid digest.
        made = kmb("attest", "--json", *client(server))
        assert made.returncode == 0, made.stderr
        lines = made.stdout.splitlines()
        assert len(lines) == 1
        attested = json.loads(lines[0])
        assert attested["format"] == "kimberlite-digest"
        assert attested["attestation_position"] > attested["position"]
        assert len(attested["signatures"]) == 1
        node_key = attested["signatures"][0]["public_key"]

        # Only a superuser may attest or export: 42501, exit 1.
        refused = kmb("attest", *client(server, "clerk"), password=CLERK_PASSWORD)
        assert refused.returncode == 1
        assert "42501" in refused.stderr or "permission denied" in refused.stderr
        refused = kmb("digest", *client(server, "clerk"), password=CLERK_PASSWORD)
        assert refused.returncode == 1

        # A data directory and a server at once is a usage error.
        both = kmb("digest", "--data-dir", server.data_dir, *client(server))
        assert both.returncode == 2
        assert "--data-dir" in both.stderr

        # kmb digest from the server: the newest attestation, the one just made.
        digest_file = tmp_path / "digest.json"
        exported = kmb("digest", *client(server), "-o", str(digest_file))
        assert exported.returncode == 0, exported.stderr
        from_server = json.loads(digest_file.read_text())
        assert from_server == attested
        # More writes after it: the digest of a longer log still verifies below.
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("INSERT INTO ledger VALUES (100, 1)")

        assert server.stop() == 0
        stopped = True
    finally:
        if not stopped:
            server.stop()

    # The same attestation, exported offline from the data directory.
    offline = kmb("digest", "--data-dir", server.data_dir)
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout) == from_server

    trusted = tmp_path / "trusted-keys"
    trusted.write_text(node_key + "\n")
    verified = kmb("verify", "--data-dir", server.data_dir, "--digest", str(digest_file),
                   "--trusted-keys", str(trusted), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["result"] == "intact"
    assert report["digest"]["extended"] is True
    assert report["trust_established"] is True

    # A key that did not sign is not trusted: verify fails.
    stranger = tmp_path / "stranger-keys"
    stranger.write_text("11" * 32 + "\n")
    distrusted = kmb("verify", "--data-dir", server.data_dir, "--trusted-keys", str(stranger))
    assert distrusted.returncode == 1, distrusted.stdout + distrusted.stderr
