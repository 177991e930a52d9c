"""A real IMAP server for the tests: Debian's Dovecot on loopback, one user, a maildir.

Everything lives in one folder (normally the test's tmp_path): the
configuration, a self-signed certificate made with the openssl command, the
maildir, Dovecot's sockets, state and log. Two listeners: implicit TLS, and
plain text (which also offers STARTTLS) for the "allow insecure" path.

Without Dovecot the tests are skipped, unless COMPTOIR_REQUIRE_IMAP=1 (CI):
then they fail.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER = "support"
PASSWORD = "imap-test-password"
HOST = "127.0.0.1"


@dataclass
class ImapServer:
    directory: Path
    tls_port: int
    plain_port: int
    cafile: Path
    host: str = HOST
    user: str = USER
    password: str = PASSWORD

    def client(self) -> imaplib.IMAP4:
        """A logged-in client on the plain-text port: the tests' own look at the mailbox."""
        client = imaplib.IMAP4(self.host, self.plain_port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, *, folder: str = "INBOX", flags: str = "") -> None:
        client = self.client()
        try:
            status, data = client.append(folder, f"({flags})" if flags else None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, set[str]]]:
        """Each message in the folder, oldest first: its raw bytes and its flags (read without changing them)."""
        client = self.client()
        try:
            status, data = client.select(f'"{folder}"', readonly=True)
            assert status == "OK", data
            if data[0] == b"0":
                return []
            status, data = client.fetch("1:*", "(FLAGS BODY.PEEK[])")
            assert status == "OK", data
        finally:
            client.logout()
        found = []
        for item in data:
            if isinstance(item, tuple):
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                assert flags is not None, item[0]
                found.append((item[1], set(flags.group(1).decode().split()) - {"\\Recent"}))
        return found

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def require_dovecot() -> None:
    if DOVECOT.exists() and shutil.which("openssl"):
        return
    reason = f"{DOVECOT} or openssl not installed (apt-get install dovecot-imapd openssl)"
    if os.environ.get("COMPTOIR_REQUIRE_IMAP") == "1":
        pytest.fail(f"IMAP tests cannot run while COMPTOIR_REQUIRE_IMAP=1: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: the clients' CA file too."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
            "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _users(mail: Path) -> str:
    """Who Dovecot's processes run as, with the master process as the current user."""
    if os.geteuid() != 0:
        me, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
        mail.mkdir(mode=0o700)
        # Unprivileged, everything runs as us, without the chroots that need root.
        return f"""
default_internal_user = {me}
default_internal_group = {group}
default_login_user = {me}
mail_uid = {me}
mail_gid = {group}
first_valid_uid = {os.geteuid()}
first_valid_gid = {os.getegid()}
mail_home = {mail}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    # As root (CI): Dovecot refuses to run its login processes or to touch mail as
    # root, so they use the package's own unprivileged users. Those users cannot
    # reach into pytest's private temporary folder (mode 0700), so the auth process,
    # which reads the passwd file, stays root, and the mail process is chrooted into
    # the maildir's folder, as root, before it drops to "dovecot".
    mail_user = pwd.getpwnam("dovecot")
    mail.mkdir(mode=0o700)
    os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
    return f"""
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
mail_uid = {mail_user.pw_uid}
mail_gid = {mail_user.pw_gid}
first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
mail_chroot = {mail}
mail_home = /
service auth {{
  user = root
}}
"""


@contextmanager
def running_dovecot(directory: Path, *, extra_config: str = "") -> Iterator[ImapServer]:
    """Dovecot in the foreground (dovecot -F), serving until the block ends."""
    require_dovecot()
    directory.mkdir(parents=True)
    # Dovecot's sockets live under base_dir, and a Unix socket path has at most
    # 107 bytes: pytest's folders (deeper still under xdist) are too long for it.
    run = Path(tempfile.mkdtemp(prefix="cpt-dovecot-"))
    run.chmod(0o755)  # its login processes, which are not root, reach their sockets through it
    cert, key = _certificate(directory)
    (directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    server = ImapServer(directory=directory, tls_port=_free_port(), plain_port=_free_port(), cafile=cert)
    config = directory / "dovecot.conf"
    config.write_text(f"""
base_dir = {run}
state_dir = {directory / "state"}
log_path = {directory / "dovecot.log"}
protocols = imap
listen = {HOST}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
# The plain-text listener serves the "allow insecure" path: log in without TLS there.
disable_plaintext_auth = no
# The wrong-password tests need no delay after a failure, nor the growing
# penalty Dovecot's anvil keeps per client address (mode 0 closes its socket).
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {directory / "passwd"}
}}
userdb {{
  driver = passwd-file
  args = {directory / "passwd"}
}}
service imap-login {{
  inet_listener imap {{
    port = {server.plain_port}
  }}
  inet_listener imaps {{
    port = {server.tls_port}
    ssl = yes
  }}
}}
{_users(directory / "mail")}
{extra_config}
""")
    with (directory / "dovecot.out").open("wb") as output:
        # Its own process group, so that the master and every process it forked stop together.
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=directory,
            start_new_session=True,
        )
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        # SIGKILL: nothing in the test server is worth the second a graceful stop takes.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        shutil.rmtree(run, ignore_errors=True)


def _wait_until_serving(server: ImapServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            client = server.client()
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.05)
            continue
        client.logout()
        return
    output = (server.directory / "dovecot.out").read_text(errors="replace")
    pytest.fail(f"Dovecot did not start (exit {process.poll()}):\n{output}\n{server.log()}")
