"""Processes, ports and raw HTTP for the gateway integration tests.

Every process is started by `Service`, which keeps its PID and log files, waits for
readiness with a deadline (never a bare sleep), and stops it by PID (SIGTERM, then
SIGKILL after a bound). `Service.logs()` is printed when a test fails.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    """A port the kernel just handed out on 127.0.0.1 (closed again for the process to bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """One started process with its logs in `directory`."""

    all_started = []

    def __init__(self, name, argv, directory, env=None):
        self.name = name
        self.argv = argv
        self.stdout_path = os.path.join(directory, f"{name}.stdout.log")
        self.stderr_path = os.path.join(directory, f"{name}.stderr.log")
        self.stdout = open(self.stdout_path, "wb")
        self.stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(argv, stdout=self.stdout, stderr=self.stderr, stdin=subprocess.DEVNULL,
                                        env=env, cwd=directory, start_new_session=True)
        self.pid = self.process.pid
        Service.all_started.append(self)

    def running(self):
        return self.process.poll() is None

    def wait_for_line(self, prefix, timeout=30):
        """The first stdout line starting with `prefix`, waited for at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stdout_path, "r", errors="replace") as out:
                for line in out:
                    if line.startswith(prefix):
                        return line.strip()
            if not self.running():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} before printing `{prefix}`\n{self.logs()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not print `{prefix}` within {timeout}s\n{self.logs()}")

    def wait_until(self, probe, what, timeout=30):
        """Polls `probe()` until it returns true, at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} while waiting for {what}\n{self.logs()}")
            try:
                if probe():
                    return
            except (OSError, http.client.HTTPException) as error:
                last = error
            time.sleep(0.05)
        raise TimeoutError(f"{self.name}: {what} not reached within {timeout}s (last error: {last})\n{self.logs()}")

    def stop(self, timeout=10):
        if self.running():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        self.stdout.close()
        self.stderr.close()
        if self in Service.all_started:
            Service.all_started.remove(self)

    def logs(self, limit=8000):
        text = ""
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            try:
                with open(path, "r", errors="replace") as log:
                    content = log.read()
            except OSError:
                content = ""
            text += f"----- {self.name} {label} (pid {self.pid}) -----\n{content[-limit:]}\n"
        return text


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[0] if values else None

    @property
    def reached_upstream(self):
        return isinstance(self.json, dict) and self.json.get("echo") is True

    def upstream_headers(self, name):
        """Every value of header `name` (exact spelling, case-insensitive) the upstream received."""
        if not self.reached_upstream:
            return []
        return [value for key, value in self.json["headers"] if key.lower() == name.lower()]

    def upstream_header_names(self):
        return [key.lower() for key, _ in self.json["headers"]] if self.reached_upstream else []

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def raw_request(port, method, target, host, headers=(), timeout=10):
    """Sends the request-target exactly as given (no normalisation) with http.client."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return Response(response.status, response.getheaders(), body)
    finally:
        connection.close()


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)
