"""End-to-end tests of `kmb rebuild`: a database written with the embedded API
(kb_make_test_db) has its store thrown away and derived again from the log, and the result must
equal the store the database kept live (same state hash at the old checkpoint's position).
"""
import json
import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
KMB = os.environ.get("KMB", str(ROOT / "build/release/src/cli/kmb"))
MAKE_DB = os.environ.get("KB_MAKE_TEST_DB", str(ROOT / "build/release/tests/kb_make_test_db"))


def make_db(tmp_path, *args):
    data, keys = tmp_path / "data", tmp_path / "keys"
    out = subprocess.run([MAKE_DB, "--data-dir", data, "--key-dir", keys, *map(str, args)],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    return data, keys, json.loads(out)


def rebuild(data, keys, *args):
    return subprocess.run([KMB, "rebuild", "--data-dir", data, "--key-dir", keys, "--json",
                           *args], capture_output=True, text=True, timeout=300)


def test_rebuild_equals_the_live_store(tmp_path):
    data, keys, made = make_db(tmp_path)
    result = rebuild(data, keys)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["compared"] and report["matched"]
    assert report["applied_position"] == made["applied_position"]
    assert report["old_applied_position"] == made["applied_position"]
    assert not (data / "rebuild-old").exists()
    # Rebuilding the rebuilt store gives the same state again.
    again = json.loads(rebuild(data, keys).stdout)
    assert again["matched"] and again["state_hash"] == report["state_hash"]


def test_rebuild_replays_past_an_old_checkpoint(tmp_path):
    # Checkpoints are rare here, so the old store is behind the log: the comparison happens
    # part-way through the replay, which then goes on to the end.
    data, keys, made = make_db(tmp_path, "--checkpoint-every", 100000)
    result = rebuild(data, keys, "--keep-old")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["matched"]
    assert report["applied_position"] == made["applied_position"]
    assert (data / "rebuild-old" / "store").is_dir()


def test_rebuild_without_a_store_or_keys(tmp_path):
    data, keys, made = make_db(tmp_path, "--rows", 5, "--events", 5)
    shutil.rmtree(data / "store")
    result = rebuild(data, keys)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["compared"]
    assert report["applied_position"] == made["applied_position"]

    wrong = tmp_path / "no-keys"
    wrong.mkdir()
    missing = rebuild(data, wrong)
    assert missing.returncode == 2
    assert "master.key" in missing.stderr


def test_rebuild_refuses_to_overwrite_a_kept_old_store(tmp_path):
    data, keys, _ = make_db(tmp_path, "--rows", 1, "--events", 1)
    (data / "rebuild-old").mkdir()
    result = rebuild(data, keys)
    assert result.returncode == 2
    assert "rebuild-old" in result.stderr
