"""Connection limits (421 4.7.0 with the reason), IPv6 and graceful
shutdown on SIGTERM (a session in DATA finishes, new ones are refused)."""
import signal
import smtplib
import socket
import time
import unittest

from mwtest import ServerTestCase, Server, wait_for_port
from smtpraw import RawSmtp


class PerIpLimit(ServerTestCase):
    extra_config = "[server]\nmax_connections_per_ip = 3\nmax_connections = 6\n"

    def test_per_ip_and_global_limits(self):
        port = self.server.mx_port
        held = []
        for i in range(3):
            c = RawSmtp("127.0.0.1", port)
            self.assertEqual(c.reply()[0], 220)
            held.append(c)
        over = RawSmtp("127.0.0.1", port)
        code, text = over.reply()
        self.assertEqual(code, 421)
        self.assertTrue(text[0].startswith("4.7.0"), text)
        self.assertIn("127.0.0.1", text[0])
        self.assertTrue(over.closed_by_server())
        # Another source address in 127.0.0.0/8 still gets in, until the global limit.
        others = []
        for i in range(3):
            s = socket.socket()
            s.bind((f"127.0.0.{i + 2}", 0))
            s.connect(("127.0.0.1", port))
            c = RawSmtp.__new__(RawSmtp)
            c.sock, c.buf = s, b""
            c.sock.settimeout(30)
            self.assertEqual(c.reply()[0], 220)
            others.append(c)
        s = socket.socket()
        s.bind(("127.0.0.9", 0))
        s.connect(("127.0.0.1", port))
        g = RawSmtp.__new__(RawSmtp)
        g.sock, g.buf = s, b""
        g.sock.settimeout(30)
        code, text = g.reply()
        self.assertEqual(code, 421)
        for c in held + others + [over, g]:
            c.close()
        # Slots are released when clients leave.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            c = RawSmtp("127.0.0.1", port)
            code, _ = c.reply()
            c.close()
            if code == 220:
                break
            time.sleep(0.1)
        self.assertEqual(code, 220)


class GracefulShutdown(ServerTestCase):
    def test_session_in_data_finishes(self):
        c = RawSmtp("127.0.0.1", self.server.mx_port)
        c.reply()
        c.cmd("EHLO c.example")
        c.cmd("MAIL FROM:<bob@remote.example>")
        c.cmd("RCPT TO:<alice@example.test>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b"Subject: during shutdown\r\n\r\nfirst half\r\n")
        idle = RawSmtp("127.0.0.1", self.server.mx_port)
        idle.reply()
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        # The idle session is told why it is closed.
        code, text = idle.reply()
        self.assertEqual(code, 421, text)
        c.send(b"second half\r\n.\r\n")
        code, text = c.reply()
        self.assertEqual(code, 250, text)
        self.assertEqual(self.server.proc.wait(timeout=30), 0)
        self.server.proc = None
        self.server.out.close()
        self.server.start()
        msgs = self.server.wait_for_messages("alice@example.test", 1)
        self.assertEqual(len(msgs), 1)
        self.assertIn(b"second half", msgs[0])


class Ipv6(unittest.TestCase):
    def test_ipv6_loopback(self):
        import shutil
        import tempfile
        from mwtest import split_trace
        tmp = tempfile.mkdtemp(prefix="mw-e2e-v6-")
        server = Server(tmp, host="::1")
        try:
            server.add_domain("example.test")
            server.add_user("alice@example.test")
            server.start()
            with smtplib.SMTP("::1", server.mx_port, timeout=30) as s:
                s.sendmail("bob@remote.example", ["alice@example.test"], b"Subject: v6\r\n\r\nhi\r\n")
            msgs = server.wait_for_messages("alice@example.test", 1)
            self.assertEqual(len(msgs), 1)
            self.assertIn(b"[IPv6:::1]", split_trace(msgs[0])[0])
            self.assertEqual(server.stop(), 0)
        finally:
            server.stop()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
