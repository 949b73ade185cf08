"""Issue #5 part 6: `mailwarden diagnose` against the real server, with each misconfiguration of
the knowledge base reproduced: correct settings, wrong password, short username, sender not
owned, blocked IP, a user who only knows port 25, a server without submission listeners (AUTH
off, relay refused), an untrusted or mismatched certificate, and a host where nothing listens.
The server's self-signed certificate (DATA_DIR/tls/cert.pem, issued for localhost) is trusted
with --ca-file. Every wait is bounded; every connection goes to 127.0.0.0/8."""
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import time
import unittest

from mwtest import BINARY, Server, ServerTestCase, free_port

PASSWORD = "correct horse battery"
CAUSES = ("wrong port", "no TLS", "certificate", "AUTH off", "short username", "wrong password",
          "sender not owned", "blocked IP", "relay refused")


def verdicts(output):
    """{cause: verdict} from the Verdicts: block."""
    found = {}
    for line in output.splitlines():
        m = re.match(r"^  \[(ok|problem|not checked)\] +([^:]+):", line)
        if m:
            found[m.group(2).strip()] = m.group(1)
    return found


def settings(output):
    block = output.split("Settings that work (outgoing server, SMTP):\n", 1)
    if len(block) < 2:
        return None
    out = {}
    for line in block[1].splitlines():
        m = re.match(r"^  ([a-z ]+): +(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def run_diagnose(server, *args, password=PASSWORD, host="localhost", ca=True):
    cmd = [BINARY, "diagnose", host,
           "--ports", f"{server.submissions_port},{server.submission_port},{server.mx_port}",
           "--timeout", "10", "--transcript", *args]
    if ca:
        cmd += ["--ca-file", os.path.join(server.data_dir, "tls", "cert.pem")]
    if password is not None:
        cmd.append("--password-stdin")
    r = subprocess.run(cmd, input=(password + "\n") if password is not None else None,
                       capture_output=True, text=True, timeout=180)
    return r


class DiagnoseTestCase(ServerTestCase):
    users = ("alice@example.test", "bob@example.test")

    def diagnose(self, *args, **kw):
        r = run_diagnose(self.server, *args, **kw)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr, "the password leaked into the output")
        v = verdicts(r.stdout)
        self.assertEqual(set(v), set(CAUSES), r.stdout + r.stderr)
        return r, v


class DiagnoseAgainstMailwarden(DiagnoseTestCase):
    def test_correct_settings_recommend_the_implicit_tls_port(self):
        r, v = self.diagnose("--user", "alice@example.test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for cause in CAUSES:
            self.assertEqual(v[cause], "ok", f"{cause}:\n{r.stdout}")
        s = settings(r.stdout)
        self.assertEqual(s, {"server": "localhost", "port": str(self.server.submissions_port),
                             "connection security": "SSL/TLS",
                             "authentication": "normal password (PLAIN)",
                             "username": "alice@example.test"}, r.stdout)
        # Port 25 offers no AUTH, and without a login it refuses to relay: both are reported.
        self.assertRegex(r.stdout, rf"port {self.server.mx_port} \(server-to-server\): "
                                   r"before TLS none, after TLS none")
        self.assertRegex(r.stdout, rf"without a login, port {self.server.mx_port} .*refused mail "
                                   r"to <postmaster@example.com> \"550 5\.7\.1 ")
        # Nothing was sent: the dialogue stops at RCPT, then RSET.
        self.assertNotIn("C: DATA", r.stdout)
        self.assertIn("C: RSET", r.stdout)
        self.assertIn("C: AUTH PLAIN (credentials hidden)", r.stdout)
        self.assertIn("event=", self.server.log())  # the server saw real sessions

    def test_wrong_password(self):
        r, v = self.diagnose("--user", "alice@example.test", password="not the password")
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["wrong password"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"\[problem\] +wrong password: +port \d+ \(implicit TLS\) "
                                   r"refused the login \"535 5\.7\.8 ")
        self.assertIn("Check the password", r.stdout)
        # One refusal is enough: the other ports do not add failures towards a block.
        self.assertEqual(r.stdout.count("C: AUTH PLAIN"), 1, r.stdout)
        self.assertIn("not tried again after another port refused the login", r.stdout)
        self.assertEqual(v["short username"], "ok")
        self.assertEqual(v["sender not owned"], "not checked")
        # The refusal without a login is a symptom of the failed login here, not a cause.
        self.assertEqual(v["relay refused"], "not checked")
        self.assertIn("No working setting found", r.stdout)

    def test_short_username(self):
        r, v = self.diagnose("--user", "alice")
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["short username"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"\[problem\] +short username: +the username \"alice\" has "
                                   r"no @domain; port \d+ \(implicit TLS\) refused it \"535 5\.7\.8")
        self.assertIn("your full email address", r.stdout)
        self.assertEqual(v["wrong password"], "problem")
        self.assertIn("Fix the username first", r.stdout)
        # No address to send as: MAIL and RCPT are not tried, and the report says how to.
        self.assertEqual(v["sender not owned"], "not checked")
        self.assertIn("no sender address to try (the username has no @): pass --from", r.stdout)
        self.assertNotIn("C: MAIL", r.stdout)

    def test_sender_not_owned(self):
        r, v = self.diagnose("--user", "alice@example.test", "--from", "bob@example.test")
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["wrong password"], "ok", r.stdout)
        self.assertEqual(v["sender not owned"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"refused MAIL FROM:<bob@example\.test> \"553 5\.7\.1 ")
        self.assertIn("does not let alice@example.test send as bob@example.test", r.stdout)

    def test_blocked_ip(self):
        self.server.cli("ban", "add", "127.0.0.1", "--for", "1h", "--reason", "e2e diagnose")
        deadline = time.monotonic() + 15
        blocked = False
        while time.monotonic() < deadline and not blocked:
            try:
                smtplib.SMTP("127.0.0.1", self.server.mx_port, timeout=10).quit()
                time.sleep(0.2)
            except smtplib.SMTPConnectError as e:
                blocked = e.smtp_code == 421
        self.assertTrue(blocked, "the running server did not pick up the ban")
        r, v = self.diagnose("--user", "alice@example.test")
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["blocked IP"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"\[problem\] +blocked IP: +port \d+ \(implicit TLS\), port \d+ "
                                   r"\(STARTTLS\), port \d+ \(server-to-server\) answered "
                                   r"\"421 4\.7\.0 127\.0\.0\.1 is temporarily blocked")
        self.assertRegex(r.stdout, r"no port worked: port \d+: refused at connect \(421 4\.7\.0\)")
        self.assertIn("wait for the block to end", r.stdout)
        # Every refusal carries its own reference token: listed once each, not one line each.
        self.assertRegex(r.stdout, r"\(support references [0-9A-Z]{5}, [0-9A-Z]{5}, [0-9A-Z]{5}\)")
        self.assertEqual(v["wrong password"], "not checked")

    def test_user_who_only_knows_port_25_is_sent_to_the_right_port(self):
        r, v = self.diagnose("--user", "alice@example.test",
                             "--current-port", str(self.server.mx_port))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(v["wrong port"], "problem", r.stdout)
        self.assertIn(f"Your mail client uses port {self.server.mx_port}, which does not work "
                      "for sending with a login (it is for mail between servers). Use port "
                      f"{self.server.submissions_port} with SSL/TLS", r.stdout)
        self.assertEqual(settings(r.stdout)["port"], str(self.server.submissions_port))
        # Someone on the right port gets an ok.
        r, v = self.diagnose("--user", "alice@example.test",
                             "--current-port", str(self.server.submission_port))
        self.assertEqual(v["wrong port"], "ok", r.stdout)

    def test_untrusted_certificate_without_ca_file(self):
        r, v = self.diagnose("--user", "alice@example.test", ca=False)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["certificate"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"\[problem\] +certificate: +port \d+ \(implicit TLS\): not "
                                   r"trusted: self[- ]signed certificate")
        self.assertEqual(v["no TLS"], "ok")
        self.assertEqual(v["wrong password"], "not checked")
        self.assertIn("the certificate did not check, so the password was not sent", r.stdout)
        self.assertNotIn("C: AUTH", r.stdout)
        # --insecure goes on with the login and finds the setting, still naming the problem.
        r, v = self.diagnose("--user", "alice@example.test", "--insecure", ca=False)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(v["certificate"], "problem")
        self.assertEqual(v["wrong password"], "ok")


class OwnServerTestCase(unittest.TestCase):
    """A server whose configuration the test changes before it starts."""
    host = "127.0.0.1"

    def edit_config(self, text):
        return text

    def setUp(self):
        if not BINARY or not os.path.exists(BINARY):
            self.fail("MW_BINARY must point to the mailwarden binary")
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-")
        self.server = Server(self.tmp, host=self.host)
        with open(self.server.config_path) as f:
            text = f.read()
        with open(self.server.config_path, "w") as f:
            f.write(self.edit_config(text))
        self.server.add_domain("example.test")
        self.server.add_user("alice@example.test")
        self.server.start()

    def tearDown(self):
        rc = self.server.stop()
        output = self.server.output()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, "server did not exit cleanly on SIGTERM:\n" + output[-4000:])


class DiagnoseCertificateForAnotherName(OwnServerTestCase):
    """The self-signed certificate names localhost, 127.0.0.1 and ::1; the server listens on
    127.0.0.2, so a client that connects by that address sees a name mismatch."""
    host = "127.0.0.2"

    def test_certificate_name_mismatch(self):
        r = run_diagnose(self.server, "--user", "alice@example.test", host="127.0.0.2")
        v = verdicts(r.stdout)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["certificate"], "problem", r.stdout)
        line = next(l for l in r.stdout.splitlines() if re.match(r"^  \[problem\] +certificate:", l))
        self.assertIn("not issued for 127.0.0.2 (it names CN = mx.test.invalid)", line)
        self.assertNotIn("not trusted", line)  # --ca-file made the chain check pass
        self.assertIn("Use the server name the certificate is issued for", r.stdout)
        self.assertEqual(v["wrong password"], "not checked")


class DiagnoseWithoutSubmissionListeners(OwnServerTestCase):
    """Only the MX listener runs: no port offers AUTH, and mail to other domains is refused."""

    def edit_config(self, text):
        for name in ("submission", "submissions"):
            text = text.replace(f"[listeners.{name}]\n", f"[listeners.{name}]\nenabled = false\n")
        return text

    def test_auth_off_and_relay_refused(self):
        r = run_diagnose(self.server, "--user", "alice@example.test")
        v = verdicts(r.stdout)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertEqual(r.returncode, 3, r.stdout)
        self.assertEqual(v["AUTH off"], "problem", r.stdout)
        self.assertIn("No port offers login (SMTP AUTH)", r.stdout)
        self.assertEqual(v["relay refused"], "problem", r.stdout)
        self.assertRegex(r.stdout, r"\[problem\] +relay refused: +without a login, port \d+ "
                                   r"\(server-to-server\) refused mail to <postmaster@example\.com> "
                                   r"\"550 5\.7\.1 ")
        self.assertIn("Turn on SMTP authentication", r.stdout)
        self.assertEqual(v["wrong port"], "not checked")
        self.assertIn(f"{self.server.submissions_port}: no connection", r.stdout)
        self.assertIn("No working setting found", r.stdout)


class DiagnoseWithNothingListening(unittest.TestCase):
    def test_no_port_answers_exit_2(self):
        if not BINARY or not os.path.exists(BINARY):
            self.fail("MW_BINARY must point to the mailwarden binary")
        ports = [free_port() for _ in range(3)]
        r = subprocess.run([BINARY, "diagnose", "127.0.0.1", "--user", "alice@example.test",
                            "--ports", ",".join(map(str, ports)), "--timeout", "5"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        v = verdicts(r.stdout)
        self.assertEqual(v["wrong port"], "problem", r.stdout)
        self.assertIn("nothing answered on 127.0.0.1", r.stdout)
        self.assertIn("connection failed: Connection refused", r.stdout)
        self.assertEqual(v["wrong password"], "not checked")


if __name__ == "__main__":
    unittest.main()
