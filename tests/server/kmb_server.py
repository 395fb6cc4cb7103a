"""Starts and stops a real `kmb server` for end-to-end tests (tests/server/*_test.py).

The server gets a private data directory and key directory, port 0 for pgwire and HTTP (the
bound ports come from its JSON "ready" log line), and KMB_ADMIN_PASSWORD. Everything listens on
127.0.0.1 only.
"""
import json
import os
import signal
import subprocess
import threading
import time

KMB = os.environ.get("KMB", "kmb")
ADMIN_PASSWORD = "correct horse battery staple"


class KmbServer:
    def __init__(self, root, extra_args=(), env=None):
        self.root = root
        self.data_dir = os.path.join(root, "data")
        self.key_dir = os.path.join(root, "keys")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, KMB_ADMIN_PASSWORD=ADMIN_PASSWORD, **(env or {}))
        self.process = None
        self.port = None
        self.http_port = None
        self.log_lines = []

    def start(self, timeout=60):
        args = [KMB, "server", "--data-dir", self.data_dir, "--key-dir", self.key_dir,
                "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
                "--log-format", "json"] + self.extra_args
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=self.env, text=True)
        ready = threading.Event()

        def read_log():
            for line in self.process.stderr:
                self.log_lines.append(line.rstrip("\n"))
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "ready":
                    self.port = int(event["listen"].rsplit(":", 1)[1])
                    http = event.get("http", "off")
                    self.http_port = None if http == "off" else int(http.rsplit(":", 1)[1])
                    ready.set()

        threading.Thread(target=read_log, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("kmb server did not start:\n" + "\n".join(self.log_lines))
        return self

    def conninfo(self, user="admin", password=ADMIN_PASSWORD, dbname="default", **extra):
        parts = {"host": "127.0.0.1", "port": self.port, "user": user, "password": password,
                 "dbname": dbname, "sslmode": "disable", "connect_timeout": 10}
        parts.update(extra)
        return " ".join(f"{key}='{value}'" for key, value in parts.items())

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the server and returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)
