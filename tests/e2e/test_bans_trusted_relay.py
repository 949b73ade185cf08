"""Issue #3 parts 4 and 6: `mailwarden ban add|remove` change a running server's bans (a new
connection from the banned address gets 421 4.7.0, and is accepted again after the removal), and
relay.trusted_networks lets an unauthenticated client relay while every other client still gets
550 5.7.1. Source addresses 127.0.0.4-127.0.0.6 stand for the clients."""
import re
import smtplib
import time
import unittest

from mwtest import ServerTestCase


def mx(server, source):
    s = smtplib.SMTP("127.0.0.1", server.mx_port, timeout=30, source_address=(source, 0))
    s.ehlo("client.example")
    return s


class BanCommandsOnARunningServer(ServerTestCase):
    def refused_with(self, source, deadline_s=10.0):
        """The 421 reply a new connection from source gets, waiting (bounded) for the server to
        pick up the file; None if connections are still accepted at the deadline."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                s = mx(self.server, source)
            except smtplib.SMTPConnectError as e:
                return e.smtp_code, e.smtp_error
            s.quit()
            time.sleep(0.2)
        return None

    def accepted(self, source, deadline_s=10.0):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            try:
                s = mx(self.server, source)
                s.quit()
                return True
            except smtplib.SMTPConnectError:
                time.sleep(0.2)
        return False

    def test_ban_add_refuses_new_connections_and_remove_lets_them_in_again(self):
        s = mx(self.server, "127.0.0.4")  # the server answers before the ban
        s.quit()
        r = self.server.cli("ban", "add", "127.0.0.4", "--for", "1h", "--reason", "e2e test")
        self.assertIn("banned 127.0.0.4 until", r.stdout)

        refused = self.refused_with("127.0.0.4")
        self.assertIsNotNone(refused, "the running server did not pick up the CLI's ban")
        code, text = refused
        self.assertEqual(code, 421)
        self.assertTrue(text.startswith(b"4.7.0 127.0.0.4 is temporarily blocked"), text)
        self.assertIn(b"until", text)
        self.assertTrue(self.accepted("127.0.0.3"), "another address was refused")

        listing = self.server.cli("ban", "list").stdout
        self.assertRegex(listing, r"\n127\.0\.0\.4 +\S+ \S+ UTC +\S+ \S+ UTC +0 +e2e test\n")

        r = self.server.cli("ban", "remove", "127.0.0.4")
        self.assertEqual(r.stdout, "removed ban 127.0.0.4\n")
        self.assertTrue(self.accepted("127.0.0.4"), "still refused after ban remove")
        self.assertIn("event=bans_reloaded", self.server.log())

        bad = self.server.cli("ban", "add", "127.0.0.300", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("is not an IP address or CIDR network", bad.stderr)


class TrustedNetworkRelay(ServerTestCase):
    extra_config = '[relay]\ntrusted_networks = ["127.0.0.5/32"]\n'

    def test_trusted_client_relays_without_auth_others_are_denied(self):
        s = mx(self.server, "127.0.0.5")
        s.mail("app@example.test")
        code, text = s.rcpt("someone@external.example")
        self.assertEqual(code, 250, text)
        code, text = s.data(b"Subject: from the web app\r\n\r\nhello\r\n")
        self.assertEqual(code, 250, text)
        queue_id = re.search(rb"queued as (\S+)", text)
        self.assertIsNotNone(queue_id, text)
        s.quit()

        s = mx(self.server, "127.0.0.6")
        s.mail("app@example.test")
        code, text = s.rcpt("someone@external.example")
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith(b"5.7.1"), text)
        s.quit()

        # Queued, then handed to outbound delivery (bounded wait for the log). The harness points
        # the resolver at a closed loopback port, so it is deferred, never sent off the machine.
        deadline = time.monotonic() + 20
        log = ""
        while time.monotonic() < deadline:
            log = self.server.log()
            if "event=deferred_remote" in log:
                break
            time.sleep(0.1)
        self.assertIn("ip=127.0.0.5", log)
        self.assertIn("event=relay_allowed reason=trusted_network rcpt=someone@external.example",
                      log)
        self.assertIn(f"event=queued id={queue_id.group(1).decode()}", log)
        self.assertIn(f"event=queued_remote id={queue_id.group(1).decode()}", log)
        self.assertIn("event=deferred_remote", log)
        self.assertNotIn("ip=127.0.0.6 listener=mx event=relay_allowed", log)


if __name__ == "__main__":
    unittest.main()
