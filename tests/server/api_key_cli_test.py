"""End-to-end: API keys of the native protocol against a real `kmb server`.

`kmb user api-key create` makes keys (shown once; the server keeps their SHA-256), `kmb stream`
logs in with one from KMB_API_KEY or --api-key: a read-write key appends and reads, a read-only
key reads but cannot append (exit 1, permission denied), a wrong or revoked key cannot log in
(exit 2); `kmb user api-key list` shows keys without secrets and `revoke` ends them; a user that
is no superuser cannot manage keys.
"""
import json
import os
import re
import subprocess

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KMB, KmbServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("api_keys"))).start()
    with psycopg.connect(running.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE ROLE writer LOGIN SUPERUSER")
        conn.execute("CREATE ROLE plain LOGIN PASSWORD 'plain password'")
        conn.execute('GRANT CONNECT ON DATABASE "default" TO plain')
    yield running
    running.stop()


def kmb(server, *args, env=None, stdin=None):
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("KMB_API_KEY", None)
    full_env.setdefault("KMB_PASSWORD", ADMIN_PASSWORD)
    full_env.update(env or {})
    return subprocess.run(
        [KMB, *args, "--server", f"127.0.0.1:{server.port}", "--tls", "disable"],
        input=stdin, capture_output=True, text=True, env=full_env, timeout=60)


def with_key(key):
    # No password at all: the key alone must log in.
    return {"KMB_API_KEY": key, "KMB_PASSWORD": ""}


def create_key(server, user, *extra):
    made = kmb(server, "user", "api-key", "create", user, "--tenant", "default", "--json", *extra)
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert re.fullmatch(r"kmb_[A-Za-z0-9_-]{43}", created["key"])
    assert re.fullmatch(r"[0-9a-f]{16}", created["id"])
    return created


def test_a_key_appends_and_reads_and_a_read_only_key_only_reads(server):
    rw = create_key(server, "writer")
    assert rw["mode"] == "read_write"
    created = kmb(server, "stream", "create", "keyed", env=with_key(rw["key"]))
    assert created.returncode == 0, created.stderr
    appended = kmb(server, "stream", "append", "keyed", "one", "two", env=with_key(rw["key"]))
    assert appended.returncode == 0, appended.stderr
    read = kmb(server, "stream", "read", "keyed", env=with_key(rw["key"]))
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines() == ["0\tone", "1\ttwo"]

    ro = create_key(server, "writer", "--read-only")
    assert ro["mode"] == "read_only"
    refused = kmb(server, "stream", "append", "keyed", "three", env=with_key(ro["key"]))
    assert refused.returncode == 1, refused.stderr
    assert "read-only" in refused.stderr
    # --api-key works as well as the environment variable.
    read = kmb(server, "stream", "read", "keyed", "--api-key", ro["key"],
               env={"KMB_PASSWORD": ""})
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines() == ["0\tone", "1\ttwo"], "nothing appended by the refusal"
    # The key never shows up in the server's answers or lists.
    listed = kmb(server, "user", "api-key", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    keys = {k["id"]: k for k in json.loads(listed.stdout)["api_keys"]}
    assert keys[ro["id"]] == {"id": ro["id"], "user": "writer", "tenant": "default",
                              "mode": "read_only", "created": keys[ro["id"]]["created"]}
    assert ro["key"][4:] not in listed.stdout and rw["key"][4:] not in listed.stdout


def test_revoked_and_wrong_keys_cannot_log_in(server):
    key = create_key(server, "writer")
    assert kmb(server, "stream", "list", env=with_key(key["key"])).returncode == 0
    wrong = key["key"][:-3] + ("AAA" if not key["key"].endswith("AAA") else "BAA")
    failed = kmb(server, "stream", "list", env=with_key(wrong))
    assert failed.returncode == 2
    assert "authentication failed" in failed.stderr

    revoked = kmb(server, "user", "api-key", "revoke", key["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert key["id"] in revoked.stdout
    after = kmb(server, "stream", "list", env=with_key(key["key"]))
    assert after.returncode == 2
    assert "authentication failed" in after.stderr
    again = kmb(server, "user", "api-key", "revoke", key["id"])
    assert again.returncode == 1
    assert "42704" in again.stderr or "does not exist" in again.stderr
    listed = json.loads(kmb(server, "user", "api-key", "list", "--json").stdout)["api_keys"]
    assert key["id"] not in [k["id"] for k in listed]


def test_only_superusers_manage_keys(server):
    denied = kmb(server, "user", "api-key", "create", "plain", "--tenant", "default", "--user",
                 "plain", env={"KMB_PASSWORD": "plain password"})
    assert denied.returncode == 1
    assert "42501" in denied.stderr or "permission denied" in denied.stderr
    unknown = kmb(server, "user", "api-key", "create", "nobody", "--tenant", "default")
    assert unknown.returncode == 1
