"""How much memory a real gunicorn web worker holds while it serves Comptoir's pages, beside bare Django's.

    .venv/bin/python bench/web_memory.py [--size 5000|S|L|<tickets>] [--repeat 20] [--deep-page 1000]
        [--database-url sqlite:////path/comptoir_bench_web_memory.sqlite3] [--reuse] [--keep]
        [--broker redis://127.0.0.1:6379/11] [--modules]

Issue 14's target: a web worker stays under 150 MiB after the benchmarks.
bench/compare_helpdesk.py's Comptoir worker is not a web worker (it imports
``django.test`` for its test client and ingests mail in the same process);
this script measures the process production runs.

The help desk: the database ``--database-url`` names (a SQLite file under
``var/web-memory/`` by default; PostgreSQL works too, its name must contain
``bench``) is made again, migrated and filled by ``bench/dataset.py``
(``--size`` tickets, 5,000 by default), then three active tickets are brought to
5, 50 and 500 messages by bench/compare_helpdesk.py's ``lengthen_tickets``.
Their ids are written beside a SQLite file (``<file>.long.json``) so that
``--reuse`` measures a database a former run kept (``--keep``) as it is, after
``migrate``. The agent with the most active tickets is given a password.

Static files are collected by ``manage.py collectstatic`` in a process of its
own, as a deployment does. Then the production web server starts as
docs/deploy.md runs it, ``gunicorn -c deploy/gunicorn.conf.py comptoir.wsgi``,
with one worker (``COMPTOIR_WEB_WORKERS=1``) on a free port of 127.0.0.1,
DEBUG off, the Celery broker ``--broker`` (Redis db 11 by default: what the
public form queues is purged at the end) and the rest of the environment as
bench/benchdb.py sets it (locmem cache unless ``CACHE_URL`` is set). One
difference from the defaults: ``COMPTOIR_WEB_MAX_REQUESTS=0``, as a worker
recycled mid-run would hide what the rounds made it grow.

Scenarios, over real HTTP (``http.client``, a new connection per request, as
gunicorn's sync worker closes each): the agent signs in through allauth's login
form (its CSRF token, its session cookie), then opens the agent list (page 1,
a deep page ``?view=all&after=<cursor>``, the view "mine", a search for
"invoice"), the ticket pages at 5, 50 and 500 messages and the 500-message one
unfolded (``?all=1``); a new visitor (no cookie) opens the public ticket form,
fetches its ALTCHA challenge, solves it (in this process, untimed) and POSTs
the form with its CSRF token. One untimed round warms up, then ``--repeat``
rounds; per scenario the median milliseconds, as the client sees them.

Memory: the worker's (not gunicorn's arbiter's) ``VmRSS`` (resident now) and
``VmHWM`` (its peak) from ``/proc/<pid>/status``, once it has booted (the app
loaded, no request yet: Django's URLs load on the first), after the warm-up
round and after every round, held against the 150 MiB target. Beside it, in the
same run, the baseline: a gunicorn worker of the same Python serving a bare
Django "hello" (no app, no middleware), booted and after ``--repeat`` requests:
what Python, gunicorn and Django cost before Comptoir does.

With ``--modules``, a second Comptoir server runs one round under a profile
hook (deploy/gunicorn.conf.py executed by a wrapper that adds gunicorn's
``post_worker_init`` and ``worker_exit`` hooks), then lists the top-level
packages the worker imported none of whose functions ran during that round:
imported for nothing by these scenarios (some may serve other pages). Its
times and memory are not the figures above; they are not printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VAR = ROOT / "var" / "web-memory"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR / 'comptoir_bench_web_memory.sqlite3'}"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/11"
GUNICORN = Path(sys.executable).with_name("gunicorn")
TARGET_MIB = 150.0
SEED = 2711
PASSWORD = "bench-web-memory-password"  # noqa: S105  # the bench agent's, in a throwaway database
SEARCH_WORD = "invoice"
SCENARIOS = (
    "list p1",
    "list deep",
    "mine",
    "search",
    "ticket 5",
    "ticket 50",
    "ticket 500",
    "ticket all",
    "form page",
    "challenge",
    "form",
)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- The help desk ---------------------------------------------------------------------------


@dataclass
class Desk:
    agent_email: str
    tickets: int
    deep_page: int
    addresses: dict[str, str]  # scenario → path, for the agent's pages
    login: str
    form: str
    challenge: str


def long_tickets_file(database: Any) -> Path:
    return Path(database.name + ".long.json") if database.is_sqlite else VAR / f"{database.name}.long.json"


def prepare_desk(arguments: argparse.Namespace, database: Any) -> Desk:
    """Build (or reuse) the help desk in this process; the agent's password; the addresses the rounds request."""
    from benchdb import setup_django
    from dataset import analyse_database, build

    if not arguments.reuse:
        if database.is_sqlite:
            Path(database.name).parent.mkdir(parents=True, exist_ok=True)
        database.create()
    before = time.perf_counter()
    setup_django()
    from django.db import connections

    found = long_tickets_file(database)
    if arguments.reuse:
        long = json.loads(found.read_text())
    else:
        from compare_helpdesk import ComptoirSide

        connections.close_all()
        counts = build(arguments.database_url, arguments.size, seed=SEED, analyse=False)
        side = ComptoirSide()  # its helper only: the long tickets, as compare_helpdesk.py makes them
        try:
            long = side.lengthen_tickets()
        finally:
            side.close()
        connections.close_all()
        analyse_database(arguments.database_url)
        found.parent.mkdir(parents=True, exist_ok=True)
        found.write_text(json.dumps(long))
        print(f"built {counts.tickets:,} tickets in {time.perf_counter() - before:.0f} s", file=sys.stderr)
    desk = desk_addresses(long, arguments.deep_page)
    connections.close_all()
    return desk


def desk_addresses(long: dict[str, int], deep_page: int) -> Desk:
    from agent_list import busiest_agent, deep_cursor
    from allauth.account.models import EmailAddress
    from django.urls import reverse
    from django.utils import translation

    from comptoir.tickets.models import Ticket

    agent = busiest_agent()
    agent.set_password(PASSWORD)
    agent.save(update_fields=["password"])
    # allauth signs in only a verified address (ACCOUNT_EMAIL_VERIFICATION is mandatory).
    if not EmailAddress.objects.filter(user=agent, email__iexact=agent.email).update(verified=True, primary=True):
        EmailAddress.objects.create(user=agent, email=agent.email, verified=True, primary=True)
    cursor, page = deep_cursor("all", "-updated", agent, deep_page)
    with translation.override("en"):
        tickets = {key: reverse("agent_ticket", args=[Ticket.objects.get(pk=pk).reference]) for key, pk in long.items()}
        login, form = reverse("account_login"), reverse("ticket_new")
    return Desk(
        agent_email=agent.email,
        tickets=Ticket.objects.count(),
        deep_page=page,
        addresses={
            "list p1": "/en/agent/",
            "list deep": "/en/agent/?" + urlencode({"view": "all", "after": cursor}),
            "mine": "/en/agent/?view=mine",
            "search": "/en/agent/?" + urlencode({"view": "all", "q": SEARCH_WORD}),
            **{f"ticket {key}": address for key, address in tickets.items()},
            "ticket all": tickets["500"] + "?all=1",
        },
        login=login,
        form=form,
        challenge=reverse("altcha_challenge"),
    )


# --- The servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid``, in KiB, from /proc/<pid>/status."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass(frozen=True)
class Reading:
    moment: str
    rss_kib: int
    hwm_kib: int


class Server:
    """A gunicorn arbiter this script started, its one worker, and what it logs (in files, beside the run)."""

    def __init__(self, name: str, command: list[str], environment: dict[str, str], cwd: Path, logs: Path) -> None:
        self.name = name
        self.port = int(environment["PORT"])
        self.out = open(logs / f"{name}.out.log", "wb")  # noqa: SIM115  # closed in stop()
        self.err = open(logs / f"{name}.err.log", "wb")  # noqa: SIM115
        self.err_path = logs / f"{name}.err.log"
        self.process = subprocess.Popen(command, env=environment, cwd=cwd, stdout=self.out, stderr=self.err)
        self.worker = 0
        self.readings: list[Reading] = []

    def wait_booted(self, timeout: float = 120.0) -> None:
        """The worker exists, has loaded the app and waits for a request: its memory still for a second."""
        deadline = time.monotonic() + timeout
        last, still_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn ended ({self.process.returncode}): {self.tail()}")
            workers = children(self.process.pid)
            if len(workers) == 1:
                self.worker = workers[0]
                rss = status_kib(self.worker)["VmRSS"]
                if rss != last:
                    last, still_since = rss, time.monotonic()
                elif time.monotonic() - still_since >= 1.0 and self.listening():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: no worker booted in {timeout:.0f} s: {self.tail()}")

    def listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def read(self, moment: str) -> Reading:
        if children(self.process.pid) != [self.worker]:
            raise RuntimeError(f"{self.name}: the worker {self.worker} was replaced: {self.tail()}")
        figures = status_kib(self.worker)
        reading = Reading(moment, figures["VmRSS"], figures["VmHWM"])
        self.readings.append(reading)
        return reading

    def tail(self) -> str:
        try:
            return self.err_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the arbiter: a graceful stop (its worker runs worker_exit); SIGKILL to both if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                for pid in (self.worker, self.process.pid):
                    if pid:
                        with suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                self.process.wait()
        self.out.close()
        self.err.close()


@contextmanager
def running(name: str, command: list[str], environment: dict[str, str], cwd: Path, logs: Path) -> Iterator[Server]:
    server = Server(name, command, environment, cwd, logs)
    try:
        server.wait_booted()
        yield server
    finally:
        server.stop()


def hello_application() -> Any:
    """The baseline's WSGI app, for ``gunicorn 'web_memory:hello_application()'``: bare Django answering "hello"."""
    import secrets

    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    def hello(request: HttpRequest) -> HttpResponse:
        return HttpResponse("hello", content_type="text/plain")

    urls = types.ModuleType("hello_urls")
    urls.urlpatterns = [path("", hello)]  # type: ignore[attr-defined]
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_hex(32),
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=urls,
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
    )
    django.setup()
    return get_wsgi_application()


# --- The client ------------------------------------------------------------------------------


@dataclass
class Browser:
    """Who requests: cookies kept as a browser keeps them for one site, over plain HTTP to the port."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, expect: int = 200
    ) -> tuple[float, bytes, dict[str, str]]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            before = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            seconds = time.perf_counter() - before
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        if response.status != expect:
            raise RuntimeError(f"{method} {path} answered {response.status}, not {expect}: {content[:300]!r}")
        return seconds, content, dict(response.headers)

    def csrf_token(self, page: bytes) -> str:
        found = CSRF_FIELD.search(page.decode())
        if found is None:
            raise RuntimeError("no CSRF token in the page")
        return found.group(1)


def sign_in(port: int, desk: Desk) -> Browser:
    """Through allauth's login form, as a person: its page (CSRF cookie and token), then the POST."""
    agent = Browser(port)
    _, page, _ = agent.request("GET", desk.login)
    form = {"login": desk.agent_email, "password": PASSWORD, "csrfmiddlewaretoken": agent.csrf_token(page)}
    agent.request("POST", desk.login, form, expect=302)
    if "sessionid" not in agent.cookies:
        raise RuntimeError("signed in, but no session cookie")
    return agent


def public_form(port: int, desk: Desk, number: int, timings: dict[str, list[float]] | None) -> None:
    """A new visitor (no cookie): the form's page, its challenge, solved here, then the POST."""
    import altcha

    visitor = Browser(port)
    seconds, page, _ = visitor.request("GET", desk.form)
    record(timings, "form page", seconds)
    seconds, content, _ = visitor.request("GET", desk.challenge)
    record(timings, "challenge", seconds)
    challenge = altcha.Challenge.from_dict(json.loads(content))
    solution = altcha.solve_challenge(challenge)  # the visitor's browser's work, not the server's
    if solution is None:
        raise RuntimeError("the captcha could not be solved")
    form = {
        "csrfmiddlewaretoken": visitor.csrf_token(page),
        "email": f"visitor.{number}.{os.getpid()}@mail.example",
        "name": f"Visitor {number}",
        "ticket_type": "question",
        "subject": f"Export to CSV fails ({number})",
        "description": "I cannot find last month's invoice in my account. The export button does nothing.",
        "altcha": altcha.Payload(challenge, solution).to_base64(),
        "website": "",
    }
    seconds, _, _ = visitor.request("POST", desk.form, form, expect=302)
    record(timings, "form", seconds)


def record(timings: dict[str, list[float]] | None, scenario: str, seconds: float) -> None:
    if timings is not None:
        timings[scenario].append(seconds)


def one_round(port: int, desk: Desk, agent: Browser, number: int, timings: dict[str, list[float]] | None) -> None:
    for scenario, address in desk.addresses.items():
        seconds, _, _ = agent.request("GET", address)
        record(timings, scenario, seconds)
    public_form(port, desk, number, timings)


# --- The run ---------------------------------------------------------------------------------


def server_environment(var_dir: Path, port: int, broker: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        {
            "PORT": str(port),
            "COMPTOIR_WEB_WORKERS": "1",
            # A worker recycled mid-run would hide what the rounds made it grow.
            "COMPTOIR_WEB_MAX_REQUESTS": "0",
            "COMPTOIR_VAR_DIR": str(var_dir),
            "COMPTOIR_ENV_FILE": "",
            "CELERY_BROKER_URL": broker,
            # A new ticket every round from one address: the limits would refuse them after 5 and 20.
            "COMPTOIR_RATE_LIMIT_TICKETS_PER_IP": str(10**9),
            "COMPTOIR_RATE_LIMIT_TICKETS_PER_EMAIL": str(10**9),
        }
    )
    environment.pop("COMPTOIR_WEB_BIND", None)
    return environment


def modules_wrapper(var_dir: Path) -> Path:
    """deploy/gunicorn.conf.py, plus hooks that record what the worker imported and whose functions ran."""
    wrapper = var_dir / "web_memory_gunicorn_conf.py"
    report = var_dir / "worker_modules.json"
    wrapper.write_text(
        f"""
import sys

_DEPLOYED = {str(ROOT / "deploy" / "gunicorn.conf.py")!r}
with open(_DEPLOYED) as _source:
    exec(compile(_source.read(), _DEPLOYED, "exec"))

_ran = set()
_ran_c = set()


def _profile(frame, event, arg):
    # Functions called, not module bodies: a module executed on import was imported, not used.
    if event == "call" and frame.f_code.co_name != "<module>":
        _ran.add(frame.f_code.co_filename)
    elif event == "c_call":
        # A compiled package's function (nh3.clean, a regex pattern's method): named by its module.
        module = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
        _ran_c.add(str(module).split(".")[0])


def post_worker_init(worker):
    sys.setprofile(_profile)


def worker_exit(server, worker):
    import json

    sys.setprofile(None)
    files = {{}}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path:
            files[path] = name.split(".")[0]
    imported = {{}}
    for name in list(sys.modules):
        top = name.split(".")[0]
        imported[top] = imported.get(top, 0) + 1
    used = sorted({{files[path] for path in _ran if path in files}} | {{name.lstrip("_") for name in _ran_c}} | _ran_c)
    with open({str(report)!r}, "w") as out:
        json.dump({{"imported": imported, "used": used, "files": sorted(set(files.values()))}}, out)
"""
    )
    return wrapper


def unused_packages(report: dict[str, Any]) -> list[tuple[str, int]]:
    """Packages with files (not built in), imported, none of whose functions ran: by modules imported, most first."""
    with_files, used = set(report["files"]), set(report["used"])
    standard = set(sys.stdlib_module_names)
    unused = [
        (name, count)
        for name, count in report["imported"].items()
        if name in with_files and name not in used and name not in standard and not name.startswith("_")
    ]
    return sorted(unused, key=lambda item: (-item[1], item[0]))


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def verdict(kib: int) -> str:
    return "met" if kib / 1024 < TARGET_MIB else "NOT met"


def print_memory(title: str, readings: Sequence[Reading]) -> None:
    print(title)
    for reading in readings:
        print(f"  {reading.moment:<28} VmRSS {mib(reading.rss_kib):>6} MiB   VmHWM {mib(reading.hwm_kib):>6} MiB")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from dataset import Size, size_from_text

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--size", type=size_from_text, default=Size(5_000), help="tickets: S (50,000), L (1,000,000) or a number"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="its name must contain 'bench'")
    parser.add_argument("--repeat", type=int, default=20, help="timed rounds (default 20)")
    parser.add_argument("--deep-page", type=int, default=1000, help="the deep page of the list (or its last)")
    parser.add_argument("--reuse", action="store_true", help="measure the database a former --keep left")
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    parser.add_argument(
        "--broker",
        default=DEFAULT_BROKER_URL,
        help=f"the Celery broker (default {DEFAULT_BROKER_URL}; purged at the end)",
    )
    parser.add_argument(
        "--modules", action="store_true", help="then list the packages the worker imported that no request used"
    )
    arguments = parser.parse_args(argv)
    if arguments.repeat < 1 or arguments.deep_page < 2:
        parser.error("--repeat must be at least 1 and --deep-page at least 2")
    # The run ends by purging the broker's queues: never those of a site (Redis db 0, the default one).
    broker = urlsplit(arguments.broker)
    if broker.scheme.startswith("redis") and broker.path.strip("/") in ("", "0"):
        parser.error(
            f"--broker must name a Redis database of its own, not 0 (it is purged at the end): {arguments.broker}"
        )
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    from benchdb import RefusedDatabase, commit, configure_environment
    from dataset import bench_database

    arguments = parse_arguments(argv)
    try:
        database = bench_database(arguments.database_url)
    except RefusedDatabase as error:
        print(f"bench/web_memory.py: refusing --database-url: {error}", file=sys.stderr)
        return 2
    if arguments.reuse and not long_tickets_file(database).exists():
        print(f"bench/web_memory.py: --reuse needs {long_tickets_file(database)} (a run with --keep)", file=sys.stderr)
        return 2
    began, measured = time.perf_counter(), commit()
    VAR.mkdir(parents=True, exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="run-", dir=VAR))
    configure_environment(var_dir, arguments.database_url)
    os.environ["CELERY_BROKER_URL"] = arguments.broker
    os.environ["COMPTOIR_ENV_FILE"] = ""
    created = not arguments.reuse
    try:
        desk = prepare_desk(arguments, database)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "--verbosity=0"],
            cwd=ROOT,
            check=True,
        )
        print(f"uptime load average at the start: {load_average()}")

        # The baseline: bare Django, same Python, same gunicorn, one sync worker.
        port = free_port()
        hello = [str(GUNICORN), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--chdir", str(BENCH)]
        hello += [
            "--worker-tmp-dir",
            "/dev/shm",  # noqa: S108  # as deploy/gunicorn.conf.py
            "--access-logfile",
            "-",
            "web_memory:hello_application()",
        ]
        environment = {**os.environ, "PORT": str(port)}
        with running("hello", hello, environment, BENCH, var_dir) as server:
            server.read("booted")
            bare = Browser(port)
            for _ in range(arguments.repeat):
                bare.request("GET", "/")
            server.read(f"after {arguments.repeat} requests")
            baseline = server.readings

        # Comptoir, as deployed.
        port = free_port()
        command = [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "comptoir.wsgi"]
        timings: dict[str, list[float]] = {scenario: [] for scenario in SCENARIOS}
        with running("comptoir", command, server_environment(var_dir, port, arguments.broker), ROOT, var_dir) as server:
            server.read("booted (no request yet)")
            agent = sign_in(port, desk)
            one_round(port, desk, agent, 0, None)
            server.read("after sign-in + warm-up")
            for number in range(1, arguments.repeat + 1):
                one_round(port, desk, agent, number, timings)
                if number < arguments.repeat:
                    server.read(f"after round {number}")
            server.read(f"after all {arguments.repeat} rounds")
            readings = server.readings

        unused: list[tuple[str, int]] | None = None
        if arguments.modules:
            port = free_port()
            wrapped = [str(GUNICORN), "-c", str(modules_wrapper(var_dir)), "comptoir.wsgi"]
            with running("modules", wrapped, server_environment(var_dir, port, arguments.broker), ROOT, var_dir):
                one_round(port, desk, sign_in(port, desk), 10**6, None)
            unused = unused_packages(json.loads((var_dir / "worker_modules.json").read_text()))

        print(
            f"\n{desk.tickets:,} tickets ({database.name}); agent {desk.agent_email}; deep page {desk.deep_page}; "
            f"{arguments.repeat} rounds after a warm-up; broker {arguments.broker.split('://')[0]}"
        )
        print(f"\n  {'scenario':<14} median ms")
        for scenario in SCENARIOS:
            print(f"  {scenario:<14} {statistics.median(timings[scenario]) * 1000:>9.2f}")
        print()
        print_memory("baseline: gunicorn worker, bare Django 'hello' (no app, no middleware)", baseline)
        halfway = readings[1 + (len(readings) - 1) // 2]
        shown = list(dict.fromkeys([readings[0], readings[1], readings[2], halfway, readings[-1]]))
        print_memory("Comptoir: gunicorn -c deploy/gunicorn.conf.py comptoir.wsgi, its one worker", shown)
        last, booted = readings[-1], readings[0]
        print(
            f"target: a web worker under {TARGET_MIB:.0f} MiB after the rounds: resident {mib(last.rss_kib)} MiB "
            f"({verdict(last.rss_kib)}), peak {mib(last.hwm_kib)} MiB ({verdict(last.hwm_kib)}); "
            f"over bare Django: {(booted.rss_kib - baseline[0].rss_kib) / 1024:+.1f} MiB booted, "
            f"{(last.rss_kib - baseline[-1].rss_kib) / 1024:+.1f} MiB after the rounds"
        )
        if unused is not None:
            listed = ", ".join(f"{name} ({count})" for name, count in unused) or "none"
            print(f"packages the worker imported, no function of which ran in a round (modules): {listed}")
        print(
            f"\ncommit {measured}; Python {sys.version.split()[0]}; load average at the end {load_average()}; "
            f"total run time {time.perf_counter() - began:.0f} s"
        )
        return 0
    finally:
        registry = sys.modules.get("django.apps")
        if registry is not None and registry.apps.ready:
            from django.db import connections

            from comptoir.celery import app

            # What the public form queued for a worker that never came: the broker is left as it was found.
            try:
                app.control.purge()
            except Exception as error:  # the figures are printed; say it and go on
                print(f"could not purge the broker: {error}", file=sys.stderr)
            connections.close_all()
        if created and not arguments.keep:
            database.drop()
            long_tickets_file(database).unlink(missing_ok=True)
        elif created:
            print(f"kept database {database.name} (measure it again with --reuse)")
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
