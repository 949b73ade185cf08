"""SMTP AUTH SCRAM-SHA-256 (RFC 7677, RFC 5802 inside RFC 4954) end to end with GNU SASL's gsasl,
a SCRAM client written independently of mailwarden: it verifies the server's TLS certificate
(the dev default's self-signed one, given as the CA), runs STARTTLS, EHLO and AUTH, and checks
the server-final signature itself. gsasl ends after AUTH (it does not send mail without a
security layer), so sending in a SCRAM-authenticated session is shown with smtplib and the
RFC 5802 client computation written out below."""
import base64
import hashlib
import hmac
import os
import re
import smtplib
import subprocess
import unittest

from mwtest import ServerTestCase, insecure_tls_context, split_trace

PASSWORD = "correct horse battery"
IMPORTED = "carol@example.test"
# "secret" as SHA512-CRYPT, as Dovecot stores it: PLAIN/LOGIN can check it, SCRAM cannot.
SHA512_SECRET = ("{SHA512-CRYPT}$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5kn"
                 "V8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1")


def gsasl(port, ca_file, user, password, *extra):
    # --no-cb: without it gsasl 2.2 asks GnuTLS for tls-unique, which TLS 1.3 does not have, and
    # gives up before sending anything; we offer no SCRAM-SHA-256-PLUS anyway.
    cmd = ["gsasl", "--smtp", "--connect", f"127.0.0.1:{port}", "--starttls", "--no-cb",
           f"--x509-ca-file={ca_file}", "--mechanism", "SCRAM-SHA-256",
           "--authentication-id", user, "--password", password, "--verbose", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


class ScramClient:
    """RFC 5802 §3 client side, for smtplib.SMTP.auth(): answers challenges in order."""

    def __init__(self, user, password):
        self.user, self.password = user, password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = f"n={user},r={self.nonce}"
        self.expected_v = None

    def __call__(self, challenge=None):
        if challenge is None:  # initial response: client-first
            return "n,," + self.first_bare
        text = challenge.decode()
        if text.startswith("v="):  # server-final: check that the server knows the key
            assert text == self.expected_v, (text, self.expected_v)
            return ""
        attrs = dict(a.split("=", 1) for a in text.split(","))
        assert attrs["r"].startswith(self.nonce)
        salt = base64.b64decode(attrs["s"])
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), salt, int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{self.first_bare},{text},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        self.expected_v = "v=" + base64.b64encode(
            hmac.new(server_key, auth_message, "sha256").digest()).decode()
        return f"{without_proof},p={base64.b64encode(proof).decode()}"


class ScramAuth(ServerTestCase):
    users = ("alice@example.test", "bob@example.test")

    def setUp(self):
        super().setUp()
        self.server.cli("user", "add", IMPORTED, "--hash", SHA512_SECRET)
        self.ca = os.path.join(self.server.data_dir, "tls", "cert.pem")
        self.assertTrue(os.path.exists(self.ca), "the dev default writes a self-signed certificate")

    def test_gsasl_right_password_logs_in(self):
        rc, out, err = gsasl(self.server.submission_port, self.ca, "alice@example.test", PASSWORD)
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"250[ -]AUTH SCRAM-SHA-256 PLAIN LOGIN")
        self.assertIn("AUTH SCRAM-SHA-256", out)
        self.assertIn("235 2.7.0 authentication successful: logged in as alice@example.test", out)
        self.assertIn("(server trusted)", err)  # gsasl verified our server-final signature too
        self.assertRegex(self.server.log(),
                         r"event=auth mechanism=SCRAM-SHA-256 user=alice@example.test result=ok")

    def test_gsasl_wrong_password_is_535(self):
        rc, out, err = gsasl(self.server.submission_port, self.ca, "alice@example.test", "wrong")
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn("535 5.7.8 authentication failed: wrong username or password", out)
        self.assertNotIn("235 ", out)
        self.assertRegex(self.server.log(), r"mechanism=SCRAM-SHA-256 user=alice@example.test "
                                            r"result=failed reason=auth_failed cause=wrong_password")

    def test_gsasl_unknown_user_is_535_with_a_stable_salt(self):
        outs = []
        for _ in range(2):
            rc, out, err = gsasl(self.server.submission_port, self.ca, "nobody@example.test", "x")
            self.assertNotEqual(rc, 0, out + err)
            self.assertIn("535 5.7.8 authentication failed: wrong username or password", out)
            outs.append(out)
        # The server-first message (base64 in the 334 line) carries the same salt both times.
        salts = []
        for out in outs:
            challenges = re.findall(r"^334 (\S+)$", out, re.M)
            self.assertTrue(challenges, out)
            first = base64.b64decode(challenges[0]).decode()
            salts.append(dict(a.split("=", 1) for a in first.split(","))["s"])
        self.assertEqual(salts[0], salts[1])
        self.assertIn("cause=unknown_user", self.server.log())

    def test_imported_hash_fails_scram_but_logs_in_with_plain(self):
        rc, out, err = gsasl(self.server.submission_port, self.ca, IMPORTED, "secret")
        self.assertNotEqual(rc, 0, out + err)
        self.assertIn("535 5.7.8 authentication failed: wrong username or password", out)
        self.assertRegex(self.server.log(), r"user=carol@example.test result=failed "
                                            r"reason=auth_failed cause=scram_no_credentials")
        r = subprocess.run(["gsasl", "--smtp", "--connect", f"127.0.0.1:{self.server.submission_port}",
                            "--starttls", f"--x509-ca-file={self.ca}", "--mechanism", "PLAIN",
                            "--authentication-id", IMPORTED, "--password", "secret"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("235 2.7.0 authentication successful: logged in as carol@example.test",
                      r.stdout)
        # Setting the password from plaintext gives SCRAM credentials.
        self.server.cli("user", "passwd", IMPORTED, "--password-stdin", input="secret\n")
        rc, out, err = gsasl(self.server.submission_port, self.ca, IMPORTED, "secret")
        self.assertEqual(rc, 0, out + err)

    def test_message_sent_in_a_scram_session_gets_esmtpsa(self):
        message = (b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: scram\r\n\r\n"
                   b"hello\r\n")
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s.starttls(context=insecure_tls_context())
            s.ehlo("client.example")
            self.assertIn("SCRAM-SHA-256", s.esmtp_features.get("auth", "").split())
            client = ScramClient("alice@example.test", PASSWORD)
            code, text = s.auth("SCRAM-SHA-256", client)
            self.assertEqual(code, 235, text)
            self.assertIsNotNone(client.expected_v, "the server-final message was checked")
            with self.assertRaises(smtplib.SMTPSenderRefused):  # sender ownership applies
                s.sendmail("bob@example.test", ["bob@example.test"], message)
            s.rset()
            s.sendmail("alice@example.test", ["bob@example.test"], message)
        msgs = self.server.wait_for_messages("bob@example.test", 1)
        self.assertEqual(len(msgs), 1)
        trace, body = split_trace(msgs[0])
        self.assertEqual(body, message)
        self.assertIn(b"with ESMTPSA", trace)


if __name__ == "__main__":
    unittest.main()
