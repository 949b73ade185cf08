"""The CLI and the embedded default: `mailwarden serve` with no config file creates the demo
domain and user, prints where it listens and the demo password once, and the CLI shares the data
directory with a running server."""
import json
import os
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest

from mwtest import BINARY, Server, wait_for_port


class EmbeddedDefault(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-default-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def serve_default(self):
        out = open(os.path.join(self.tmp, "out.txt"), "w+")
        proc = subprocess.Popen([BINARY, "serve"], cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT)
        return proc, out

    def test_first_start_creates_demo_account_and_delivers(self):
        proc, out = self.serve_default()
        try:
            self.assertTrue(wait_for_port("127.0.0.1", 2525), "no listener on 127.0.0.1:2525")
            time.sleep(0.2)
            out.seek(0)
            text = out.read()
            for port in ("2525", "2587", "2465"):
                self.assertIn(f"127.0.0.1:{port}", text)
            m = re.search(r"demo@example\.test\S*\s.*?password\S*\s+(\S+)", text, re.I | re.S)
            self.assertIsNotNone(m, text)
            with smtplib.SMTP("127.0.0.1", 2525, timeout=30) as s:
                s.sendmail("x@remote.example", ["demo@example.test"], b"Subject: hi\r\n\r\nhi\r\n")
            new = os.path.join(self.tmp, "mailwarden-data", "mail", "example.test", "demo", "new")
            deadline = time.monotonic() + 20
            while not (os.path.isdir(new) and os.listdir(new)) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(len(os.listdir(new)), 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)
            out.close()
        # Second start: the demo password is not printed again.
        proc, out = self.serve_default()
        try:
            self.assertTrue(wait_for_port("127.0.0.1", 2525))
            time.sleep(0.2)
            out.seek(0)
            self.assertNotRegex(out.read(), re.compile(r"password", re.I))
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0)
            out.close()


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-cli-")
        self.server = Server(self.tmp)

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_domains_and_users_json(self):
        self.server.cli("domain", "add", "Example.ORG")
        self.server.cli("user", "add", "Alice@example.org", "--password-stdin", input="pw one two three\n")
        domains = json.loads(self.server.cli("domain", "list", "--json").stdout)
        self.assertIn("example.org", json.dumps(domains))
        users = json.loads(self.server.cli("user", "list", "--json").stdout)
        self.assertIn("alice@example.org", json.dumps(users).lower())
        self.assertNotIn("argon2", json.dumps(users), "password hashes must not be listed")
        r = self.server.cli("user", "add", "bob@not-hosted.example", "--password-stdin", input="x\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not-hosted.example", r.stderr)
        r = self.server.cli("user", "add", "alice@example.org", "--password-stdin", input="x\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.server.cli("user", "remove", "alice@example.org")
        self.assertNotIn("alice@example.org", self.server.cli("user", "list").stdout)

    def test_password_never_from_argv(self):
        self.server.cli("domain", "add", "example.org")
        r = self.server.cli("user", "add", "a@example.org", "--password", "secret", check=False)
        self.assertNotEqual(r.returncode, 0)
        r = subprocess.run([BINARY, "user", "add", "a@example.org", "--config", self.server.config_path],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--password-stdin", r.stderr)

    def test_cli_and_running_server_share_the_directory(self):
        self.server.cli("domain", "add", "example.org")
        self.server.start()
        with smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=30) as s:
            s.ehlo("c.example")
            s.mail("x@remote.example")
            self.assertEqual(s.rcpt("late@example.org")[0], 550)
            self.server.cli("user", "add", "late@example.org", "--password-stdin", input="pw pw pw pw\n")
            self.assertEqual(s.rcpt("late@example.org")[0], 250)
        self.assertEqual(self.server.stop(), 0)

    def test_bad_config_names_the_key(self):
        bad = os.path.join(self.tmp, "bad.toml")
        with open(bad, "w") as f:
            f.write("[limits]\nmax_recipients = 0\nno_such_key = 1\n")
        r = subprocess.run([BINARY, "serve", "--config", bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, "max_recipients|no_such_key")


if __name__ == "__main__":
    unittest.main()
