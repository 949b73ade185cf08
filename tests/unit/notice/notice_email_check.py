#!/usr/bin/env python3
"""Reads the notices of notice_sample back with Python's email package, an independent parser,
and checks what a mail program relies on: no parse defects, the header fields of an automatic
message (RFC 5322, RFC 3834), a text/plain UTF-8 body that decodes, and for a UTF-8 account the
raw UTF-8 address in To: (RFC 6532). Usage: notice_email_check.py path/to/notice_sample."""

import email
import email.policy
import email.utils
import subprocess
import sys
import unittest

SAMPLE = None
CAUSES = ("auth_failed", "mail_client_wrong_port", "sender_not_owned", "ip_banned")


def build(kind):
    out = subprocess.run([SAMPLE, kind], check=True, capture_output=True, timeout=30).stdout
    policy = email.policy.strict.clone(utf8=True)
    # Two readings: the email package reads raw UTF-8 header fields (RFC 6532) only from text,
    # and an 8bit body only from bytes.
    return out, (email.message_from_string(out.decode("utf-8"), policy=policy),
                 email.message_from_bytes(out, policy=policy))


class NoticeReadBackTest(unittest.TestCase):
    def check(self, raw, msgs, account):
        msg, from_bytes = msgs
        self.assertEqual(raw.count(b"\n"), raw.count(b"\r\n"), "bare LF")
        self.assertNotIn(b"\r\r", raw)
        self.assertTrue(all(len(line) <= 78 for line in raw.split(b"\r\n")))
        self.assertEqual(msg.defects, [])
        self.assertEqual(from_bytes.defects, [])
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "postmaster@mail.example.org")
        self.assertEqual(msg["From"].addresses[0].display_name, "Mail server")
        self.assertEqual(msg["To"].addresses[0].addr_spec, account)
        date = email.utils.parsedate_to_datetime(msg["Date"])
        self.assertEqual(date.isoformat(), "2026-11-24T23:30:02+00:00")
        self.assertRegex(msg["Message-ID"], r"^<[^<>@\s]+@mail\.example\.org>$")
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertEqual(msg.get_content_charset(), "utf-8")
        self.assertEqual(len(msg.get_all("Subject")), 1)
        text = from_bytes.get_content().replace("\r\n", "\n")
        flat = " ".join(text.split())
        self.assertIn("Tuesday 24 November 2026, 23:30:00 UTC", flat)
        self.assertIn("= Wed 25 Nov 2026, 01:30:00 server time (EET, UTC+02:00)", flat)
        self.assertIn("IP address 2001:db8::7", flat)
        self.assertIn("port 587 (for mail programs, STARTTLS), encrypted", flat)
        self.assertIn("Reference: K7QF2", flat)
        self.assertIn("Outgoing mail server (SMTP): mail.example.org Port: 465 "
                      "Connection security: SSL/TLS Authentication method: Normal password "
                      f"Username: {account} (your full email address)", flat)
        self.assertIn("use port 587 with connection security STARTTLS instead", flat)
        return text, flat

    def test_every_cause(self):
        subjects = set()
        for cause in CAUSES:
            with self.subTest(cause=cause):
                raw, msg = build(cause)
                self.assertTrue(raw.isascii())
                self.assertEqual(msg[0]["Content-Transfer-Encoding"], "7bit")
                self.check(raw, msg, "alice@example.org")
                self.assertEqual(msg[0]["X-Mailwarden-Notice"], f"{cause}; ref=K7QF2")
                subjects.add(msg[0]["Subject"])
        self.assertEqual(len(subjects), len(CAUSES))

    def test_utf8_account_and_sender(self):
        raw, msg = build("utf8")
        self.assertEqual(msg[0]["Content-Transfer-Encoding"], "8bit")
        text, flat = self.check(raw, msg, "z\u00fcrich@example.org")
        self.assertIn("sender address j\u00f6rg@example.org", flat)


if __name__ == "__main__":
    SAMPLE = sys.argv.pop(1)
    unittest.main()
