"""End-to-end tests of `kmb verify` and `kmb digest`: the real binaries on real files.

Logs are written by kb_make_test_log (tests/e2e/make_test_log.cc), which prints where every
record landed so a test can damage exactly the byte it means to. Binary paths come from the
environment (CTest sets KMB and KB_MAKE_TEST_LOG); the defaults are the release build's.
"""
import fcntl
import json
import os
import pathlib
import pty
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KMB = os.environ.get("KMB", str(ROOT / "build/release/src/cli/kmb"))
MAKE_LOG = os.environ.get("KB_MAKE_TEST_LOG", str(ROOT / "build/release/tests/kb_make_test_log"))


def make_log(directory, *args):
    """Writes a log into `directory`; returns what kb_make_test_log reports about it."""
    out = subprocess.run([MAKE_LOG, "--dir", str(directory), *map(str, args)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def kmb(*args, timeout=60):
    return subprocess.run([KMB, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def flip(directory, record, delta=0, mask=0x01):
    """Flips bits of one byte `delta` bytes into `record` (from kb_make_test_log's report)."""
    path = pathlib.Path(directory) / record["file"]
    data = bytearray(path.read_bytes())
    data[record["offset"] + delta] ^= mask
    path.write_bytes(bytes(data))


def write_keys(path, keys, comment="# trusted replicas\n"):
    path.write_text(comment + "".join(key + "\n" for key in keys))
    return path


@pytest.fixture
def log(tmp_path):
    info = make_log(tmp_path / "data", "--records", 20, "--attest-every", 5, "--cosigners", 1)
    info["dir"] = tmp_path / "data"
    return info


def test_intact_log_exits_zero(log):
    result = kmb("verify", "--data-dir", log["dir"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: the log is intact" in result.stdout
    assert f"positions 1..{log['last_position']}" in result.stdout
    assert "trust NOT established" in result.stdout
    assert "AEAD tags:      not checked" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_trusted_keys_cover_every_signer(log, tmp_path):
    keys = write_keys(tmp_path / "keys", log["signers"])
    result = kmb("verify", "--data-dir", log["dir"], "--trusted-keys", keys)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every signer is one of 2 trusted keys (--trusted-keys)" in result.stdout
    assert f"{len(log['attestations'])} checked" in result.stdout


def test_untrusted_cosigner_is_damage_naming_the_key(log, tmp_path):
    keys = write_keys(tmp_path / "keys", log["signers"][:1])
    result = kmb("verify", "--data-dir", log["dir"], "--trusted-keys", keys)
    assert result.returncode == 1, result.stdout + result.stderr
    first_cosignature = log["attestations"][0] + 1
    assert f"position {first_cosignature} " in result.stdout
    assert f"untrusted key {log['signers'][1]}" in result.stdout


def test_malformed_trusted_keys_file_is_a_usage_error(log, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(log["signers"][0] + "\n\nnot-a-key\n")
    result = kmb("verify", "--data-dir", log["dir"], "--trusted-keys", keys)
    assert result.returncode == 2
    assert f"{keys} line 3" in result.stderr
    result = kmb("verify", "--data-dir", log["dir"], "--trusted-keys", tmp_path / "missing")
    assert result.returncode == 2
    assert "cannot open" in result.stderr


@pytest.mark.parametrize("delta", [0, 40, 151, 152, 170])
def test_flipped_byte_in_acknowledged_record_names_file_position_offset(log, delta):
    record = log["records"][6]
    flip(log["dir"], record, delta)
    result = kmb("verify", "--data-dir", log["dir"])
    assert result.returncode == 1, result.stdout
    damaged = [line for line in result.stdout.splitlines() if line.startswith("DAMAGED: ")]
    what = {0: "bad record magic", 40: "header checksum mismatch",
            151: f"position {record['position']}: payload checksum mismatch",
            152: f"position {record['position']}: payload checksum mismatch",
            170: f"position {record['position']}: payload checksum mismatch"}[delta]
    assert damaged == [f"DAMAGED: {log['dir']}/{record['file']} position {record['position']} "
                       f"(offset {record['offset']}): {what}"]


def test_json_report(log):
    result = kmb("verify", "--data-dir", log["dir"], "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["result"] == "intact"
    assert report["records"] == log["last_position"]
    assert report["last_chain_hash"] == log["records"][-1]["chain_hash"]
    assert report["durable_position"] == log["durable_position"]
    assert report["failure"] is None and report["tail"] is None

    record = log["records"][3]
    flip(log["dir"], record, 170)
    result = kmb("verify", "--data-dir", log["dir"], "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["result"] == "damaged"
    assert report["failure"]["position"] == record["position"]
    assert report["failure"]["offset"] == record["offset"]
    assert report["failure"]["file"] == f"{log['dir']}/{record['file']}"


def test_damage_beyond_the_durable_mark_ends_the_tail(tmp_path):
    info = make_log(tmp_path / "data", "--records", 12, "--attest-every", 0, "--unmarked", 3)
    last = info["records"][-1]
    flip(tmp_path / "data", last, 155)  # in the payload (the header is 152 bytes)
    result = kmb("verify", "--data-dir", tmp_path / "data")
    assert result.returncode == 0, result.stdout
    assert "OK: the log is intact" in result.stdout
    tail = [line for line in result.stdout.splitlines() if line.startswith("Tail:")]
    assert len(tail) == 1
    assert f"durable mark at position {info['durable_position']}" in tail[0]
    assert f"the log ends at position {last['position'] - 1}" in tail[0]

    # The same damage at or below the mark is reported.
    flip(tmp_path / "data", info["records"][info["durable_position"] - 1], 155)
    result = kmb("verify", "--data-dir", tmp_path / "data")
    assert result.returncode == 1
    assert f"position {info['durable_position']} " in result.stdout


def test_digest_round_trip_and_stdout(log, tmp_path):
    digest_path = tmp_path / "digest.json"
    result = kmb("digest", "--data-dir", log["dir"], "--output", digest_path)
    assert result.returncode == 0, result.stderr
    assert f"to {digest_path}" in result.stderr
    digest = json.loads(digest_path.read_text())
    assert digest["format"] == "kimberlite-digest" and digest["version"] == 1
    newest = log["attestations"][-1]
    assert digest["attestation_position"] == newest
    assert digest["position"] == newest - 1
    assert digest["chain_hash"] == log["records"][newest - 2]["chain_hash"]
    assert [s["public_key"] for s in digest["signatures"]] == log["signers"]
    assert digest["timestamp_utc"].endswith("Z")

    printed = kmb("digest", "--data-dir", log["dir"])
    assert printed.returncode == 0
    assert json.loads(printed.stdout) == digest

    result = kmb("verify", "--data-dir", log["dir"], "--digest", digest_path)
    assert result.returncode == 0, result.stdout
    assert "OK: the log is intact and extends the digest" in result.stdout
    assert "every signer is one of 2 trusted keys (--digest)" in result.stdout


def test_longer_log_extends_an_older_digest(tmp_path):
    make_log(tmp_path / "short", "--records", 10, "--attest-every", 5)
    make_log(tmp_path / "long", "--records", 30, "--attest-every", 5)
    assert kmb("digest", "--data-dir", tmp_path / "short", "--output",
               tmp_path / "d.json").returncode == 0
    result = kmb("verify", "--data-dir", tmp_path / "long", "--digest", tmp_path / "d.json")
    assert result.returncode == 0, result.stdout

    # The other way round: the digest is beyond the shorter log.
    assert kmb("digest", "--data-dir", tmp_path / "long", "--output",
               tmp_path / "d2.json").returncode == 0
    result = kmb("verify", "--data-dir", tmp_path / "short", "--digest", tmp_path / "d2.json")
    assert result.returncode == 1
    assert "is beyond the end of the log (last position 14)" in result.stdout


def test_different_log_does_not_extend_the_digest(log, tmp_path):
    assert kmb("digest", "--data-dir", log["dir"], "--output", tmp_path / "d.json").returncode == 0
    make_log(tmp_path / "other", "--records", 20, "--attest-every", 5, "--seed", 2)
    result = kmb("verify", "--data-dir", tmp_path / "other", "--digest", tmp_path / "d.json")
    assert result.returncode == 1
    assert "this log does not extend the digest" in result.stdout


def test_tampered_digest_and_malformed_digest(log, tmp_path):
    assert kmb("digest", "--data-dir", log["dir"], "--output", tmp_path / "d.json").returncode == 0
    digest = json.loads((tmp_path / "d.json").read_text())
    digest["timestamp"] += 1  # the signatures no longer cover what it says
    (tmp_path / "t.json").write_text(json.dumps(digest))
    result = kmb("verify", "--data-dir", log["dir"], "--digest", tmp_path / "t.json")
    assert result.returncode == 1
    assert f"DAMAGED: {tmp_path / 't.json'}: digest signature by" in result.stdout

    (tmp_path / "bad.json").write_text('{"format": "kimberlite-digest", "version": 1}')
    result = kmb("verify", "--data-dir", log["dir"], "--digest", tmp_path / "bad.json")
    assert result.returncode == 2
    assert "missing \"position\"" in result.stderr


def test_digest_of_a_log_without_attestations(tmp_path):
    make_log(tmp_path / "data", "--records", 5, "--attest-every", 0)
    result = kmb("digest", "--data-dir", tmp_path / "data")
    assert result.returncode == 1
    assert "holds no attestation to export" in result.stderr
    assert result.stdout == ""


def test_digest_refuses_a_damaged_log(log):
    flip(log["dir"], log["records"][2], 10)
    result = kmb("digest", "--data-dir", log["dir"])
    assert result.returncode == 1
    assert "the log is damaged, not exporting a digest" in result.stderr


def test_usage_and_io_errors_exit_two(tmp_path):
    assert kmb("verify", "--data-dir", tmp_path / "missing").returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = kmb("verify", "--data-dir", empty)
    assert result.returncode == 2
    assert "not a Kimberlite data directory" in result.stderr
    assert kmb("verify", "--no-such-flag").returncode == 2
    assert kmb("digest", "--data-dir", tmp_path / "missing").returncode == 2


def test_runs_while_another_process_holds_the_data_dir_lock(log):
    # A running server holds an exclusive lock on DIR/LOCK; verify must not need it.
    lock_path = pathlib.Path(log["dir"]) / "LOCK"
    with open(lock_path, "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = kmb("verify", "--data-dir", log["dir"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_progress_bar_only_on_a_terminal(tmp_path):
    make_log(tmp_path / "data", "--records", 200, "--attest-every", 50)
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([KMB, "verify", "--data-dir", str(tmp_path / "data")],
                                   stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        stdout, _ = process.communicate(timeout=60)
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    assert process.returncode == 0
    assert b"verifying [" in drawn and b"100%" in drawn
    assert drawn.endswith(b"\r\x1b[K")  # the bar is erased before the summary
    assert b"\x1b" not in stdout and b"OK: the log is intact" in stdout
