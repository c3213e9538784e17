"""Two replicas on PostgreSQL behind haproxy: throughput, a replica killed under load,
and the code-guess limit across replicas.

    python benchmarks/replicas.py [--clients 50] [--rounds 2] [--seconds 8]
                                  [--kill-seconds 12] [--kill-after 4]

Run by hand (not part of the test suite). Needs Debian's `postgresql` and `haproxy`
packages. Everything runs on loopback and is thrown away at the end (also on
Ctrl-C or a failure):

- a PostgreSQL cluster of its own (a temporary folder, a free port, 127.0.0.1 only,
  PostgreSQL's durable defaults: fsync and synchronous commit on);
- replicas of the app (`codesign serve --demo`, one process each, with
  CODESIGN_DATABASE_URL and CODESIGN_TRUSTED_PROXIES=127.0.0.1 so haproxy's
  X-Forwarded-For names the client);
- haproxy (config written to the temporary folder): round-robin over the two
  replicas, health checks on /healthz, each answer marked with the server that gave
  it (X-Served-By).

Then, in order:

1. Figures: saves/s, p50 and p99 for (a) SQLite on one node, (b) PostgreSQL with one
   replica, straight to it, (b') the same replica through haproxy (what the proxy
   costs), (c) PostgreSQL with two replicas behind haproxy; the targets take turns in
   short rounds, so a shared machine's slow spells fall on all of them.
2. Code guesses: wrong private codes from one client address through haproxy, which
   alternates replicas: the 11th within the clock minute must be refused (429).
3. The kill: `--clients` participants autosave through haproxy, each save with its own
   idempotency key, sent again with the same key after a connection error or a 5xx
   until acknowledged; one replica gets SIGKILL mid-load. Afterwards PostgreSQL is read
   directly: every acknowledged key must be stored (0 lost), no key stored twice and no
   question answered twice by one participant (0 duplicates), and each participant's
   stored answer must be its last acknowledged one.
4. The analysis handover: app1 is started again (haproxy takes it back), 300
   submitted demo answers are added (`codesign demo-answers`), the demo organizer
   signs in on app1 and starts a run there while app2 is paused (SIGSTOP, so that
   app1's worker is the one that takes the job); app1 is SIGKILLed while the run is
   running, app2 goes on (SIGCONT), and the run must end "done", with themes, on app2
   once app1's heartbeat is older than the stall window (5 s here; 60 s by default).

Ends with one line per check:

    code_guess: refused_at=11 ... ok
    kill: acknowledged=N lost=0 duplicates=0 ... ok
    analysis_run: status=done ... ok

and exit status 0 only when every check held. The machine is shared: compare figures
within one run, and repeat the run to see their spread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._load import (  # noqa: E402
    Connection,
    app_command,
    app_env,
    client_address,
    cookie_values,
    free_port,
    participant,
    percentile,
    postgres_cluster,
    read_save_keys,
    start_server,
)
from benchmarks.answer_saves import drive, report  # noqa: E402

#: The address every replica trusts to say who the client is: haproxy's, on loopback.
PROXY = "127.0.0.1"
#: A save not acknowledged this long after it was first sent counts as given up.
GIVE_UP_S = 30.0


# haproxy --------------------------------------------------------------------------

HAPROXY_CONFIG = """\
global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A request whose connection to a replica was refused is sent to another one
    # (nothing reached the refused replica, so this is safe for POSTs too).
    retries 3
    option redispatch 1

frontend two
    bind 127.0.0.1:{two_port}
    http-request del-header X-Forwarded-For
    option forwardfor
    default_backend two_replicas

frontend one
    bind 127.0.0.1:{one_port}
    http-request del-header X-Forwarded-For
    option forwardfor
    default_backend one_replica

frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats

backend two_replicas
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    http-response set-header X-Served-By %s
    default-server check inter 500ms fall 2 rise 2
{two_servers}

backend one_replica
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    http-response set-header X-Served-By %s
    default-server check inter 500ms fall 2 rise 2
{one_servers}
"""


class Haproxy:
    """Debian's haproxy in the foreground, config in `folder`."""

    def __init__(self, folder: Path, two: dict[str, int], one: dict[str, int]) -> None:
        self.two_port, self.one_port, self.stats_port = free_port(), free_port(), free_port()
        self.config = folder / "haproxy.cfg"
        self.config.write_text(HAPROXY_CONFIG.format(
            two_port=self.two_port, one_port=self.one_port, stats_port=self.stats_port,
            two_servers="\n".join(f"    server {n} 127.0.0.1:{p}" for n, p in two.items()),
            one_servers="\n".join(f"    server {n} 127.0.0.1:{p}" for n, p in one.items()),
        ))
        self.log = folder / "haproxy.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Haproxy:
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(haproxy).exists():
            raise RuntimeError("haproxy is missing: apt-get install haproxy")
        subprocess.run([haproxy, "-c", "-q", "-f", str(self.config)], check=True)  # noqa: S603
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [haproxy, "-db", "-f", str(self.config)], stdout=out, stderr=out
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if all(s == "UP" for s in self.servers().values()):
                    return self
            time.sleep(0.2)
        raise RuntimeError("haproxy's servers did not come up in 20 s")

    def servers(self) -> dict[str, str]:
        """Each server's state in haproxy ("UP", "DOWN", …), by backend/name."""
        return {k: v["status"] for k, v in self.stats().items()}

    def stats(self) -> dict[str, dict[str, str]]:
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback
            text = answer.read().decode().lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {f"{r['pxname']}/{r['svname']}": r for r in rows
                if r["svname"] not in ("FRONTEND", "BACKEND")}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# Code guesses ---------------------------------------------------------------------

async def code_guesses(port: int, guesses: int, source: str) -> list[tuple[int, str]]:
    """Wrong private codes from one client address, each on a new connection (haproxy
    balances per request anyway); returns (status, replica) for each guess."""
    # All guesses in one clock minute (database windows are clock minutes).
    into_minute = time.time() % 60
    if into_minute > 45:
        await asyncio.sleep(61 - into_minute)
    conn = Connection(port, source)
    status, headers, body = await conn.request("GET", "/r/demo/resume", {})
    await conn.close()
    if status != 200:
        raise RuntimeError(f"the resume page answered {status}")
    csrf = cookie_values(headers["_cookies"])["csrftoken"]
    token = re.search(rb'name="_csrf_token" value="([^"]+)"', body).group(1).decode()
    answers = []
    for n in range(guesses):
        conn = Connection(port, source)
        code = f"ZZZZ-ZZZZ-{n:04d}"
        status, headers, _ = await conn.request(
            "POST", "/r/demo/resume",
            {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
            f"_csrf_token={token}&code={code}".encode(),
        )
        await conn.close()
        answers.append((status, headers.get("x-served-by", "?")))
    return answers


# The kill -------------------------------------------------------------------------

@dataclass
class Saves:
    """What the clients saw during the kill."""

    acknowledged: dict[str, int] = field(default_factory=dict)  # key -> participant
    last_acknowledged: dict[int, str] = field(default_factory=dict)  # participant -> key
    given_up: list[str] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # 4xx/not saved
    acked_at: dict[str, tuple[str, float, int]] = field(default_factory=dict)
    sent: int = 0
    resent: int = 0  # attempts after the first, same key
    retried_saves: int = 0  # saves that needed more than one attempt
    errors: dict[str, int] = field(default_factory=dict)  # why an attempt failed
    latencies: list[float] = field(default_factory=list)  # per attempt that answered 2xx
    time_to_ack: list[float] = field(default_factory=list)  # per retried save, first send to ack
    served_by: dict[str, int] = field(default_factory=dict)


async def save_until_acknowledged(port: int, session: tuple, key: str, body: bytes,
                                  saves: Saves) -> bool:
    """Send one save until a 2xx answers it, the same key every time; False if refused
    (4xx) or given up."""
    conn, headers, _ = session
    first = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        saves.sent += 1
        if attempts > 1:
            saves.resent += 1
        began = time.perf_counter()
        try:
            status, answer_headers, _ = await asyncio.wait_for(
                conn.request("POST", "/r/demo/s/1", headers, body), timeout=10
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            reason = type(exc).__name__
            status, answer_headers = 0, {}
        else:
            reason = f"http {status}"
        # htmx gets errors as 200s with the real status in x-error-status; the page's
        # script says "Saved" only for x-save-result: saved, and so do we.
        if 200 <= status < 300 and "x-error-status" in answer_headers:
            status = int(answer_headers["x-error-status"])
            reason = f"htmx error {status} from {answer_headers.get('x-served-by', '?')}"
        if 200 <= status < 300 and answer_headers.get("x-save-result") == "saved":
            saves.latencies.append(time.perf_counter() - began)
            served = answer_headers.get("x-served-by", "?")
            saves.served_by[served] = saves.served_by.get(served, 0) + 1
            saves.acked_at[key] = (served, time.monotonic(), attempts)
            if attempts > 1:
                saves.retried_saves += 1
                saves.time_to_ack.append(time.perf_counter() - first)
            return True
        if 200 <= status < 500:
            saves.refused.append((key, status, answer_headers.get("x-save-result", "")))
            return False
        saves.errors[reason] = saves.errors.get(reason, 0) + 1
        # The connection may be half-dead: a new one, after a short pause.
        await conn.close()
        conn.reader = conn.writer = None
        if time.perf_counter() - first > GIVE_UP_S:
            saves.given_up.append(key)
            return False
        await asyncio.sleep(random.uniform(0.05, 0.2))  # noqa: S311 - jitter only


async def kill_under_load(port: int, clients: int, seconds: float, kill_after: float,
                          victim: subprocess.Popen, proxy: Haproxy, victim_name: str
                          ) -> tuple[Saves, dict[str, float]]:
    sources = [client_address(1000 + n) for n in range(clients)]
    sessions = [await participant(port, source) for source in sources]
    saves = Saves()
    moments: dict[str, float] = {}
    started = time.monotonic()
    stop_at = started + seconds

    async def phone(n: int) -> None:
        while time.monotonic() < stop_at:
            key = secrets.token_urlsafe(18)
            body = f"{sessions[n][2]}words+{key}&save_key={key}".encode()
            if await save_until_acknowledged(port, sessions[n], key, body, saves):
                saves.acknowledged[key] = n
                saves.last_acknowledged[n] = key

    async def killer() -> None:
        await asyncio.sleep(kill_after)
        victim.send_signal(signal.SIGKILL)
        moments["killed"] = time.monotonic() - started
        while time.monotonic() < stop_at + GIVE_UP_S:
            state = await asyncio.to_thread(proxy.servers)
            if state.get(f"two_replicas/{victim_name}", "").startswith("DOWN"):
                moments["haproxy_down"] = time.monotonic() - started
                return
            await asyncio.sleep(0.1)

    await asyncio.gather(killer(), *(phone(n) for n in range(clients)))
    moments["elapsed"] = time.monotonic() - started
    victim.wait(10)
    for conn, _, _ in sessions:
        await conn.close()
    return saves, moments


async def check_stored(database_url: str, saves: Saves) -> dict[str, int]:
    """Read PostgreSQL directly: lost, duplicated, and answers that are not the last."""
    import asyncpg

    keys = await read_save_keys(database_url)
    stored = set(keys)
    conn = await asyncpg.connect(database_url)
    try:
        doubled_answers = await conn.fetchval(
            "SELECT count(*) FROM (SELECT 1 FROM answers GROUP BY participation_id, question_id"
            " HAVING count(*) > 1) AS d"
        )
        texts = {r[0] for r in await conn.fetch("SELECT text FROM answers WHERE text IS NOT NULL")}
    finally:
        await conn.close()
    for key in sorted(set(saves.acknowledged) - stored):
        served, when, attempts = saves.acked_at[key]
        print(f"  LOST {key}: acknowledged by {served} on attempt {attempts}")
    stale = sum(1 for key in saves.last_acknowledged.values() if f"words {key}" not in texts)
    return {
        "acknowledged": len(saves.acknowledged),
        "lost": len(set(saves.acknowledged) - stored),
        "duplicate_keys": len(keys) - len(stored),
        "duplicate_answers": int(doubled_answers),
        "not_last": stale,
    }


# The analysis run handed over ------------------------------------------------------

#: Worker heartbeats and the stall window for the replicas here (the defaults, 10 s
#: and 60 s, would make the handover wait a minute): a dead replica's run is picked up
#: this long after its last heartbeat.
JOB_ENV = {"CODESIGN_JOB_HEARTBEAT_SECONDS": "1", "CODESIGN_JOB_STALLED_SECONDS": "5"}


async def sign_in(port: int, log: Path) -> tuple[Connection, dict[str, str], str]:
    """The demo organizer (password from the first replica's start-up output) signed in
    on the replica at `port`; returns the connection, headers for POSTs and a token."""
    said = log.read_text(errors="replace")
    found = re.search(r"demo organizer - sign in at \S+ with (\S+) and the password (\S+)", said)
    if found is None:
        raise RuntimeError("the first replica did not print the demo organizer's password")
    email, password = found.groups()
    conn = Connection(port)
    status, headers, body = await conn.request("GET", "/staff/sign-in", {})
    csrf = cookie_values(headers["_cookies"])["csrftoken"]
    token = re.search(rb'name="_csrf_token" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode(
        {"_csrf_token": token, "email": email, "password": password, "next": "/staff/"}
    ).encode()
    status, headers, _ = await conn.request(
        "POST", "/staff/sign-in",
        {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"}, form,
    )
    session = cookie_values(headers["_cookies"]).get("cs_staff")
    if status != 303 or not session:
        raise RuntimeError(f"the demo organizer's sign-in answered {status}")
    return conn, {
        "Cookie": f"csrftoken={csrf}; cs_staff={session}",
        "Content-Type": "application/x-www-form-urlencoded",
    }, token


async def analysis_handover(database_url: str, app1_port: int, app1_log: Path,
                            app2: subprocess.Popen, restart_app1) -> dict:
    """Start a run on app1 while app2 is paused (SIGSTOP: so app1's worker is the one
    that takes it), SIGKILL app1 while the run is running, let app2 go on (SIGCONT),
    and wait for the run to finish. Returns what happened."""
    import asyncpg

    app1 = restart_app1()
    db = await asyncpg.connect(database_url)
    try:
        question = await db.fetchval(
            "SELECT q.id FROM questions q JOIN sections s ON s.id = q.section_id"
            " JOIN rounds r ON r.id = s.round_id WHERE r.slug = 'demo' AND q.kind = 'open_text'"
            " ORDER BY s.position, q.position LIMIT 1"
        )
        round_id = await db.fetchval("SELECT id FROM rounds WHERE slug = 'demo'")
        answers = await db.fetchval(
            "SELECT count(*) FROM answers a JOIN participations p ON p.id = a.participation_id"
            " WHERE a.question_id = $1 AND p.status = 'submitted'", question
        )
        conn, headers, token = await sign_in(app1_port, app1_log)
        app2.send_signal(signal.SIGSTOP)
        try:
            status, answer, _ = await conn.request(
                "POST", f"/staff/rounds/{round_id}/board/q/{question}/run", headers,
                f"_csrf_token={token}".encode(),
            )
            await conn.close()
            if status != 303:
                raise RuntimeError(f"starting the run answered {status}")
            run_id = await db.fetchval(
                "SELECT id FROM analysis_runs WHERE question_id = $1 ORDER BY id DESC LIMIT 1",
                question,
            )
            claimed = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                claimed = await db.fetchval(
                    "SELECT id FROM procrastinate_jobs WHERE task_name = 'analysis_run'"
                    " AND status = 'doing' AND (args->>'run_id')::bigint = $1", run_id
                )
                if claimed is not None:
                    break
                await asyncio.sleep(0.02)
            app1.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            app1.wait(10)
            at_kill = await db.fetchrow(
                "SELECT status, progress, stage FROM analysis_runs WHERE id = $1", run_id
            )
        finally:
            app2.send_signal(signal.SIGCONT)
        result = {"answers": answers, "run": run_id, "claimed_by_app1": claimed is not None,
                  "at_kill": dict(at_kill)}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = await db.fetchrow(
                "SELECT status, error, n, k FROM analysis_runs WHERE id = $1", run_id
            )
            if row["status"] != "running":
                break
            await asyncio.sleep(0.2)
        result["final"] = dict(row)
        result["after_kill_s"] = time.monotonic() - killed_at
        result["themes"] = await db.fetchval(
            "SELECT count(*) FROM themes WHERE question_id = $1", question
        )
        # A job that succeeds is deleted, a moment after the run's own row says done.
        deadline = time.monotonic() + 10
        while True:
            result["job_left"] = [dict(r) for r in await db.fetch(
                "SELECT status, attempts FROM procrastinate_jobs"
                " WHERE task_name = 'analysis_run' AND (args->>'run_id')::bigint = $1", run_id
            )]
            if not result["job_left"] or time.monotonic() > deadline:
                return result
            await asyncio.sleep(0.2)
    finally:
        await db.close()


# Figures --------------------------------------------------------------------------

def figures(targets: dict[str, int], clients: int, rounds: int, seconds: float) -> dict:
    results: dict[str, list[dict]] = {name: [] for name in targets}
    for port in targets.values():  # warm-up, not counted
        asyncio.run(drive(port, clients, 200, 5, "app"))
    for _ in range(rounds):
        for name, port in targets.items():
            results[name].append(asyncio.run(drive(port, clients, 10**6, seconds, "app")))
    print(f"\nanswer saves, {clients} clients, {rounds} rounds of {seconds:g} s each:")
    return {name: report(name, rows, clients) for name, rows in results.items()}


# Main -----------------------------------------------------------------------------

def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="two replicas on PostgreSQL behind haproxy")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="figure rounds per target")
    parser.add_argument("--seconds", type=float, default=8.0, help="per figure round")
    parser.add_argument("--kill-seconds", type=float, default=12.0, help="load during the kill")
    parser.add_argument("--kill-after", type=float, default=4.0, help="SIGKILL this far in")
    parser.add_argument("--no-figures", action="store_true", help="only the checks")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    random.seed(args.seed)
    # SIGTERM tears down as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupted)
    processes: list[subprocess.Popen] = []
    proxy: Haproxy | None = None
    ok = True
    with tempfile.TemporaryDirectory(prefix="codesign-replicas-") as tmp, \
            postgres_cluster() as cluster:
        folder = Path(tmp)

        def replica(name: str, database_url: str | None) -> tuple[subprocess.Popen, int]:
            port = free_port()
            env = app_env(database_url, CODESIGN_TRUSTED_PROXIES=PROXY, **JOB_ENV)
            process = start_server(app_command(str(folder / f"{name}.db"), port), port, env,
                                   log=folder / f"{name}.log")
            processes.append(process)
            return process, port

        try:
            one_url = cluster.create_database("one_replica")
            two_url = cluster.create_database("two_replicas")
            _, sqlite_port = replica("sqlite", None)
            _, one_port = replica("pg1", one_url)
            # One after the other: the first makes the demo round, the second finds it.
            app1, app1_port = replica("app1", two_url)
            app2, app2_port = replica("app2", two_url)
            proxy = Haproxy(folder, {"app1": app1_port, "app2": app2_port},
                            {"pg1": one_port}).start()
            print(f"PostgreSQL {cluster.bin.parent.name}, "
                  f"{subprocess.run(['haproxy', '-v'], capture_output=True, text=True).stdout.split(' - ')[0]}, "  # noqa: E501
                  f"{os.cpu_count()} cores", flush=True)

            if not args.no_figures:
                measured = figures(
                    {"sqlite-1": sqlite_port, "pg-1": one_port, "pg-1-proxy": proxy.one_port,
                     "pg-2-proxy": proxy.two_port},
                    args.clients, args.rounds, args.seconds,
                )
                base = measured["sqlite-1"]["saves_per_s"]
                print("ratios to sqlite-1: " + "  ".join(
                    f"{name}={m['saves_per_s'] / base:.2f}" for name, m in measured.items()))
                if any(m["non2xx"] for m in measured.values()):
                    ok = False

            guesses = asyncio.run(code_guesses(proxy.two_port, 12, "127.0.9.9"))
            statuses = [s for s, _ in guesses]
            refused_at = next((i + 1 for i, s in enumerate(statuses) if s == 429), None)
            by = {}
            for _, served in guesses[:11]:
                by[served] = by.get(served, 0) + 1
            print("\ncode guesses (one address, through haproxy): "
                  + " ".join(f"{s}@{r}" for s, r in guesses))
            guess_ok = statuses[:10] == [422] * 10 and statuses[10:] == [429, 429] and len(by) == 2
            print(f"code_guess: refused_at={refused_at} first_ten={'422' if statuses[:10] == [422] * 10 else statuses[:10]} "  # noqa: E501
                  f"replicas_of_first_eleven={by} {'ok' if guess_ok else 'FAILED'}")
            ok &= guess_ok

            print(f"\nkill: {args.clients} participants autosave through haproxy for "
                  f"{args.kill_seconds:g} s; SIGKILL app1 at {args.kill_after:g} s", flush=True)
            saves, moments = asyncio.run(kill_under_load(
                proxy.two_port, args.clients, args.kill_seconds, args.kill_after, app1, proxy,
                "app1",
            ))
            result = asyncio.run(check_stored(two_url, saves))
            rate = len(saves.latencies) / moments["elapsed"]
            print(f"  haproxy marked app1 down {moments.get('haproxy_down', float('nan')) - moments['killed']:.2f} s after the kill; "  # noqa: E501
                  f"acknowledged by: {saves.served_by}")
            print(f"  attempts={saves.sent} resent={saves.resent} saves_retried={saves.retried_saves} "  # noqa: E501
                  f"failed_attempts={saves.errors or 0}")
            if saves.time_to_ack:
                print(f"  retried saves, first send to acknowledgement: "
                      f"p50={percentile(saves.time_to_ack, 0.5) * 1000:.0f} ms "
                      f"max={max(saves.time_to_ack) * 1000:.0f} ms")
            print(f"  saves/s={rate:.0f} p99={percentile(saves.latencies, 0.99) * 1000:.1f} ms "
                  "(answered attempts, kill included)")
            kill_ok = (result["lost"] == 0 and result["duplicate_keys"] == 0
                       and result["duplicate_answers"] == 0 and result["not_last"] == 0
                       and not saves.given_up and not saves.refused)
            print(f"kill: acknowledged={result['acknowledged']} lost={result['lost']} "
                  f"duplicates={result['duplicate_keys'] + result['duplicate_answers']} "
                  f"(keys {result['duplicate_keys']}, answers {result['duplicate_answers']}) "
                  f"not_last={result['not_last']} given_up={len(saves.given_up)} "
                  f"refused={len(saves.refused)} {'ok' if kill_ok else 'FAILED'}")
            ok &= kill_ok
            for name in ("app1", "app2"):
                said = (folder / f"{name}.log").read_text(errors="replace")
                if "Traceback" in said or not kill_ok:
                    print(f"--- {name}'s log (end) ---\n{said.strip()[-6000:]}")

            # The handover: app1 again (a new process on its port), submitted answers
            # to analyse, a run started on app1 and app1 killed while it runs.
            def restart_app1() -> subprocess.Popen:
                started = time.monotonic()
                process = start_server(app_command(str(folder / "app1.db"), app1_port),
                                       app1_port,
                                       app_env(two_url, CODESIGN_TRUSTED_PROXIES=PROXY, **JOB_ENV),
                                       log=folder / "app1-again.log")
                processes.append(process)
                deadline = time.monotonic() + 30
                while not proxy.servers().get("two_replicas/app1", "").startswith("UP"):
                    if time.monotonic() > deadline:
                        raise RuntimeError("haproxy did not take app1 back in 30 s")
                    time.sleep(0.1)
                print(f"  app1 started again: back in haproxy's rotation "
                      f"{time.monotonic() - started:.1f} s after its start")
                return process

            subprocess.run(  # noqa: S603 - our own command
                [sys.executable, "-m", "codesign.cli", "demo-answers", "--count", "300"],
                env={**os.environ, "CODESIGN_DATABASE_URL": two_url}, check=True,
                stdout=subprocess.DEVNULL,
            )
            print("\nanalysis run: started on app1 (app2 paused until app1's worker took it), "
                  "app1 SIGKILLed while it runs", flush=True)
            handover = asyncio.run(analysis_handover(
                two_url, app1_port, folder / "app1.log", app2, restart_app1,
            ))
            final = handover["final"]
            # Each attempt of a run logs the process that ran it (codesign.jobs).
            names = {str(processes[-1].pid): "app1", str(app2.pid): "app2"}
            attempts = sorted(
                (int(n), names.get(pid, pid))
                for log in ("app1-again.log", "app2.log")
                for n, pid in re.findall(
                    rf"analysis run {handover['run']}: job \d+, attempt (\d+), on \S+?:(\d+)",
                    (folder / log).read_text(errors="replace"),
                )
            )
            run_ok = (handover["claimed_by_app1"] and handover["at_kill"]["status"] == "running"
                      and final["status"] == "done" and handover["themes"] > 0
                      and (not attempts or attempts[-1][1] == "app2"))
            print(f"  {handover['answers']} submitted answers; at the kill the run was "
                  f"{handover['at_kill']['status']} ({handover['at_kill']['stage'] or '-'}, "
                  f"{handover['at_kill']['progress']}%), job taken by app1's worker: "
                  f"{handover['claimed_by_app1']}")
            print("  attempts of the run: " + (", ".join(f"{n} on {name}" for n, name in attempts)
                                               or "not in the logs"))
            print(f"analysis_run: status={final['status']} error={final['error'] or '-'} "
                  f"themes={handover['themes']} {handover['after_kill_s']:.1f} s after the kill "
                  f"(stall window {JOB_ENV['CODESIGN_JOB_STALLED_SECONDS']} s) "
                  f"job_rows_left={handover['job_left']} {'ok' if run_ok else 'FAILED'}")
            ok &= run_ok
        finally:
            if proxy is not None:
                proxy.stop()
            for process in processes:
                _terminate(process)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
