"""Issue #5 part 7: GET /metrics on the HTTP listener. Real traffic (smtplib, swaks, a raw socket)
moves the counters; curl scrapes the page; every counter asserted moved by exactly what the
traffic caused; Prometheus's own `promtool check metrics` accepts the page."""
import re
import shutil
import smtplib
import socket
import subprocess
import time
import unittest

from mwtest import ServerTestCase, insecure_tls_context

PASSWORD = "correct horse battery"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_page(text):
    """{(name, frozenset of (label, value)): value} of every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


class Metrics(ServerTestCase):
    users = ("alice@example.test", "bob@example.test")
    # The failed login below would also bring alice a user notice (a local delivery of its
    # own); this test counts only the traffic it sends itself.
    extra_config = "[notices]\nenabled = false\n"

    def scrape(self):
        """(Content-Type, body) of GET /metrics, fetched with curl."""
        r = subprocess.run(["curl", "-sS", "--max-time", "20", "-D", "-",
                            f"http://127.0.0.1:{self.server.http_port}/metrics"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Text mode turns curl's CRLF header lines into LF.
        head, _, body = r.stdout.partition("\n\n")
        self.assertRegex(head.splitlines()[0], r"^HTTP/1\.[01] 200 ")
        ctype = ""
        for line in head.splitlines()[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-type":
                ctype = value.strip()
        return ctype, body

    def value(self, name, **labels):
        return parse_page(self.scrape()[1]).get((name, frozenset(labels.items())), 0.0)

    def wait_value(self, want, name, **labels):
        """Polls until the sample equals `want` (events finish after the client has its reply);
        bounded to 30 s, returns the last value seen."""
        deadline = time.monotonic() + 30
        got = self.value(name, **labels)
        while got != want and time.monotonic() < deadline:
            time.sleep(0.1)
            got = self.value(name, **labels)
        return got

    def settle(self):
        """The harness's readiness probe (a connect and close on the MX port) may be counted or
        not, depending on when the server accepts it: once a session of our own on the MX port
        got its greeting, the probe is behind us (one acceptor accepts in order). Returns the
        page after that session has ended."""
        with socket.create_connection(("127.0.0.1", self.server.mx_port), timeout=30) as raw:
            raw.settimeout(30)
            self.assertTrue(raw.recv(4096).startswith(b"220"))
        self.assertEqual(self.wait_value(0, "mailwarden_connections_open"), 0)
        return parse_page(self.scrape()[1])

    def test_traffic_moves_each_counter_by_exactly_its_events(self):
        before = self.settle()
        # Each listener is listed from the start, so rate() sees the first increase.
        for listener in ("submission", "submissions"):
            key = ("mailwarden_connections_accepted_total", frozenset({("listener", listener)}))
            self.assertEqual(before.get(key), 0.0, listener)

        # 1. A message from another server, delivered into a local Maildir.
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.sendmail("x@remote.example", ["alice@example.test"], b"Subject: in\r\n\r\nhi\r\n")
        self.assertEqual(len(self.server.wait_for_messages("alice@example.test", 1)), 1)

        # 2. A relay attempt without AUTH on the MX port: one 550 relay_unauthenticated.
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("x@remote.example")
            self.assertEqual(s.rcpt("y@elsewhere.example")[0], 550)

        # 3. STARTTLS, one failed PLAIN login (smtplib.login would also try LOGIN), one good.
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.starttls(context=insecure_tls_context())
            s.ehlo("client.example")
            s.user, s.password = "alice@example.test", "not the password"
            with self.assertRaises(smtplib.SMTPAuthenticationError) as failed:
                s.auth("PLAIN", s.auth_plain)
            self.assertEqual(failed.exception.smtp_code, 535)
            s.user, s.password = "alice@example.test", PASSWORD
            self.assertEqual(s.auth("PLAIN", s.auth_plain)[0], 235)

        # 4. Implicit TLS with swaks: AUTH LOGIN and a message to bob.
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.server.submissions_port}",
                            "--tlsc", "--auth", "LOGIN", "--auth-user", "alice@example.test",
                            "--auth-password", PASSWORD, "--from", "alice@example.test",
                            "--to", "bob@example.test"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.test", 1)), 1)

        # 5. A client that speaks plaintext to the implicit-TLS port: a failed handshake.
        with socket.create_connection(("127.0.0.1", self.server.submissions_port), timeout=30) as raw:
            raw.sendall(b"EHLO plaintext.example\r\n")
            raw.settimeout(30)
            while raw.recv(4096):
                pass

        m = "mailwarden_"
        self.assertEqual(self.wait_value(1, m + "tls_handshakes_total", listener="submissions",
                                         result="failed"), 1)
        self.assertEqual(self.wait_value(2, m + "delivery_recipients_total", channel="local",
                                         result="delivered"), 2)
        ctype, body = self.scrape()
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        page = parse_page(body)

        def got(name, **labels):
            """How much the sample moved since `before`."""
            key = (m + name, frozenset(labels.items()))
            return page.get(key, 0.0) - before.get(key, 0.0)

        self.assertEqual(got("connections_accepted_total", listener="mx"), 2)
        self.assertEqual(got("connections_accepted_total", listener="submission"), 1)
        self.assertEqual(got("connections_accepted_total", listener="submissions"), 2)
        self.assertEqual(got("connections_refused_total", listener="mx",
                             reason="connection_limit_per_ip"), 0)
        self.assertEqual(got("tls_handshakes_total", listener="submission", result="ok"), 1)
        self.assertEqual(got("tls_handshakes_total", listener="submissions", result="ok"), 1)
        self.assertEqual(got("tls_handshakes_total", listener="submissions", result="failed"), 1)
        self.assertEqual(got("smtp_refusals_total", listener="mx",
                             reason="relay_unauthenticated"), 1)
        self.assertEqual(got("smtp_refusals_total", listener="submission", reason="auth_failed"), 1)
        refusals = sum(v - before.get(k, 0.0) for k, v in page.items()
                       if k[0] == m + "smtp_refusals_total")
        self.assertEqual(refusals, 2, "no other reply of 400 or more was sent")
        self.assertEqual(got("auth_attempts_total", listener="submission", mechanism="PLAIN",
                             result="failed", cause="wrong_password"), 1)
        self.assertEqual(got("auth_attempts_total", listener="submission", mechanism="PLAIN",
                             result="ok", cause="none"), 1)
        self.assertEqual(got("auth_attempts_total", listener="submissions", mechanism="LOGIN",
                             result="ok", cause="none"), 1)
        self.assertEqual(got("messages_accepted_total", listener="mx"), 1)
        self.assertEqual(got("messages_accepted_total", listener="submissions"), 1)
        self.assertEqual(got("messages_accepted_total", listener="submission"), 0)
        self.assertEqual(got("delivery_recipients_total", channel="local", result="deferred"), 0)

        self.assertEqual(self.wait_value(0, m + "spool_messages"), 0)
        self.assertEqual(self.wait_value(0, m + "connections_open"), 0)

    def test_outbound_queue_and_open_connections_are_gauges(self):
        self.settle()
        # An open SMTP session shows while it lasts.
        with socket.create_connection(("127.0.0.1", self.server.mx_port), timeout=30) as raw:
            raw.settimeout(30)
            self.assertTrue(raw.recv(4096).startswith(b"220"))
            self.assertEqual(self.value("mailwarden_connections_open"), 1)
        self.assertEqual(self.wait_value(0, "mailwarden_connections_open"), 0)

        # Mail for another domain waits in the outbound queue: the test DNS port is dead, so
        # the first attempt is deferred and the message stays queued (and spooled).
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.starttls(context=insecure_tls_context())
            s.login("alice@example.test", PASSWORD)
            s.sendmail("alice@example.test", ["someone@remote.example"], b"Subject: out\r\n\r\nx\r\n")
        self.assertEqual(self.wait_value(1, "mailwarden_outbound_queue_messages"), 1)
        self.assertEqual(self.wait_value(1, "mailwarden_delivery_recipients_total",
                                         channel="remote", result="deferred"), 1)
        self.assertEqual(self.value("mailwarden_spool_messages"), 1)
        self.assertGreater(self.value("mailwarden_spool_bytes"), 0)

    def test_promtool_accepts_the_page(self):
        self.assertTrue(shutil.which("promtool"),
                        "promtool missing: scripts/install-deps.sh installs it (package prometheus)")
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("x@remote.example")
            s.rcpt("y@elsewhere.example")
        self.wait_value(1, "mailwarden_smtp_refusals_total", listener="mx",
                        reason="relay_unauthenticated")
        _, body = self.scrape()
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\n" + body)
        self.assertEqual(r.stdout + r.stderr, "", "promtool has lint remarks")


class MetricsOnlyForAllowedNetworks(ServerTestCase):
    # 127.0.0.1 (the test's curl) is not in the list: the page is refused, naming the key to set.
    extra_config = '[metrics]\nallowed_networks = ["192.0.2.0/24"]\n'

    def test_other_clients_get_403_naming_the_setting(self):
        r = subprocess.run(["curl", "-sS", "--max-time", "20", "-w", "\\n%{http_code}",
                            f"http://127.0.0.1:{self.server.http_port}/metrics"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        body, _, status = r.stdout.rpartition("\n")
        self.assertEqual(status, "403", body)
        self.assertIn("metrics.allowed_networks", body)
        self.assertNotIn("mailwarden_", body)


if __name__ == "__main__":
    unittest.main()
