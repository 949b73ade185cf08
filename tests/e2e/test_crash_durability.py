"""The durability promise: a message answered 250 is never lost, not even when the server is
killed with SIGKILL the next instant. 16 concurrent clients send 300 messages; the server is
killed mid-way, restarted, and every acknowledged message must be in its Maildir exactly once and
intact, with no partial file anywhere."""
import hashlib
import os
import smtplib
import threading
import time
import unittest

from mwtest import ServerTestCase, split_trace

CLIENTS = 16
MESSAGES = 300
KILL_AFTER_ACKS = 120


def make_message(n):
    filler = hashlib.sha256(str(n).encode()).hexdigest().encode()
    body = b"".join(b"line %d %s\r\n" % (i, filler) for i in range(40 + n % 50))
    return (b"Subject: crash test %d\r\nMessage-ID: <crash-%d@remote.example>\r\n\r\n" % (n, n) + body)


class CrashDurability(ServerTestCase):
    users = ("alice@example.test",)

    def test_sigkill_mid_stream_loses_nothing(self):
        acked = set()
        lock = threading.Lock()
        killed = threading.Event()
        next_n = iter(range(MESSAGES))
        port = self.server.mx_port

        def worker():
            deadline = time.monotonic() + 120
            while not killed.is_set() and time.monotonic() < deadline:
                with lock:
                    n = next(next_n, None)
                if n is None:
                    return
                try:
                    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                        s.sendmail("bob@remote.example", ["alice@example.test"], make_message(n))
                except (smtplib.SMTPException, OSError):
                    continue  # the kill cut this one; it was never acknowledged
                with lock:
                    acked.add(n)
                    if len(acked) >= KILL_AFTER_ACKS and not killed.is_set():
                        self.server.kill()
                        killed.set()

        threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        self.assertTrue(killed.is_set(), "the server was never killed")
        self.assertGreaterEqual(len(acked), KILL_AFTER_ACKS)

        self.server.start()
        expected = len(acked)
        msgs = self.server.wait_for_messages("alice@example.test", expected, timeout=60)
        # Allow in-flight (unacknowledged) messages that made it, but nothing acked may be missing,
        # nothing may be duplicated or damaged.
        seen = {}
        for m in msgs:
            _, body = split_trace(m)
            subject = body.split(b"\r\n", 1)[0]
            n = int(subject.rsplit(b" ", 1)[1])
            self.assertEqual(body, make_message(n), f"message {n} damaged")
            seen[n] = seen.get(n, 0) + 1
        duplicates = {n: c for n, c in seen.items() if c > 1}
        self.assertEqual(duplicates, {}, "delivered more than once")
        missing = sorted(acked - set(seen))
        self.assertEqual(missing, [], f"acknowledged but lost ({len(missing)} of {len(acked)})")
        # No partial file anywhere: Maildir tmp/ is empty once delivery has settled.
        tmp = os.path.join(self.server.maildir("alice@example.test"), "tmp")
        deadline = time.monotonic() + 30
        while os.listdir(tmp) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
