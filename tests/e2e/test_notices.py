"""Issue #5 part 4: a refusal attributed to a hosted account puts one plain-language notice into
that account's Maildir, at most once per cause per day, also across a restart; nothing for an
unknown user; separate notices for separate causes; none with notices.enabled = false. The
notices are read back with Python's email package, an independent parser."""
import email
import email.policy
import os
import re
import smtplib
import time
import unittest

from mwtest import ServerTestCase, insecure_tls_context

PASSWORD = "correct horse battery"


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


class NoticeCase(ServerTestCase):
    users = ("alice@example.test", "bob@example.test")

    def connect(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.server.submissions_port, timeout=60,
                             context=insecure_tls_context())
        s.ehlo("client.example")
        return s

    def wrong_password(self, user):
        """One failed AUTH PLAIN; returns the reply text (it may carry ref=TOKEN)."""
        s = self.connect()
        try:
            s.user, s.password = user, "wrong-password"
            s.auth("PLAIN", s.auth_plain)
            self.fail("a wrong password was accepted")
        except smtplib.SMTPAuthenticationError as e:
            self.assertEqual(e.smtp_code, 535)
            return e.smtp_error.decode(errors="replace")
        finally:
            s.close()

    def sender_mismatch(self):
        s = self.connect()
        try:
            s.login("alice@example.test", PASSWORD)
            code, text = s.mail("bob@example.test")
            self.assertEqual(code, 553, text)
            return text.decode(errors="replace")
        finally:
            s.close()

    def notices(self, address):
        return [parse(m) for m in self.server.messages(address)]

    def wait_for_log(self, needle, count=1, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.log().count(needle) >= count:
                return True
            time.sleep(0.05)
        return False

    def check_notice(self, msg, cause, reply, where=None):
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "postmaster@mx.test.invalid")
        self.assertEqual(msg["From"].addresses[0].display_name, "Mail server")
        self.assertEqual(msg["To"].addresses[0].addr_spec, "alice@example.test")
        self.assertTrue(msg["X-Mailwarden-Notice"].startswith(cause), msg["X-Mailwarden-Notice"])
        self.assertIsNotNone(msg["Date"])
        self.assertIsNotNone(msg["Message-ID"])
        body = msg.get_content()
        # The settings that work: this server's host name, implicit TLS first, then STARTTLS.
        self.assertRegex(body, r"Outgoing mail server \(SMTP\):\s+mx\.test\.invalid")
        self.assertRegex(body, rf"Port:\s+{self.server.submissions_port}\r?\n")
        self.assertRegex(body, r"Connection security:\s+SSL/TLS")
        flat = " ".join(body.split())  # the text is wrapped at 72 columns
        self.assertIn(f"use port {self.server.submission_port} with connection security STARTTLS",
                      flat)
        self.assertRegex(body, r"Username:\s+alice@example.test")
        self.assertIn("IP address 127.0.0.1", flat)
        where = where or f"port {self.server.submissions_port} (for mail programs, SSL/TLS)"
        self.assertIn(where, flat)
        # The reference the client saw is the one in the notice.
        ref = re.search(r"ref=([A-Za-z0-9_-]+)", reply)
        if ref:
            self.assertIn(ref.group(1), flat)
            self.assertIn("ref=" + ref.group(1), msg["X-Mailwarden-Notice"])
        return flat


class Notices(NoticeCase):
    def test_wrong_password_twice_gives_one_notice_also_after_a_restart(self):
        reply = self.wrong_password("alice@example.test")
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1, self.server.log()[-3000:])
        body = self.check_notice(self.notices("alice@example.test")[0], "auth_failed", reply)
        self.assertIn("wrong password", body)
        self.wrong_password("alice@example.test")
        self.assertTrue(self.wait_for_log("reason=already_sent"), self.server.log()[-3000:])
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.wrong_password("Alice@Example.TEST")
        self.assertTrue(self.wait_for_log("reason=already_sent", 2), self.server.log()[-3000:])
        time.sleep(0.5)
        self.assertEqual(len(self.server.messages("alice@example.test")), 1)
        self.assertEqual(self.server.messages("bob@example.test"), [])
        self.assertEqual(self.server.log().count("event=notice_queued"), 1)

    def test_wrong_password_for_an_unknown_user_sends_nothing(self):
        self.wrong_password("nobody@example.test")
        self.wrong_password("alice@elsewhere.example")
        self.assertTrue(self.wait_for_log("event=auth", 2))
        time.sleep(1.0)
        self.assertNotIn("event=notice_queued", self.server.log())
        self.assertFalse(os.path.exists(self.server.maildir("nobody@example.test")))
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "mail",
                                                     "elsewhere.example")))
        self.assertEqual(self.server.messages("alice@example.test"), [])

    def test_sender_mismatch_and_wrong_password_give_separate_notices(self):
        reply = self.sender_mismatch()
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1, self.server.log()[-3000:])
        body = self.check_notice(self.notices("alice@example.test")[0], "sender_not_owned",
                                 reply)
        self.assertIn("bob@example.test", body)
        self.wrong_password("alice@example.test")
        msgs = self.server.wait_for_messages("alice@example.test", 2)
        self.assertEqual(len(msgs), 2)
        causes = sorted(m["X-Mailwarden-Notice"].split(";")[0]
                        for m in self.notices("alice@example.test"))
        self.assertEqual(causes, ["auth_failed", "sender_not_owned"])
        subjects = {m["Subject"] for m in self.notices("alice@example.test")}
        self.assertEqual(len(subjects), 2)

    def test_mail_client_on_the_mx_port_gets_a_notice(self):
        # A mail program set up with the MX port: a hosted sender, an external recipient, no AUTH.
        s = smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=60)
        try:
            s.ehlo("client.example")
            code, _ = s.mail("alice@example.test")
            self.assertEqual(code, 250)
            code, text = s.rcpt("friend@elsewhere.example")
            self.assertGreaterEqual(code, 500, text)
            reply = text.decode(errors="replace")
        finally:
            s.close()
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1, self.server.log()[-3000:])
        body = self.check_notice(
            self.notices("alice@example.test")[0], "mail_client_wrong_port", reply,
            where=f"port {self.server.mx_port}, which is for mail between servers, not encrypted")
        self.assertIn("without signing in", body)
        self.assertIn("friend@elsewhere.example", body)


class NoticesDisabled(NoticeCase):
    extra_config = "[notices]\nenabled = false\n"

    def test_no_notice_when_disabled(self):
        self.wrong_password("alice@example.test")
        self.sender_mismatch()
        self.assertTrue(self.wait_for_log("reason=sender_not_owned"))
        time.sleep(1.0)
        self.assertEqual(self.server.messages("alice@example.test"), [])
        self.assertNotIn("event=notice_queued", self.server.log())
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "notices.sqlite3")))


if __name__ == "__main__":
    unittest.main()
