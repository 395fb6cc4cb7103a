"""End-to-end: `GET /metrics` of a running `kmb server` is valid Prometheus text (every metric
has # HELP and # TYPE lines before its samples, counters end in _total, histogram buckets are
cumulative and end with le="+Inf" equal to _count), and after N inserts the ops counter, the
fsync counter, the commit-latency histogram's count and the log's size have all grown.
"""
import re
import urllib.request

import psycopg
import pytest

from kmb_server import KmbServer

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("metrics"))).start()
    yield running
    running.stop()


def scrape(server):
    """The /metrics body parsed and checked: {family: type}, {sample (with labels): value}."""
    response = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics",
                                      timeout=10)
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.read().decode()
    assert text.endswith("\n")
    types, helps, samples = {}, set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helps, f"TYPE before HELP: {line}"
            assert name not in types, f"declared twice: {name}"
            assert kind in ("counter", "gauge", "histogram"), line
            assert (kind == "counter") == name.endswith("_total"), line
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if family not in types and family.endswith(suffix):
                family = family[: -len(suffix)]
        assert family in types, f"sample before its TYPE: {line}"
        float(value)
        samples[name + (labels or "")] = float(value)
    for family, kind in types.items():
        if kind != "histogram":
            continue
        buckets = [(key, value) for key, value in samples.items()
                   if key.startswith(family + "_bucket{")]
        assert buckets and buckets[-1][0] == family + '_bucket{le="+Inf"}'
        counts = [value for _, value in buckets]
        assert counts == sorted(counts), f"{family} buckets are not cumulative: {buckets}"
        assert counts[-1] == samples[family + "_count"]
        assert family + "_sum" in samples
    return types, samples


def test_metrics_text_is_valid_and_has_every_metric(server):
    types, samples = scrape(server)
    for name, kind in {
        "kimberlite_connections_open": "gauge",
        "kimberlite_connections_total": "counter",
        "kimberlite_connections_refused_total": "counter",
        "kimberlite_log_position": "gauge",
        "kimberlite_applied_position": "gauge",
        "kimberlite_log_bytes": "gauge",
        "kimberlite_log_segments": "gauge",
        "kimberlite_ops_committed_total": "counter",
        "kimberlite_ops_refused_total": "counter",
        "kimberlite_commit_latency_seconds": "histogram",
        "kimberlite_fsyncs_total": "counter",
    }.items():
        assert types.get(name) == kind, name
    assert samples['kimberlite_commit_latency_seconds_bucket{le="0.0001"}'] >= 0
    assert samples['kimberlite_commit_latency_seconds_bucket{le="10"}'] >= 0


def test_writes_move_the_counters(server):
    rows = 40
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS m (id int PRIMARY KEY, v text)")
        _, before = scrape(server)
        for i in range(rows):
            conn.execute("INSERT INTO m VALUES (%s, %s)", (i, "row %d" % i))
        # A refused write (a duplicate key) logs nothing.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO m VALUES (0, 'again')")
        _, after = scrape(server)
        assert after["kimberlite_connections_open"] >= 1

    def grew(name, by=1):
        assert after[name] >= before[name] + by, (name, before[name], after[name])

    grew("kimberlite_ops_committed_total", rows)
    grew("kimberlite_commit_latency_seconds_count", rows)
    assert (after["kimberlite_commit_latency_seconds_sum"]
            > before["kimberlite_commit_latency_seconds_sum"])
    grew("kimberlite_fsyncs_total")  # every commit waited for a sync (group commit may share)
    grew("kimberlite_log_bytes", rows)  # each insert is a record of more than one byte
    grew("kimberlite_log_position", rows)
    grew("kimberlite_applied_position", rows)
    assert after["kimberlite_ops_committed_total"] <= after["kimberlite_log_position"]
    # The duplicate key was refused at the statement, before any op was submitted, or by
    # admission; either way no commit was counted for it.
    assert (after["kimberlite_ops_committed_total"] - before["kimberlite_ops_committed_total"]
            == rows)
