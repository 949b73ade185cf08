"""Harness for end-to-end tests: runs the real mailwarden binary on free loopback ports with a
temporary data directory. Every wait is bounded in time; every server is stopped at teardown."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("MW_BINARY", "")
SOURCE_DIR = os.environ.get("MW_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def insecure_tls_context():
    """The dev default's certificate is self-signed: tests check it separately, clients skip it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(host, port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Server:
    """One mailwarden instance: `cli()` runs subcommands on its data directory, `start()` serves."""

    def __init__(self, workdir, extra_config="", host="127.0.0.1"):
        self.workdir = workdir
        self.host = host
        self.data_dir = os.path.join(workdir, "data")
        self.mx_port = free_port(host)
        self.submission_port = free_port(host)
        self.submissions_port = free_port(host)
        # Every server gets its own HTTP port: the dev default 2080 would collide between tests
        # running in parallel. A test that configures [http] itself sets http_port too.
        self.http_port = free_port(host)
        self.config_path = os.path.join(workdir, "mailwarden.toml")
        self.log_path = os.path.join(workdir, "server.log")
        self.stdout_path = os.path.join(workdir, "server.out")
        h = f"[{host}]" if ":" in host else host
        # The server opens the HTTP listener after the SMTP ones: start() waits for both.
        self.wait_for_http = "[http]" not in extra_config
        with open(self.config_path, "w") as f:
            f.write(f'data_dir = "{self.data_dir}"\nhostname = "mx.test.invalid"\n\n'
                    f'[log]\nlevel = "debug"\nfile = "{self.log_path}"\n\n'
                    f'[listeners.mx]\naddresses = ["{h}:{self.mx_port}"]\n\n'
                    f'[listeners.submission]\naddresses = ["{h}:{self.submission_port}"]\n\n'
                    f'[listeners.submissions]\naddresses = ["{h}:{self.submissions_port}"]\n\n'
                    + extra_config)
            if "[http]" not in extra_config:
                f.write(f'\n[http]\nlisten = ["{h}:{self.http_port}"]\n')
            if "[outbound]" not in extra_config:
                # Tests talk only to loopback: mail relayed to other domains asks a DNS port on
                # 127.0.0.1 where nothing listens, so it is deferred, never sent anywhere.
                dead_dns = free_port("127.0.0.1")
                f.write(f'\n[outbound]\ndns_servers = ["127.0.0.1:{dead_dns}"]\n')
        self.proc = None

    def cli(self, *args, input=None, check=True):
        cmd = [BINARY, *args, "--config", self.config_path]
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"{cmd} exited {r.returncode}: {r.stderr}{r.stdout}")
        return r

    def add_domain(self, domain):
        self.cli("domain", "add", domain)

    def add_user(self, address, password="correct horse battery"):
        self.cli("user", "add", address, "--password-stdin", input=password + "\n")

    def start(self):
        self.out = open(self.stdout_path, "ab")
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config_path],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        if not wait_for_port(self.host, self.mx_port) or (
                self.wait_for_http and not wait_for_port(self.host, self.http_port)):
            self.stop()
            raise AssertionError("server did not start listening:\n" + self.output())

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        self.proc = None
        self.out.close()
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def output(self):
        text = ""
        for p in (self.stdout_path, self.log_path):
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    text += f.read()
        return text

    def log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def maildir(self, address):
        local, domain = address.rsplit("@", 1)
        return os.path.join(self.data_dir, "mail", domain.lower(), local)

    def messages(self, address):
        """Files in new/ of the address's Maildir, as bytes, sorted by name."""
        new = os.path.join(self.maildir(address), "new")
        if not os.path.isdir(new):
            return []
        out = []
        for name in sorted(os.listdir(new)):
            with open(os.path.join(new, name), "rb") as f:
                out.append(f.read())
        return out

    def wait_for_messages(self, address, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msgs = self.messages(address)
            if len(msgs) >= count:
                return msgs
            time.sleep(0.05)
        return self.messages(address)


def split_trace(message: bytes):
    """Returns (trace header block, original message) for a delivered Maildir file: the server
    prepends exactly Return-Path: and Received: (possibly folded) before the original bytes."""
    lines = message.split(b"\n")
    assert lines[0].startswith(b"Return-Path: "), lines[0]
    i = 1
    assert lines[i].startswith(b"Received: "), lines[i]
    i += 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    trace = b"\n".join(lines[:i]) + b"\n"
    return trace, message[len(trace):]


class ServerTestCase(unittest.TestCase):
    """Gives each test a fresh server with domain example.test and user alice@example.test."""

    extra_config = ""
    users = ("alice@example.test",)

    def setUp(self):
        if not BINARY or not os.path.exists(BINARY):
            self.fail("MW_BINARY must point to the mailwarden binary")
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-")
        self.server = Server(self.tmp, self.extra_config)
        self.server.add_domain("example.test")
        for u in self.users:
            self.server.add_user(u)
        self.server.start()

    def tearDown(self):
        rc = self.server.stop()
        output = self.server.output()
        if os.environ.get("MW_KEEP_TMP"):
            print(f"\nkept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, "server did not exit cleanly on SIGTERM:\n" + output[-4000:])
