"""Issue #4 end to end: an authenticated user's mail to another domain goes out through the real
resolver (dnsmasq on loopback serving MX/A records) to real SMTP servers (aiosmtpd on 127.0.0.11
and 127.0.0.12): preferred MX, fallback to the next MX, retry after 4xx, bounce after 5xx with the
remote reply quoted, null MX, partial failure, STARTTLS to the remote, a relay host with AUTH over
implicit TLS, the queue CLI, and a restart with a non-empty queue."""
import json
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from dnsfixture import DnsServer
from mwtest import BINARY, Server, insecure_tls_context
from remote_smtp import RemoteSmtp

PASSWORD = "correct horse battery"
MX1, MX2 = "127.0.0.11", "127.0.0.12"


def port_free_on(hosts):
    """One TCP port number free on every address in `hosts` (each MX host listens on it)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        ok = True
        for h in hosts:
            with socket.socket() as s:
                try:
                    s.bind((h, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no common free port")


class BrokenRemote:
    """A raw TCP "SMTP server" that misbehaves on purpose, on one loopback address:
    hang     - answers up to DATA's 354, then never answers the final dot;
    endless  - sends a greeting line that never ends (bytes without CRLF, bounded to ~1 MiB);
    drop     - answers up to 354, reads part of the body, then closes the connection."""

    def __init__(self, host, port, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self.talk, args=(conn,), daemon=True).start()

    def talk(self, conn):
        conn.settimeout(30)
        try:
            if self.mode == "endless":
                for _ in range(256):  # 1 MiB at most, never a line end
                    if self.stop.is_set():
                        break
                    conn.sendall(b"2" * 4096)
                return
            conn.sendall(b"220 broken.remote.test ESMTP\r\n")
            buf = b""
            while not self.stop.is_set():
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    verb = line[:4].upper()
                    if verb in (b"EHLO", b"HELO"):
                        conn.sendall(b"250-broken.remote.test\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        conn.sendall(b"354 go ahead\r\n")
                        if self.mode == "drop":
                            conn.recv(10)
                            return
                        # hang: swallow the body and never answer the final dot
                        while not self.stop.is_set():
                            if not conn.recv(4096):
                                return
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        conn.sendall(b"250 ok\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=5)


RECORDS = {
    "remote.test": {"MX": [(10, "mx1.remote.test"), (20, "mx2.remote.test")]},
    "mx1.remote.test": {"A": [MX1]},
    "mx2.remote.test": {"A": [MX2]},
    "nomail.test": {"MX": [(0, ".")]},
}


def message(to, subject="outbound test"):
    return (f"From: alice@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}@example.test>\r\n\r\nhello over there\r\n").encode()


class OutboundDelivery(unittest.TestCase):
    def setUp(self):
        self.assertTrue(BINARY and os.path.exists(BINARY), "MW_BINARY must point to the binary")
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-out-")
        self.port = port_free_on([MX1, MX2])
        self.dns = DnsServer(RECORDS)
        self.dns.start()
        self.server = None
        self.remotes = []

    def tearDown(self):
        rc = self.server.stop() if self.server else 0
        for r in self.remotes:
            r.__exit__(None, None, None)
        self.dns.stop()
        output = self.server.output() if self.server else ""
        if os.environ.get("MW_KEEP_TMP"):
            print(f"\nkept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, "server did not exit cleanly:\n" + output[-4000:])

    def remote(self, host, **kwargs):
        r = RemoteSmtp(host, self.port, workdir=tempfile.mkdtemp(dir=self.tmp), **kwargs)
        r.__enter__()
        self.remotes.append(r)
        return r

    def start_server(self, extra="", retry="1s"):
        config = ("[outbound]\n"
                  f'dns_servers = ["{self.dns.address}"]\n'
                  f"mx_port = {self.port}\n"
                  f'retry_intervals = "{retry}"\nmax_retry_interval = "2h"\n'
                  "connect_timeout = 3\ntimeout_cap = 10\n" + extra)
        if self.server is None:
            self.server = Server(self.tmp, config)
            self.server.add_domain("example.test")
            self.server.add_user("alice@example.test", PASSWORD)
        self.server.start()

    def submit(self, rcpts, body=None):
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.starttls(context=insecure_tls_context())
            s.login("alice@example.test", PASSWORD)
            s.sendmail("alice@example.test", rcpts, body or message(rcpts[0]))

    def wait_log(self, needle, timeout=30.0, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.log().count(needle) >= count:
                return True
            time.sleep(0.1)
        return False

    def bounces(self, count=1, timeout=30.0):
        return self.server.wait_for_messages("alice@example.test", count, timeout)

    def test_preferred_mx_gets_the_message_with_our_received_line(self):
        mx1, mx2 = self.remote(MX1), self.remote(MX2)
        self.start_server()
        self.submit(["bob@remote.test"])
        got = mx1.wait_for(1)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].mail_from, "alice@example.test")
        self.assertEqual(got[0].rcpt_tos, ["bob@remote.test"])
        content = got[0].content
        self.assertTrue(content.startswith(b"Received: from "), content[:200])
        self.assertIn(b"by mx.test.invalid", content)
        self.assertIn(b"hello over there", content)
        self.assertEqual(mx2.messages, [])
        self.assertTrue(self.wait_log("status=sent"), self.server.log()[-3000:])
        self.assertIn("relay=mx1.remote.test[127.0.0.11] ", self.server.log())
        self.assertTrue(self.wait_log("event=remote_done"))
        listing = self.server.cli("queue", "list").stdout
        self.assertIn("the outbound queue is empty", listing)

    def test_second_mx_when_the_first_refuses_connections(self):
        mx2 = self.remote(MX2)  # nothing listens on mx1
        self.start_server()
        self.submit(["bob@remote.test"])
        self.assertEqual(len(mx2.wait_for(1)), 1)
        log = self.server.log()
        self.assertIn("event=try_next_host", log)
        self.assertIn("relay=mx2.remote.test[127.0.0.12] ", log)

    def test_temporary_failure_is_retried_then_delivered(self):
        mx1 = self.remote(MX1, tempfail_first={"bob@remote.test": 1})
        self.remote(MX2, tempfail_first={"bob@remote.test": 1})
        self.start_server()
        self.submit(["bob@remote.test"])
        self.assertEqual(len(mx1.wait_for(1, timeout=40)), 1)
        log = self.server.log()
        self.assertIn("status=deferred", log)
        self.assertIn("451\\x204.3.0\\x20try\\x20again\\x20later", log)
        self.assertTrue(self.wait_log("status=sent"))

    def test_permanent_failure_bounces_with_the_remote_reply_quoted(self):
        self.remote(MX1, rules={"nobody@remote.test": (550, "5.1.1 <nobody@remote.test>: no such user here")})
        self.start_server()
        self.submit(["nobody@remote.test"], message("nobody@remote.test", "will bounce"))
        bounces = self.bounces(1)
        self.assertEqual(len(bounces), 1, self.server.log()[-3000:])
        b = bounces[0]
        self.assertIn(b"Return-Path: <>", b)
        self.assertIn(b"multipart/report", b)
        self.assertIn(b"report-type=delivery-status", b)
        self.assertIn(b"no such user here", b)
        self.assertIn(b"Final-Recipient: rfc822;nobody@remote.test", b.replace(b"; ", b";"))
        self.assertIn(b"Status: 5.1.1", b)
        self.assertIn(b"Subject: will bounce", b, "the original headers must come back")
        self.assertIn(b"Auto-Submitted: auto-replied", b)
        self.assertTrue(self.wait_log("event=remote_done"))

    def test_partial_failure_delivers_one_and_bounces_the_other(self):
        mx1 = self.remote(MX1, rules={"nobody@remote.test": (550, "5.1.1 no such user")})
        self.start_server()
        self.submit(["bob@remote.test", "nobody@remote.test"])
        got = mx1.wait_for(1)
        self.assertEqual(got[0].rcpt_tos, ["bob@remote.test"])
        b = self.bounces(1)[0]
        self.assertIn(b"nobody@remote.test", b)
        report = b.split(b"message/delivery-status", 1)[1]
        self.assertNotIn(b"bob@remote.test", report.split(b"text/rfc822-headers")[0])

    def test_null_mx_bounces_at_once(self):
        self.start_server()
        self.submit(["someone@nomail.test"])
        b = self.bounces(1)[0]
        self.assertIn(b"Status: 5.1.10", b)
        self.assertIn("status=bounced", self.server.log())

    def test_a_delay_notice_then_a_bounce_when_the_message_gets_too_old(self):
        self.remote(MX1, tempfail_first={"bob@remote.test": 1000})
        self.remote(MX2, tempfail_first={"bob@remote.test": 1000})
        self.start_server('max_age = "4s"\ndelay_notice = "1s"\n')
        self.submit(["bob@remote.test"], message("bob@remote.test", "slow one"))
        notices = self.bounces(2, timeout=40)
        self.assertEqual(len(notices), 2, self.server.log()[-3000:])
        delayed = [n for n in notices if b"Action: delayed" in n]
        failed = [n for n in notices if b"Action: failed" in n]
        self.assertEqual((len(delayed), len(failed)), (1, 1))
        self.assertIn(b"Subject: Delayed Mail", delayed[0])
        self.assertIn(b"Status: 4.", delayed[0])
        self.assertIn(b"too long in the queue", failed[0].replace(b"=\r\n", b""))
        self.assertIn(b"try again later", failed[0])
        self.assertTrue(self.wait_log("event=remote_done"))

    def broken(self, host, mode):
        b = BrokenRemote(host, self.port, mode)
        self.addCleanup(b.close)
        return b

    def test_a_remote_that_hangs_after_the_body_costs_one_attempt_each_time(self):
        hung = self.broken(MX1, "hang")
        self.start_server()
        self.submit(["bob@remote.test"])
        # timeout_cap = 10 s in the harness: two attempts (1 s apart) each end by the deadline.
        self.assertTrue(self.wait_log("status=deferred", timeout=40, count=2),
                        self.server.log()[-3000:])
        self.assertGreaterEqual(hung.connections, 2)
        self.assertIn("event=deferred_remote", self.server.log())
        listing = json.loads(self.server.cli("queue", "list", "--json").stdout)
        self.assertEqual(listing[0]["pending"], 1)

    def test_an_endless_greeting_line_moves_on_to_the_next_mx(self):
        self.broken(MX1, "endless")
        mx2 = self.remote(MX2)
        self.start_server()
        self.submit(["bob@remote.test"])
        self.assertEqual(len(mx2.wait_for(1, timeout=40)), 1, self.server.log()[-3000:])
        self.assertIn("event=try_next_host", self.server.log())

    def test_a_connection_dropped_mid_data_is_retried(self):
        self.broken(MX1, "drop")
        self.start_server()
        self.submit(["bob@remote.test"])
        self.assertTrue(self.wait_log("status=deferred", timeout=40, count=2),
                        self.server.log()[-3000:])
        self.assertNotIn("status=sent", self.server.log())

    def test_a_domain_route_overrides_mx_lookup_and_the_relay_host(self):
        mx2 = self.remote(MX2)
        relay = self.remote(MX1)
        # routed.test has no DNS record at all: only the route can deliver it. Everything else
        # goes to the relay host.
        self.start_server(f'relay_host = "{MX1}:{self.port}"\nrelay_security = "none"\n'
                          f'routes = ["Routed.Test = {MX2}:{self.port} tls=opportunistic"]\n')
        self.submit(["ann@routed.test"])
        self.submit(["bob@remote.test"])
        got = mx2.wait_for(1)
        self.assertEqual([m.rcpt_tos for m in got], [["ann@routed.test"]],
                         self.server.log()[-3000:])
        self.assertEqual([m.rcpt_tos for m in relay.wait_for(1)], [["bob@remote.test"]])

    def test_a_bad_route_stops_the_start_with_its_text(self):
        config = ("[outbound]\n" + f'dns_servers = ["{self.dns.address}"]\n'
                  'routes = ["routed.test mx.example:25"]\n')
        self.server = Server(self.tmp, config)
        self.server.add_domain("example.test")
        r = subprocess.run([BINARY, "serve", "--config", self.server.config_path],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn('outbound.routes: "routed.test mx.example:25": expected', r.stderr)
        self.server = None

    def test_starttls_to_the_remote(self):
        mx1 = self.remote(MX1, starttls=True)
        self.start_server()
        self.submit(["bob@remote.test"])
        self.assertEqual(len(mx1.wait_for(1)), 1)
        self.assertTrue(self.wait_log("status=sent"))
        self.assertRegex(self.server.log(), r"event=outbound .* tls=TLSv1\.[23]/\S+ status=sent")

    def test_relay_host_with_auth_over_implicit_tls(self):
        relay = self.remote(MX1, implicit_tls=True, auth={"relayuser": "relay secret"})
        password_file = os.path.join(self.tmp, "relay.pass")
        with open(password_file, "w") as f:
            f.write("relay secret\n")
        os.chmod(password_file, 0o600)
        self.start_server(f'relay_host = "{MX1}:{self.port}"\nrelay_security = "tls"\n'
                          f'relay_username = "relayuser"\nrelay_password_file = "{password_file}"\n'
                          "relay_verify_certificate = false\n")
        self.submit(["carol@anywhere.test"])  # no DNS record: only the relay host is used
        got = relay.wait_for(1)
        self.assertEqual(len(got), 1, self.server.log()[-3000:])
        self.assertEqual(got[0].rcpt_tos, ["carol@anywhere.test"])
        self.assertIn(("PLAIN", "relayuser"), relay.auth_log)

    def test_queue_cli_then_restart_delivers_what_was_pending(self):
        self.remote(MX1, tempfail_first={"bob@remote.test": 1000})
        self.start_server(retry="1h")
        self.submit(["bob@remote.test"])
        self.assertTrue(self.wait_log("event=deferred_remote"), self.server.log()[-3000:])
        listing = json.loads(self.server.cli("queue", "list", "--json").stdout)
        self.assertEqual(len(listing), 1)
        entry = listing[0]
        self.assertEqual(entry["sender"], "alice@example.test")
        self.assertEqual(entry["pending"], 1)
        self.assertIn("451", entry["last_error"])
        shown = self.server.cli("queue", "show", entry["id"]).stdout
        self.assertIn("bob@remote.test  pending", shown)
        self.assertIn("deferred", shown)
        self.assertEqual(self.server.stop(), 0)
        for r in self.remotes:
            r.__exit__(None, None, None)
        self.remotes = []
        mx1 = self.remote(MX1)
        self.server.start()
        # The stored schedule says "in an hour"; the admin asks for now.
        self.server.cli("queue", "retry", entry["id"])
        got = mx1.wait_for(1, timeout=30)
        self.assertEqual(len(got), 1, self.server.log()[-3000:])
        self.assertTrue(self.wait_log("event=remote_done"))
        self.assertIn("the outbound queue is empty", self.server.cli("queue", "list").stdout)

    def test_queue_bounce_returns_the_message_now(self):
        self.remote(MX1, tempfail_first={"bob@remote.test": 1000})
        self.start_server(retry="1h")
        self.submit(["bob@remote.test"])
        self.assertTrue(self.wait_log("event=deferred_remote"))
        entry = json.loads(self.server.cli("queue", "list", "--json").stdout)[0]
        self.server.cli("queue", "bounce", entry["id"])
        b = self.bounces(1)[0]
        self.assertIn(b"bob@remote.test", b)
        self.assertIn(b"returned by the postmaster", b)
        self.assertTrue(self.wait_log("event=remote_done"))
        # delete: a second message leaves the queue without a bounce.
        self.submit(["bob@remote.test"], message("bob@remote.test", "to be deleted"))
        deadline = time.monotonic() + 30
        pending = []
        while time.monotonic() < deadline and not pending:
            pending = json.loads(self.server.cli("queue", "list", "--json").stdout)
            time.sleep(0.2)
        self.assertEqual(len(pending), 1)
        self.server.cli("queue", "delete", pending[0]["id"])
        self.assertTrue(self.wait_log("reason=deleted_by_postmaster"), self.server.log()[-3000:])
        self.assertIn("the outbound queue is empty", self.server.cli("queue", "list").stdout)
        self.assertEqual(len(self.server.messages("alice@example.test")), 1, "no bounce for a delete")
        bad = self.server.cli("queue", "show", "nosuchid", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no message nosuchid", bad.stderr)


if __name__ == "__main__":
    unittest.main()
