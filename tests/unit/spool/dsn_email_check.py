#!/usr/bin/env python3
"""Reads the notices of dsn_sample back with Python's email package, an independent MIME parser,
and checks what a mail client would rely on: no parse defects, the RFC 6522 multipart/report
structure, the RFC 3464 fields per recipient, and the decoded text. Usage: dsn_email_check.py
path/to/dsn_sample."""

import email
import email.policy
import subprocess
import sys
import unittest

SAMPLE = None


def build(kind):
    out = subprocess.run([SAMPLE, kind], check=True, capture_output=True, timeout=30).stdout
    return out, email.message_from_bytes(out, policy=email.policy.strict)


def all_defects(msg):
    found = []
    for part in msg.walk():
        found.extend(part.defects)
    return found


class DsnReadBackTest(unittest.TestCase):
    def check_common(self, raw, msg, n_recipients, subject):
        self.assertNotIn(b"\r\r", raw)
        self.assertEqual(raw.count(b"\n"), raw.count(b"\r\n"), "bare LF")
        self.assertTrue(all(len(line) <= 998 for line in raw.split(b"\r\n")))
        self.assertEqual(all_defects(msg), [])
        self.assertEqual(msg["Subject"], subject)
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "MAILER-DAEMON@mx.example.org")
        self.assertEqual(msg["To"].addresses[0].addr_spec, "alice@example.org")
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        parts = msg.get_payload()
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[0].get_content_charset(), "utf-8")
        self.assertEqual(parts[1].get_content_type(), "message/delivery-status")
        # The email package gives message/delivery-status as one Message per field group.
        groups = parts[1].get_payload()
        self.assertEqual(len(groups), 1 + n_recipients)
        self.assertEqual(groups[0]["Reporting-MTA"], "dns; mx.example.org")
        self.assertEqual(groups[0]["Original-Envelope-Id"], "QQ314159")
        for g in groups[1:]:
            for name in ("Final-Recipient", "Action", "Status"):
                self.assertIsNotNone(g[name], name)
        # Line ends as sent (CRLF); the wrap of the prose is undone for phrase checks.
        text = parts[0].get_content().replace("\r\n", "\n")
        self.assertIn("Gr\u00fc\u00dfe aus M\u00fcnchen \u2014 caf\u00e9", text)
        return parts, groups, text

    def test_bounce_with_three_recipients(self):
        raw, msg = build("bounce")
        parts, groups, text = self.check_common(raw, msg, 3, "Undelivered Mail Returned to Sender")
        self.assertEqual(len(parts), 3)
        self.assertEqual([g["Action"] for g in groups[1:]], ["failed"] * 3)
        self.assertEqual([g["Status"] for g in groups[1:]], ["5.1.1", "5.2.2", "5.7.1"])
        self.assertEqual(groups[1]["Original-Recipient"], "rfc822;Bob@Example.COM")
        self.assertIsNone(groups[2]["Original-Recipient"])
        self.assertEqual(str(groups[3]["Diagnostic-Code"]).replace("\r\n", ""),
                         "smtp; 550 5.7.1 Message rejected as spam by content filter; see "
                         "https://postmaster.example.com/why?id=0123456789abcdef for details and "
                         "how to ask for delisting")
        self.assertIn("    550 5.1.1 User unknown in virtual mailbox table\n", text)
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")
        headers = parts[2].get_payload(decode=True).decode("utf-8")
        self.assertIn("Message-ID: <original-1@example.org>", headers)
        self.assertNotIn("Bonjour", raw.decode("ascii"))  # 7-bit, and the body stays home

    def test_full_return_of_an_8bit_message(self):
        raw, msg = build("full")
        parts, groups, text = self.check_common(raw, msg, 2, "Undelivered Mail Returned to Sender")
        self.assertEqual(parts[2].get_content_type(), "message/rfc822")
        inner = parts[2].get_payload()[0]
        self.assertEqual(inner["Message-ID"], "<original-1@example.org>")
        self.assertEqual(inner.get_payload(decode=True).decode("utf-8"),
                         "Bonjour, voil\u00e0 le texte.\r\n")
        self.assertEqual([g["Action"] for g in groups[1:]], ["failed", "delayed"])
        self.assertEqual(groups[2]["Will-Retry-Until"], "Sun, 29 Nov 2026 10:00:00 +0000")
        self.assertIn("Delivery to 1 recipient is delayed.", " ".join(text.split()))

    def test_delay_notice(self):
        raw, msg = build("delay")
        parts, groups, text = self.check_common(raw, msg, 1, "Delayed Mail (still being retried)")
        self.assertEqual(groups[1]["Action"], "delayed")
        self.assertIn("mailbox is full", text)
        self.assertNotIn("not delivered", text)


if __name__ == "__main__":
    SAMPLE = sys.argv.pop(1)
    unittest.main(verbosity=2)
