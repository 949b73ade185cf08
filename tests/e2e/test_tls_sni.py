"""Issue #3 part 1: SNI with several certificates. Each test client trusts exactly one
certificate and checks the host name, so a handshake succeeds only when the server chose the
certificate for the name the client asked for (RFC 6066 §3)."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import unittest

from mwtest import BINARY, Server


def make_certificate(directory, stem, name):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
                    "-keyout", os.path.join(directory, stem + ".key"),
                    "-out", os.path.join(directory, stem + ".pem")],
                   check=True, capture_output=True, timeout=60)
    os.chmod(os.path.join(directory, stem + ".key"), 0o600)
    return os.path.join(directory, stem + ".pem")


def trusting(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


class TlsSni(unittest.TestCase):
    def setUp(self):
        self.assertTrue(BINARY and os.path.exists(BINARY), "MW_BINARY must point to the binary")
        self.tmp = tempfile.mkdtemp(prefix="mw-e2e-sni-")
        sni = os.path.join(self.tmp, "sni")
        os.mkdir(sni)
        self.other_cert = make_certificate(sni, "other", "mail.other.test")
        self.server = Server(self.tmp, '[tls]\nsni_directory = "sni"\n')
        self.server.add_domain("example.test")
        self.server.start()
        self.default_cert = os.path.join(self.server.data_dir, "tls", "cert.pem")

    def tearDown(self):
        rc = self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, self.server.output()[-4000:])

    def connect_implicit(self, name, cafile):
        raw = socket.create_connection(("127.0.0.1", self.server.submissions_port), timeout=30)
        try:
            with trusting(cafile).wrap_socket(raw, server_hostname=name) as tls:
                return tls.recv(512)
        finally:
            raw.close()

    def test_each_name_gets_its_own_certificate(self):
        self.assertTrue(self.connect_implicit("mail.other.test", self.other_cert).startswith(b"220"))
        # The default certificate names the host it was generated for, and localhost.
        self.assertTrue(self.connect_implicit("localhost", self.default_cert).startswith(b"220"))
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.connect_implicit("mail.other.test", self.default_cert)
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.connect_implicit("localhost", self.other_cert)

    def test_starttls_on_submission_uses_sni_too(self):
        with smtplib.SMTP("127.0.0.1", self.server.submission_port, timeout=30) as s:
            s._host = "mail.other.test"  # smtplib sends its connect host as the SNI name
            s.ehlo("client.example")
            code, _ = s.starttls(context=trusting(self.other_cert))
            self.assertEqual(code, 220)
            code, _ = s.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())


if __name__ == "__main__":
    unittest.main()
