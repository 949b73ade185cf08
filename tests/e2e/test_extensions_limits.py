"""RFC 3030 CHUNKING, RFC 6531 SMTPUTF8, big messages, many recipients, smuggling variants and
limits, against the real binary over TCP."""
import smtplib
import unittest

from mwtest import ServerTestCase, split_trace
from smtpraw import RawSmtp

RCPT_COUNT = 100


class ChunkingAndUtf8(ServerTestCase):
    users = ("alice@example.test", "jösé@example.test")

    def raw(self):
        c = RawSmtp("127.0.0.1", self.server.mx_port)
        code, _ = c.reply()
        self.assertEqual(code, 220)
        code, lines = c.cmd("EHLO raw.example")
        self.assertEqual(code, 250)
        return c, lines

    def test_bdat_chunks(self):
        # RFC 3030 §2: chunks carry octets verbatim; lines starting with "." are not stuffed.
        c, ehlo = self.raw()
        self.assertIn("CHUNKING", ehlo)
        part1 = b"Subject: chunked\r\n\r\n.leading dot stays\r\n"
        part2 = b"second chunk\r\n"
        self.assertEqual(c.cmd("MAIL FROM:<bob@remote.example>")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<alice@example.test>")[0], 250)
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(c.reply()[0], 250)
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        code, text = c.reply()
        self.assertEqual(code, 250, text)
        c.cmd("QUIT")
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1)
        self.assertEqual(split_trace(msgs[0])[1], part1 + part2)

    def test_smtputf8_address_stored_intact(self):
        # RFC 6531 §3.2: with SMTPUTF8, local parts and headers may be UTF-8.
        msg = "From: bøb@remote.example\r\nTo: jösé@example.test\r\nSubject: ünïcode\r\n\r\nhej\r\n".encode()
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("client.example")
            self.assertTrue(s.has_extn("smtputf8"))
            s.sendmail("bøb@remote.example", ["jösé@example.test"], msg,
                       mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        msgs = self.server.wait_for_messages("jösé@example.test", 1)
        self.assertEqual(len(msgs), 1)
        trace, body = split_trace(msgs[0])
        self.assertEqual(body, msg)
        self.assertIn("Return-Path: <bøb@remote.example>".encode(), trace)

    def test_utf8_address_without_smtputf8_refused(self):
        c, _ = self.raw()
        code, text = c.cmd("MAIL FROM:<bøb@remote.example>")
        self.assertEqual(code, 553, text)
        self.assertTrue(text[0].startswith("5.6.7"), text)

    def test_twenty_mib_message(self):
        line = b"x" * 998 + b"\r\n"
        body = b"Subject: big\r\n\r\n" + line * (20 * 1024 * 1024 // len(line))
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=120) as s:
            s.ehlo("client.example")
            s.sendmail("bob@remote.example", ["alice@example.test"], body)
        msgs = self.server.wait_for_messages("alice@example.test", 1, timeout=120)
        self.assertEqual(len(msgs), 1)
        self.assertEqual(split_trace(msgs[0])[1], body)

    def test_size_declared_too_big(self):
        c, ehlo = self.raw()
        size_line = [l for l in ehlo if l.startswith("SIZE")][0]
        limit = int(size_line.split()[1])
        code, text = c.cmd(f"MAIL FROM:<bob@remote.example> SIZE={limit + 1}")
        self.assertEqual(code, 552, text)
        self.assertTrue(text[0].startswith("5.3.4"), text)


class SmugglingOverTcp(ServerTestCase):
    VARIANTS = {
        "lf.lf": b"\n.\n",
        "cr.cr": b"\r.\r",
        "lf.crlf": b"\n.\r\n",
        "cr.lf": b"\r.\n",
        "crlf.lf": b"\r\n.\n",
        "lf.cr.lf": b"\n.\r\n",
        "nul": b"\x00",
    }

    def test_every_variant_refused_and_nothing_injected(self):
        # An attacker hides a second transaction behind a non-standard end of data. The whole
        # thing must be one refused message; the injected MAIL/RCPT must never run.
        for name, seq in self.VARIANTS.items():
            with self.subTest(variant=name):
                c = RawSmtp("127.0.0.1", self.server.mx_port)
                c.reply()
                c.cmd("EHLO smuggler.example")
                self.assertEqual(c.cmd("MAIL FROM:<bob@remote.example>")[0], 250)
                self.assertEqual(c.cmd("RCPT TO:<alice@example.test>")[0], 250)
                self.assertEqual(c.cmd("DATA")[0], 354)
                c.send(b"Subject: first\r\n\r\nhello" + seq +
                       b"MAIL FROM:<admin@example.test>\r\nRCPT TO:<alice@example.test>\r\n"
                       b"DATA\r\nSubject: injected\r\n\r\nevil\r\n.\r\n")
                code, text = c.reply()
                self.assertGreaterEqual(code, 500, f"{name}: {text}")
                # The session is back in command state and in sync.
                self.assertEqual(c.cmd("NOOP")[0], 250)
                c.cmd("QUIT")
                c.close()
        self.assertEqual(self.server.messages("alice@example.test"), [])


class ManyRecipients(ServerTestCase):
    users = tuple(f"user{i:03d}@example.test" for i in range(RCPT_COUNT))

    def test_hundred_recipients(self):
        rcpts = list(self.users)
        body = b"Subject: to many\r\n\r\nhello all\r\n"
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=60) as s:
            s.ehlo("client.example")
            refused = s.sendmail("bob@remote.example", rcpts, body)
            self.assertEqual(refused, {})
            s.mail("bob@remote.example")
            for r in rcpts:
                self.assertEqual(s.rcpt(r)[0], 250)
            code, text = s.rcpt("alice@example.test")
            self.assertEqual(code, 452, text)
            self.assertTrue(text.startswith(b"4.5.3"), text)
            s.rset()
        for r in rcpts:
            msgs = self.server.wait_for_messages(r, 1)
            self.assertEqual(len(msgs), 1, r)
            self.assertEqual(split_trace(msgs[0])[1], body)


if __name__ == "__main__":
    unittest.main()
