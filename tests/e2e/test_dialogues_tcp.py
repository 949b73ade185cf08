"""Runs the same tests/dialogues/*.dlg scripts that the in-process harness runs, over TCP against
the real binary (format: tests/support/dialogue.hpp). Scripts group by the server settings their
fixtures need; one server per group. Fixtures that only a fake can produce (@tempfail,
@commit-fails, @scram-nonce, aliases with another canonical address, !timeout) keep those scripts
in-process only; the skip list is printed and bounded by an assertion so it cannot silently grow."""
import glob
import os
import re
import shutil
import socket
import ssl
import tempfile
import unittest

from mwtest import SOURCE_DIR, Server

HOSTNAME = "mx.example.test"
IN_PROCESS_PEER = "192.0.2.10"
MAX_SKIPPED = 16  # 12 + the two SCRAM scripts with a fixed server nonce + 2 of issue #5 (quota, rate)
DEFAULT_PASSWORD = "correct horse battery"


def expand(text: str, raw: bool) -> bytes:
    text = re.sub(r"\{(\d+)\*(.)\}", lambda m: m.group(2) * int(m.group(1)), text)
    if not raw:
        return text.encode("utf-8") + b"\r\n"
    out = bytearray()
    i = 0
    data = text.encode("utf-8")
    while i < len(data):
        c = data[i:i + 1]
        if c == b"\\" and i + 1 < len(data):
            n = data[i + 1:i + 2]
            simple = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == b"x":
                out.append(int(data[i + 2:i + 4], 16))
                i += 4
                continue
        out += c
        i += 1
    return bytes(out)


class Script:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.fixtures = []
        self.steps = []
        with open(path, encoding="utf-8") as f:
            for line in f.read().split("\n"):
                if not line.strip() or line.startswith("#"):
                    continue
                if line.startswith("@"):
                    self.fixtures.append(line[1:].split())
                else:
                    self.steps.append(line)

    def unsupported(self):
        for f in self.fixtures:
            if f[0] in ("tempfail", "commit-fails", "peer", "hostname", "auth-tempfail", "banned",
                        "mailbox-full", "rate-limited"):
                return f"@{f[0]} needs the in-process fake"
            if f[0] == "scram-nonce":
                return "a fixed SCRAM server nonce needs the in-process fake (gsasl: test_scram_auth)"
            if f[0] == "max-size" and int(f[1]) < 1024:
                return "@max-size below the smallest configurable size (1024)"
            if f[0] == "user" and len(f) > 2 and f[2].lower() != f[1].lower():
                return "an alias with another canonical address (issue #3)"
        if any(s.startswith("C: STARTTLS") for s in self.steps) and not self.has("tls"):
            return "needs a server without a TLS certificate"
        if any(s.startswith("!timeout") for s in self.steps):
            return "!timeout is driven by the in-process clock"
        return None

    def settings_key(self):
        # "@tls active" (already secure at connect) is the implicit-TLS port over TCP.
        listener = "submissions" if self.has("tls", "active") else "mx"
        limits = {}
        for f in self.fixtures:
            if f[0] == "listener" and not self.has("tls", "active"):
                listener = f[1]
            elif f[0] in ("max-recipients", "max-size", "max-errors"):
                limits[f[0]] = int(f[1])
            elif f[0] in ("auth-on-mx", "plaintext-auth"):
                limits[f[0]] = 1
        return listener, tuple(sorted(limits.items()))

    def has(self, *fixture):
        return any(f[:len(fixture)] == list(fixture) for f in self.fixtures)

    def users(self):
        """address -> password (None: any password)."""
        out = {f[1]: None for f in self.fixtures if f[0] == "user"}
        out.update({f[1]: f[2] for f in self.fixtures if f[0] == "password"})
        return out

    def grants(self):
        return {(f[1], f[2]) for f in self.fixtures if f[0] == "owns"}

    def domains(self):
        out = {f[1] for f in self.fixtures if f[0] == "domain"}
        return out | {u.rsplit("@", 1)[1] for u in self.users()}


class Reader:
    """Reply lines from the server. The e2e server always has a (self-signed) certificate, so
    EHLO lists STARTTLS; for scripts written for a server without one (no @tls fixture) that
    line is taken out of each reply before matching."""

    def __init__(self, sock, hide_starttls):
        self.sock, self.buf, self.queue = sock, b"", []
        self.hide_starttls = hide_starttls

    def raw_line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def line(self):
        if not self.queue:
            reply = []
            while True:
                l = self.raw_line()
                if l is None:
                    break
                reply.append(l)
                if not re.match(r"^\d{3}-", l):
                    break
            if self.hide_starttls and len(reply) > 1:
                kept = [l for l in reply if l[4:] != "STARTTLS"]
                if len(kept) < len(reply):
                    kept[-1] = kept[-1][:3] + " " + kept[-1][4:]
                reply = kept
            self.queue = reply
        return self.queue.pop(0) if self.queue else None

    def start_tls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        self.buf = b""


REF = re.compile(r" ref=[0-9A-HJKMNP-TV-Z]{5}$")


def without_ref(line: str) -> str:
    """Over TCP every refusal (4xx/5xx) ends its last line with the decision's reference token
    (issue #5); the in-process scripts have none. The token must be there, then it is taken out
    before matching."""
    if re.match(r"^[45]\d\d ", line):
        assert REF.search(line), f"refusal without ref= token: {line!r}"
        return REF.sub("", line)
    return line


def matches(pattern: str, line: str) -> bool:
    line = without_ref(line)
    pattern = pattern.replace(IN_PROCESS_PEER, "127.0.0.1")
    # Queue ids are the spool's, not the fake's.
    pattern = re.sub(r"queued as MW\d+", "queued as *", pattern)
    if "*" in pattern:
        parts = [re.escape(p) for p in pattern.split("*")]
        return re.fullmatch(".*".join(parts), line, re.S) is not None
    return pattern == line


def run_script(script, port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    reader = Reader(sock, hide_starttls=not script.has("tls"))
    if script.has("tls", "active"):
        reader.start_tls()
    pending = b""
    try:
        for step in script.steps:
            if step == "!tls":
                reader.start_tls()
                continue
            if step.startswith("C:") or step.startswith("C~"):
                pending += expand(step[3:] if len(step) > 2 else "", raw=step.startswith("C~"))
                continue
            if pending:
                reader.sock.sendall(pending)
                pending = b""
            if step.startswith("R:"):
                continue
            if step.startswith("!closed"):
                reader.sock.settimeout(10)
                extra = reader.line()
                assert extra is None, f"{script.name}: expected close, got {extra!r}"
                continue
            skip = step.startswith("S...")
            pattern = step[5:] if skip else step[3:]
            line = reader.line()
            while skip and line is not None and re.match(r"^\d{3}-", line):
                line = reader.line()
            assert line is not None, f"{script.name}: connection closed, wanted {pattern!r}"
            assert matches(pattern, line), f"{script.name}: got {line!r}, want {pattern!r}"
        if pending:
            reader.sock.sendall(pending)
    finally:
        reader.sock.close()


class DialoguesOverTcp(unittest.TestCase):
    def test_all_scripts(self):
        scripts = [Script(p) for p in sorted(glob.glob(os.path.join(SOURCE_DIR, "tests", "dialogues", "*.dlg")))]
        self.assertGreater(len(scripts), 20)
        skipped = {s.name: s.unsupported() for s in scripts if s.unsupported()}
        for name, why in skipped.items():
            print(f"in-process only: {name}: {why}")
        self.assertLessEqual(len(skipped), MAX_SKIPPED, skipped)
        groups = {}
        for s in scripts:
            if s.name not in skipped:
                groups.setdefault(s.settings_key(), []).append(s)
        users = {}
        for s in scripts:
            if s.name not in skipped:
                for address, password in s.users().items():
                    if password or address not in users:
                        users[address] = password
        grants = set().union(*(s.grants() for s in scripts if s.name not in skipped))
        domains = set().union(*(s.domains() for s in scripts if s.name not in skipped))
        ran = 0
        for (listener, limits), group in groups.items():
            limits = dict(limits)
            extra = "[limits]\n"
            extra += f"max_recipients = {limits.get('max-recipients', 100)}\n"
            extra += f"max_errors = {limits.get('max-errors', 10)}\n"
            if "max-size" in limits:
                extra += f"max_message_size = {limits['max-size']}\n"
            extra += "[auth]\n"
            extra += f"on_mx = {'true' if 'auth-on-mx' in limits else 'false'}\n"
            extra += f"plaintext_on_loopback = {'true' if 'plaintext-auth' in limits else 'false'}\n"
            tmp = tempfile.mkdtemp(prefix="mw-e2e-dlg-")
            server = Server(tmp, extra)
            with open(server.config_path) as f:
                cfg = f.read().replace('hostname = "mx.test.invalid"', f'hostname = "{HOSTNAME}"')
            with open(server.config_path, "w") as f:
                f.write(cfg)
            try:
                for d in sorted(domains):
                    server.add_domain(d)
                for u, password in sorted(users.items()):
                    server.add_user(u, password or DEFAULT_PASSWORD)
                for login, address in sorted(grants):
                    server.cli("user", "send-as", "add", login, address)
                server.start()
                port = {"mx": server.mx_port, "submission": server.submission_port,
                        "submissions": server.submissions_port}[listener]
                for s in group:
                    with self.subTest(script=s.name):
                        run_script(s, port)
                        ran += 1
                self.assertEqual(server.stop(), 0)
            finally:
                server.stop()
                shutil.rmtree(tmp, ignore_errors=True)
        print(f"ran {ran} dialogue scripts over TCP, {len(skipped)} in-process only")
        self.assertEqual(ran, len(scripts) - len(skipped))


if __name__ == "__main__":
    unittest.main()
