"""Issue #3 with real clients: TLS (STARTTLS on submission, implicit TLS on submissions), SMTP
AUTH PLAIN/LOGIN, submission policy, relay after AUTH, sender ownership, and the refusal texts
that name the cause and the fix. The dev default's self-signed certificate is used, so clients
run without certificate verification (the test checks the certificate itself separately)."""
import base64
import hashlib
import os
import signal
import smtplib
import socket
import subprocess
import time
import unittest

from mwtest import ServerTestCase, insecure_tls_context, split_trace
from smtpraw import RawSmtp

PASSWORD = "correct horse battery"
MESSAGE = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via submission\r\n\r\nhello\r\n"


def peer_fingerprint(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with insecure_tls_context().wrap_socket(raw) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


class SubmissionTlsAuth(ServerTestCase):
    users = ("alice@example.test", "bob@example.test")

    def test_starttls_then_auth_plain_delivers_with_esmtpsa(self):
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"), "AUTH must not be offered before STARTTLS")
            s.starttls(context=insecure_tls_context())
            s.ehlo("client.example")
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())
            s.login("alice@example.test", PASSWORD)
            s.sendmail("alice@example.test", ["bob@example.test"], MESSAGE)
        msgs = self.server.wait_for_messages("bob@example.test", 1)
        self.assertEqual(len(msgs), 1)
        trace, body = split_trace(msgs[0])
        self.assertEqual(body, MESSAGE)
        self.assertIn(b"ESMTPSA", trace)
        self.assertRegex(trace, rb"TLSv1\.[23]")

    def test_swaks_starttls_auth_login(self):
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.server.submission_port}", "--tls",
                            "--auth", "LOGIN", "--auth-user", "alice@example.test", "--auth-password",
                            PASSWORD, "--from", "alice@example.test", "--to", "bob@example.test"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.test", 1)), 1)

    def test_swaks_implicit_tls_auth_plain(self):
        # --tlsc: TLS from the first byte (RFC 8314), as mail clients' "SSL/TLS" on port 465.
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.server.submissions_port}", "--tlsc",
                            "--auth", "PLAIN", "--auth-user", "alice@example.test", "--auth-password",
                            PASSWORD, "--from", "alice@example.test", "--to", "bob@example.test"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("235", r.stdout)
        msgs = self.server.wait_for_messages("bob@example.test", 1)
        self.assertEqual(len(msgs), 1)
        trace, _ = split_trace(msgs[0])
        self.assertIn(b"ESMTPSA", trace)

    def test_curl_implicit_tls_smtps(self):
        path = os.path.join(self.tmp, "m.eml")
        with open(path, "wb") as f:
            f.write(MESSAGE)
        r = subprocess.run(["curl", "-sS", "--max-time", "60", "-k",
                            f"smtps://127.0.0.1:{self.server.submissions_port}/client.example",
                            "--user", f"alice@example.test:{PASSWORD}",
                            "--mail-from", "alice@example.test", "--mail-rcpt", "bob@example.test",
                            "--upload-file", path], capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = self.server.wait_for_messages("bob@example.test", 1)
        self.assertEqual(split_trace(msgs[0])[1], MESSAGE)

    def test_curl_ssl_reqd_on_submission(self):
        path = os.path.join(self.tmp, "m.eml")
        with open(path, "wb") as f:
            f.write(MESSAGE)
        r = subprocess.run(["curl", "-sS", "--max-time", "60", "-k", "--ssl-reqd",
                            f"smtp://127.0.0.1:{self.server.submission_port}/client.example",
                            "--user", f"alice@example.test:{PASSWORD}",
                            "--mail-from", "alice@example.test", "--mail-rcpt", "bob@example.test",
                            "--upload-file", path], capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.test", 1)), 1)

    def test_msmtp_starttls(self):
        r = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={self.server.submission_port}",
                            "--tls=on", "--tls-starttls=on", "--tls-certcheck=off", "--auth=plain",
                            "--user=alice@example.test", "--passwordeval=echo '" + PASSWORD + "'",
                            "--from=alice@example.test", "bob@example.test"],
                           input=MESSAGE, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.server.wait_for_messages("bob@example.test", 1)), 1)

    def test_refusals_name_the_cause(self):
        # Plaintext submission: the client skipped STARTTLS (connection security "None").
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.ehlo("client.example")
            code, text = s.mail("alice@example.test")
            self.assertEqual(code, 530, text)
            self.assertIn(b"STARTTLS", text)
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.starttls(context=insecure_tls_context())
            s.ehlo("client.example")
            code, text = s.mail("alice@example.test")
            self.assertEqual(code, 530, text)  # no AUTH yet
            self.assertIn(b"authentication", text.lower())
            with self.assertRaises(smtplib.SMTPAuthenticationError) as short:
                s.login("alice", PASSWORD)
            self.assertEqual(short.exception.smtp_code, 535)
            self.assertIn(b"full email address", short.exception.smtp_error)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as wrong:
                s.login("alice@example.test", "not the password")
            self.assertEqual(wrong.exception.smtp_code, 535)
            self.assertTrue(wrong.exception.smtp_error.startswith(b"5.7.8"))
            s.login("alice@example.test", PASSWORD)
            code, text = s.mail("bob@example.test")
            self.assertEqual(code, 553, text)
            self.assertIn(b"alice@example.test", text)
            s.rset()
            self.assertEqual(s.mail("alice@example.test")[0], 250)
            code, text = s.rcpt("someone@remote.example")
            self.assertEqual(code, 250, "an authenticated user may relay")
        log = self.server.log()
        for reason in ("tls_required", "auth_required", "auth_short_username", "auth_failed",
                       "sender_not_owned"):
            self.assertIn("reason=" + reason, log)

    def test_alias_with_two_mailboxes_and_postmaster(self):
        # Issue #3 part 5: an alias delivers to every target; RFC 5321 §4.5.1 postmaster.
        self.server.cli("alias", "add", "team@example.test", "alice@example.test", "bob@example.test")
        self.server.cli("alias", "add", "postmaster@example.test", "alice@example.test")
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.sendmail("x@remote.example", ["team@example.test"], b"Subject: team\r\n\r\nhi\r\n")
            s.sendmail("x@remote.example", ["Postmaster"], b"Subject: pm\r\n\r\nhi\r\n")
        self.assertEqual(len(self.server.wait_for_messages("bob@example.test", 1)), 1)
        alice = self.server.wait_for_messages("alice@example.test", 2)
        self.assertEqual(len(alice), 2)

    def test_relay_refused_without_auth_on_submission_and_mx(self):
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("x@remote.example")
            code, text = s.rcpt("y@elsewhere.example")
            self.assertEqual(code, 550)
            self.assertIn(b"turn on SMTP authentication", text)

    def test_starttls_injection_is_not_executed(self):
        # CVE-2011-0411: a command pipelined behind STARTTLS in the same packet must never run.
        c = RawSmtp("127.0.0.1", self.server.submission_port)
        c.reply()
        c.cmd("EHLO attacker.example")
        c.send(b"STARTTLS\r\nRSET\r\nMAIL FROM:<alice@example.test>\r\n")
        code, _ = c.reply()
        self.assertEqual(code, 220)
        tls = insecure_tls_context().wrap_socket(c.sock)
        tls.settimeout(10)
        tls.sendall(b"NOOP\r\n")
        first = tls.recv(4096)
        self.assertTrue(first.startswith(b"250"), first)
        self.assertNotIn(b"2.1.0", first, "the injected MAIL FROM was executed")
        tls.close()

    def test_certificate_reload_on_sighup(self):
        before = peer_fingerprint(self.server.submissions_port)
        tls_dir = os.path.join(self.server.data_dir, "tls")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=reloaded.test",
                        "-keyout", os.path.join(tls_dir, "key.pem"),
                        "-out", os.path.join(tls_dir, "cert.pem")], check=True, capture_output=True, timeout=60)
        os.chmod(os.path.join(tls_dir, "key.pem"), 0o600)
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        after = before
        while after == before and time.monotonic() < deadline:
            time.sleep(0.1)
            after = peer_fingerprint(self.server.submissions_port)
        self.assertNotEqual(before, after, "the new certificate was not loaded")
        self.assertIn("event=tls_reloaded", self.server.log())


if __name__ == "__main__":
    unittest.main()
