"""Shared parts of the load benchmarks: start a server, a small keep-alive HTTP client.

Traffic goes to 127.0.0.1 only, bounded in requests and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args: list[str], port: int, env: dict[str, str] | None = None,
                 health: str = "/healthz", log: Path | None = None) -> subprocess.Popen:
    """Start a server and wait for its health page. With `log`, its output goes to that
    file (a long run's warnings can't fill a pipe nobody reads and stall it)."""
    output = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=output or subprocess.DEVNULL,
        stderr=output or subprocess.PIPE,
    )
    if output:
        output.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_bytes() if log else process.stderr.read()
            raise RuntimeError(f"server exited: {said.decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1):  # noqa: S310
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not answer in 30 s")


def app_command(db: str, port: int) -> list[str]:
    return ["-m", "codesign.cli", "serve", "--demo", "--db", db, "--port", str(port),
            "--log-level", "warning"]


APP_ENV = {"CODESIGN_PUBLIC_POSTS_PER_MINUTE": "100000000"}


def app_env(database_url: str | None = None, **more: str) -> dict[str, str]:
    """The app's environment for a benchmark: its PostgreSQL database if one is named
    (otherwise SQLite, and any CODESIGN_DATABASE_URL of the caller's is dropped)."""
    return {**APP_ENV, "CODESIGN_DATABASE_URL": database_url or "", **more}


def postgres_bin() -> Path:
    """Debian keeps each PostgreSQL major version's programs in /usr/lib/postgresql/N/bin."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL server programs: apt-get install postgresql")
    return found[-1]


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 at a free port, trusting loopback.

    Durable settings (fsync and synchronous commit on, PostgreSQL's defaults), so its
    figures compare with SQLite's synchronous=FULL. Run as the `postgres` user when
    this process is root (initdb refuses root). Stopped, and its folder removed, by
    `stop` (a context manager does it on any exit, Ctrl-C included).
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="codesign-pg-"))
        self.port = free_port()
        self._running = False

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        data = str(self.folder / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self._running = True  # from here on, stop() tries to stop it
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", str(self.folder / "server.log"),
                  "-w", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                  " -c max_connections=200", "start")
        return self

    def stop(self) -> None:
        if self._running:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
                          "-m", "immediate", "stop")
            self._running = False
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        return new_postgres_database(self.url(), name)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def new_postgres_database(base_url: str, name: str) -> str:
    """A fresh database `name` on the server of `base_url`; returns its URL."""
    import asyncpg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a plain database name: {name!r}")

    async def create() -> None:
        conn = await asyncpg.connect(base_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    head, _, tail = base_url.partition("?")
    return head.rsplit("/", 1)[0] + f"/{name}" + (f"?{tail}" if tail else "")


async def read_save_keys(database: str) -> list[str]:
    """Every idempotency key stored in answer_saves, one per row (a key stored twice
    would come twice); `database` is a PostgreSQL URL or a SQLite file."""
    if database.startswith(("postgresql:", "postgres:")):
        import asyncpg

        conn = await asyncpg.connect(database)
        try:
            return [r[0] for r in await conn.fetch("SELECT idempotency_key FROM answer_saves")]
        finally:
            await conn.close()
    import sqlite3

    conn = sqlite3.connect(database)
    try:
        return [r[0] for r in conn.execute("SELECT idempotency_key FROM answer_saves")]
    finally:
        conn.close()


def client_address(n: int) -> str:
    """A loopback source address for simulated phone n (all of 127.0.0.0/8 is local).

    Real participants reach the server from many addresses, and the rate limits are
    per address; one shared address would make every save pay for everyone's history.
    """
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


class Connection:
    """One keep-alive HTTP/1.1 connection sending prepared requests."""

    def __init__(self, port: int, source: str | None = None) -> None:
        self.port = port
        self.source = source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=(self.source, 0) if self.source else None
        )

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass

    async def request(self, method: str, path: str, headers: dict[str, str],
                      body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        response_headers: dict[str, str] = {}
        cookies = []
        for line in header_lines:
            if ":" in line:
                key, value = line.split(":", 1)
                if key.lower() == "set-cookie":
                    cookies.append(value.strip())
                response_headers[key.lower()] = value.strip()
        response_headers["_cookies"] = "\n".join(cookies)
        if response_headers.get("transfer-encoding") == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(int(response_headers.get("content-length", 0)))
        return status, response_headers, data


def cookie_values(set_cookie: str) -> dict[str, str]:
    found = {}
    for line in set_cookie.split("\n"):
        if "=" in line:
            name, rest = line.split("=", 1)
            found[name.strip()] = rest.split(";", 1)[0]
    return found


async def participant(port: int, source: str | None = None
                      ) -> tuple[Connection, dict[str, str], str]:
    """Consent on the demo round; returns the connection, headers for saves, and a field."""
    conn = Connection(port, source)
    status, headers, body = await conn.request("GET", "/r/demo", {})
    cookies = cookie_values(headers["_cookies"])
    token = re.search(rb'name="_csrf_token" value="([^"]+)"', body).group(1).decode()
    start_key = re.search(rb'name="start_key" value="([^"]+)"', body).group(1).decode()
    cookie_header = f"csrftoken={cookies['csrftoken']}"
    form = f"_csrf_token={token}&start_key={start_key}&consent=yes&may_quote=no".encode()
    status, headers, _ = await conn.request(
        "POST", "/r/demo/start",
        {"Cookie": cookie_header, "Content-Type": "application/x-www-form-urlencoded"}, form,
    )
    if status != 303:
        raise RuntimeError(f"consent answered {status}")
    cookies.update(cookie_values(headers["_cookies"]))
    participant_cookie = next(k for k in cookies if k.startswith("cs_"))
    status, headers, body = await conn.request(
        "GET", "/r/demo/s/1",
        {"Cookie": f"{cookie_header}; {participant_cookie}={cookies[participant_cookie]}"},
    )
    field = re.findall(rb'<textarea id="(q\d+)"', body)[0].decode()
    save_headers = {
        "Cookie": f"{cookie_header}; {participant_cookie}={cookies[participant_cookie]}",
        "Content-Type": "application/x-www-form-urlencoded",
        "x-csrftoken": token,
        "hx-request": "true",
    }
    return conn, save_headers, f"_csrf_token={token}&{field}="


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
