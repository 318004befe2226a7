"""A real Redis primary, one replica and three sentinels on loopback ports, for failover tests.

Sentinels run as `redis-server <conf> --sentinel` (the same binary; Debian's `redis-sentinel`
package is only a symlink to it). Timings are cut down (down-after 1 s, failover-timeout 5 s)
so a failover takes a few seconds and the suite stays quick.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import redis as redis_lib

from tests.conftest import free_port, redis_server_binary

MASTER = "baara"


class SentinelStack:
    """Primary + replica (AOF each) + three sentinels; `kill_primary()` as a crash would."""

    def __init__(self, folder: Path, master: str = MASTER) -> None:
        self.folder = folder
        self.master = master
        self.data_ports = [free_port(), free_port()]
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def sentinels(self) -> str:
        """REDIS_SENTINELS for this stack."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _spawn(self, port: int, args: list[str]) -> None:
        log = open(self.folder / f"redis-{port}.log", "w")  # noqa: SIM115 - the child owns it
        self.procs[port] = subprocess.Popen(
            [redis_server_binary(), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        log.close()

    def _data_server(self, port: int, replica_of: int | None) -> None:
        folder = self.folder / str(port)
        folder.mkdir(exist_ok=True)
        args = [
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            # A replica promoted by the sentinels answers writes at once.
            "--replica-read-only",
            "yes",
            "--repl-diskless-sync",
            "no",
        ]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self._spawn(port, args)

    def _sentinel(self, port: int) -> None:
        primary = self.data_ports[0]
        conf = self.folder / f"sentinel-{port}.conf"
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.folder}\n"
            f"sentinel monitor {self.master} 127.0.0.1 {primary} 2\n"
            f"sentinel down-after-milliseconds {self.master} 1000\n"
            f"sentinel failover-timeout {self.master} 5000\n"
            f"sentinel parallel-syncs {self.master} 1\n"
        )
        self._spawn(port, [str(conf), "--sentinel", "--loglevel", "warning"])

    def start(self, timeout: float = 30) -> SentinelStack:
        """Start everything; return once the sentinels agree on the primary and its replica."""
        primary, replica = self.data_ports
        self._data_server(primary, None)
        self._wait_ping(primary, timeout)
        self._data_server(replica, primary)
        self._wait_ping(replica, timeout)
        for port in self.sentinel_ports:
            self._sentinel(port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"sentinel stack not ready; logs in {self.folder}")

    def _wait_ping(self, port: int, timeout: float) -> None:
        client = redis_lib.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis_lib.ConnectionError, redis_lib.BusyLoadingError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {port} did not start")

    def _ready(self) -> bool:
        try:
            replicas = redis_lib.Redis(port=self.data_ports[0]).info("replication")
            if replicas.get("connected_slaves", 0) < 1:
                return False
            for port in self.sentinel_ports:
                client = redis_lib.Redis(port=port, decode_responses=True, socket_timeout=1)
                seen = client.execute_command("SENTINEL", "REPLICAS", self.master)
                known = client.execute_command("SENTINEL", "SENTINELS", self.master)
                if not seen or len(known) < 2:
                    return False
        except redis_lib.RedisError:
            return False
        return True

    def primary_port(self) -> int:
        """The port the sentinels currently name as primary."""
        client = redis_lib.Redis(port=self.sentinel_ports[0], decode_responses=True)
        _, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.master)
        return int(port)

    def kill_primary(self) -> int:
        """SIGKILL the current primary; its port."""
        port = self.primary_port()
        proc = self.procs.pop(port)
        proc.kill()
        proc.wait(timeout=10)
        return port

    def stop(self) -> None:
        """Stop every process still running."""
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()
