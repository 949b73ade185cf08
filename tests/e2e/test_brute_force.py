"""Issue #3 part 6: password guessing from one IP gets that IP banned (421 4.7.0 naming the IP
and the end of the block), while the real user on another IP still logs in; the ban survives a
restart. Source addresses 127.0.0.2 and 127.0.0.3 stand for the attacker and the user."""
import smtplib
import time
import unittest

from mwtest import ServerTestCase, insecure_tls_context

PASSWORD = "correct horse battery"


class BruteForce(ServerTestCase):
    users = ("alice@example.test",)

    def connect(self, source):
        s = smtplib.SMTP_SSL("127.0.0.1", self.server.submissions_port, timeout=60,
                             source_address=(source, 0), context=insecure_tls_context())
        s.ehlo("client.example")
        return s

    def test_attacker_ip_banned_real_user_still_logs_in_ban_survives_restart(self):
        banned_reply = None
        for attempt in range(5):  # default: 5 failures in 10 minutes start a ban
            s = self.connect("127.0.0.2")
            try:
                # One AUTH per connection (smtplib's login() would try PLAIN and then LOGIN).
                s.user, s.password = "alice@example.test", f"guess-{attempt}"
                s.auth("PLAIN", s.auth_plain)
                self.fail("a wrong password was accepted")
            except smtplib.SMTPAuthenticationError as e:  # smtplib raises this for any reply
                if e.smtp_code == 421:
                    banned_reply = (e.smtp_code, e.smtp_error)
                else:
                    self.assertEqual(e.smtp_code, 535)
                    self.assertIsNone(banned_reply, "a failure after the ban was still checked")
            finally:
                try:
                    s.close()
                except Exception:
                    pass
        self.assertIsNotNone(banned_reply, "the fifth failure did not ban the IP")
        self.assertEqual(banned_reply[0], 421)
        self.assertIn(b"127.0.0.2", banned_reply[1])
        self.assertIn(b"until", banned_reply[1])

        # New connections from the attacker are refused at once, with the reason.
        with self.assertRaises(smtplib.SMTPConnectError) as refused:
            self.connect("127.0.0.2")
        self.assertEqual(refused.exception.smtp_code, 421)
        self.assertIn(b"temporarily blocked", refused.exception.smtp_error)

        # The real user on a clean IP logs in (slowed down at most, never locked out).
        started = time.monotonic()
        s = self.connect("127.0.0.3")
        s.login("alice@example.test", PASSWORD)
        s.quit()
        self.assertLess(time.monotonic() - started, 30)

        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        with self.assertRaises(smtplib.SMTPConnectError) as again:
            self.connect("127.0.0.2")
        self.assertEqual(again.exception.smtp_code, 421)
        self.assertIn("reason=ip_banned", self.server.log())


if __name__ == "__main__":
    unittest.main()
