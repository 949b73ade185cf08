"""Delivery to a local Maildir with real SMTP clients nobody here wrote: Python smtplib, swaks,
curl and msmtp. Each message must arrive byte-exact apart from the trace headers."""
import smtplib
import subprocess
import unittest

from mwtest import ServerTestCase, split_trace

MESSAGE = (b"From: Bob <bob@remote.example>\r\n"
           b"To: Alice <alice@example.test>\r\n"
           b"Subject: hello\r\n"
           b"Message-ID: <e2e-1@remote.example>\r\n"
           b"\r\n"
           b"First line.\r\n"
           b".A line that starts with a dot\r\n"
           b"..two dots\r\n"
           b"\r\n"
           b"Last line.\r\n")


class ClientDelivery(ServerTestCase):
    def assert_delivered_exactly(self, original: bytes, address="alice@example.test", count=1):
        msgs = self.server.wait_for_messages(address, count)
        self.assertEqual(len(msgs), count, self.server.log()[-3000:])
        trace, body = split_trace(msgs[-1])
        self.assertIn(b"Received: from ", trace)
        self.assertIn(b"by mx.test.invalid", trace)
        self.assertEqual(body, original)
        return msgs[-1]

    def test_smtplib_plain(self):
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            refused = s.sendmail("bob@remote.example", ["alice@example.test"], MESSAGE)
            self.assertEqual(refused, {})
        delivered = self.assert_delivered_exactly(MESSAGE)
        self.assertTrue(delivered.startswith(b"Return-Path: <bob@remote.example>"))

    def test_smtplib_8bitmime(self):
        body = MESSAGE + "Grüße aus Köln\r\n".encode("utf-8")
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("8bitmime"))
            s.sendmail("bob@remote.example", ["alice@example.test"], body,
                       mail_options=["BODY=8BITMIME"])
        self.assert_delivered_exactly(body)

    def test_swaks_pipelining(self):
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.server.mx_port}",
                            "--from", "carol@remote.example", "--to", "alice@example.test",
                            "--helo", "swaks.example", "--pipeline", "--data", "-"],
                           input=MESSAGE.decode(), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("PIPELINING", r.stdout)
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1)
        _, body = split_trace(msgs[0])
        # swaks terminates the data it was given with one more CRLF before "."; nothing else.
        self.assertEqual(body, MESSAGE + b"\r\n")

    def test_curl(self):
        path = f"{self.tmp}/curl.eml"
        with open(path, "wb") as f:
            f.write(MESSAGE)
        r = subprocess.run(["curl", "-sS", "--max-time", "60", f"smtp://127.0.0.1:{self.server.mx_port}/curl.example",
                            "--mail-from", "dave@remote.example", "--mail-rcpt", "alice@example.test",
                            "--upload-file", path], capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_delivered_exactly(MESSAGE)

    def test_msmtp(self):
        r = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={self.server.mx_port}", "--auth=off",
                            "--tls=off", "--from=erin@remote.example", "alice@example.test"],
                           input=MESSAGE, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1)
        _, body = split_trace(msgs[0])
        # msmtp adds a Date: header when the message has none; the rest arrives unchanged.
        self.assertRegex(body.split(b"\r\n", 1)[0], rb"^Date: ")
        self.assertEqual(body.split(b"\r\n", 1)[1], MESSAGE)

    def test_unknown_user_and_relay_refused(self):
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("bob@remote.example")
            code, text = s.rcpt("nobody@example.test")
            self.assertEqual(code, 550)
            self.assertTrue(text.startswith(b"5.1.1"), text)
            code, text = s.rcpt("someone@elsewhere.example")
            self.assertEqual(code, 550)
            self.assertTrue(text.startswith(b"5.7.1"), text)
            self.assertIn(b"relay", text)
        self.assertIn("reason=unknown_user", self.server.log())


if __name__ == "__main__":
    unittest.main()
