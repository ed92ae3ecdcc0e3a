"""Lanes of limited child processes for the differential run.

A lane holds one mwt child and one oracle child (worker.py), each with its own RLIMIT_AS, and
runs one case at a time on both. Each answer has a deadline (the watchdog): a child that does
not answer in time is killed and the case recorded as ``hang``; one that dies is ``crash``
(the signal or exit status kept), one that reports a MemoryError is ``limit``. The child is
then restarted for the next case.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any, Dict, Optional

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Child:
    def __init__(self, side: str, seeds_dir: str, limit: int, timeout: float) -> None:
        self.side, self.seeds_dir, self.limit, self.timeout = side, seeds_dir, limit, timeout
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.buf = b""
        self.restarts = 0

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MWT_NUM_THREADS="1", PYTHONHASHSEED="0")
        self.err_path = os.path.join(os.path.dirname(self.seeds_dir), f"{self.side}-{id(self)}.err")
        err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.differential.worker", self.side, self.seeds_dir,
             str(self.limit)], cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=err)
        err.close()
        self.buf = b""
        return self.proc

    def send(self, case_id: int) -> None:
        proc = self.proc if self.proc is not None and self.proc.poll() is None else self._start()
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps({"case": case_id}).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            pass  # it died: receive() reports the crash
        self.sent_at = time.monotonic()

    def _kill(self) -> None:
        if self.proc is not None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self.proc = None
            self.restarts += 1

    def receive(self, startup_grace: float) -> Dict[str, Any]:
        """The child's answer, or {"status": "hang" | "crash" | "limit", ...}."""
        proc = self.proc
        assert proc is not None and proc.stdout is not None
        deadline = self.sent_at + self.timeout + startup_grace
        fd = proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._kill()
                return {"status": "hang", "timeout": self.timeout}
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                rc = proc.wait()
                self.proc = None
                self.restarts += 1
                return {"status": "crash", "returncode": rc, "stderr": self._stderr_tail()}
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        res: Dict[str, Any] = json.loads(line)
        if res.get("limit"):
            self._kill()
            return {"status": "limit"}
        res["status"] = "ok"
        return res

    def _stderr_tail(self) -> str:
        try:
            with open(self.err_path, "rb") as f:
                return f.read()[-600:].decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill()
            self.proc = None


class Lane:
    def __init__(self, seeds_dir: str, limit: int, timeout: float) -> None:
        self.mwt = Child("mwt", seeds_dir, limit, timeout)
        self.oracle = Child("oracle", seeds_dir, limit, timeout)

    def run(self, case_id: int) -> Dict[str, Dict[str, Any]]:
        fresh = (self.mwt.proc is None, self.oracle.proc is None)
        self.mwt.send(case_id)
        self.oracle.send(case_id)
        # A (re)started child first imports numpy and the readers: that is not the case's time.
        return {"mwt": self.mwt.receive(20.0 if fresh[0] else 0.0),
                "oracle": self.oracle.receive(20.0 if fresh[1] else 0.0)}

    def close(self) -> None:
        self.mwt.close()
        self.oracle.close()
