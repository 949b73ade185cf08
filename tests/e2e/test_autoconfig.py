"""Client autoconfiguration over HTTP(S) against the real server: every dialect is fetched with
curl, read with xmllint (plistutil for the Apple profile) and compared with what the submission
listeners really offer, as swaks sees it in EHLO. Also `mailwarden dns-records`."""
import os
import plistlib
import re
import subprocess
import tempfile
import unittest

from mwtest import ServerTestCase, free_port

AUTODISCOVER_REQUEST = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>{address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
"""


def xpath(xml: bytes, expr: str) -> str:
    r = subprocess.run(["xmllint", "--xpath", expr, "-"], input=xml, capture_output=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"xmllint --xpath {expr!r} failed: {r.stderr.decode()}\n{xml.decode()}")
    return r.stdout.decode().strip()


def ehlo_auth_mechanisms(port: int, implicit_tls: bool) -> list:
    """The AUTH keyword swaks sees after TLS on the port, as a list of mechanisms."""
    tls = ["--tls-on-connect"] if implicit_tls else ["-tls"]
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", *tls, "--quit-after", "EHLO",
                        "--timeout", "20"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"swaks on {port} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    auth_lines = re.findall(r"^<~\s+250[ -]AUTH (.*)$", r.stdout, re.M)
    if len(auth_lines) != 1:
        raise AssertionError(f"expected one AUTH line inside TLS on {port}:\n{r.stdout}")
    return auth_lines[0].split()


class Autoconfig(ServerTestCase):
    users = ("alice@example.test",)

    def curl(self, path, *extra, scheme="http", host_header=None, expect=200):
        """Returns (status, content type, body bytes)."""
        with tempfile.NamedTemporaryFile() as body:
            cmd = ["curl", "-sS", "--max-time", "20", "-o", body.name,
                   "-w", "%{http_code} %{content_type}", *extra]
            if host_header:
                cmd += ["-H", f"Host: {host_header}"]
            cmd.append(f"{scheme}://127.0.0.1:{self.server.http_port}{path}")
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            status, _, ctype = r.stdout.partition(" ")
            data = open(body.name, "rb").read()
        if expect is not None:
            self.assertEqual(int(status), expect, data.decode(errors="replace"))
        return int(status), ctype, data

    def autodiscover(self, address, path="/autodiscover/autodiscover.xml", expect=200):
        return self.curl(path, "-X", "POST", "-H", "Content-Type: text/xml",
                         "--data-binary", AUTODISCOVER_REQUEST.format(address=address),
                         expect=expect)

    # --- the dialects against the listeners ------------------------------------------------

    def expected_services(self):
        """(port, implicit TLS?, AUTH mechanisms) per submission listener, from swaks."""
        return [(p, implicit, ehlo_auth_mechanisms(p, implicit))
                for p, implicit in ((self.server.submissions_port, True),
                                    (self.server.submission_port, False))]

    def check_client_config(self, xml, version, sasl_listed):
        self.assertEqual(xpath(xml, "string(/clientConfig/@version)"), version)
        self.assertEqual(xpath(xml, "string(//emailProvider/domain)"), "example.test")
        self.assertEqual(xpath(xml, "count(//incomingServer)"), "0")
        services = self.expected_services()
        self.assertEqual(xpath(xml, "count(//outgoingServer)"), str(len(services)))
        for i, (port, implicit, mechanisms) in enumerate(services, start=1):
            server = f"//outgoingServer[{i}]"
            self.assertEqual(xpath(xml, f"string({server}/@type)"), "smtp")
            self.assertEqual(xpath(xml, f"string({server}/hostname)"), "mx.test.invalid")
            self.assertEqual(xpath(xml, f"string({server}/port)"), str(port))
            self.assertEqual(xpath(xml, f"string({server}/socketType)"),
                             "SSL" if implicit else "STARTTLS")
            self.assertEqual(xpath(xml, f"string({server}/username)"), "%EMAILADDRESS%")
            count = int(xpath(xml, f"count({server}/authentication)"))
            advertised = [xpath(xml, f"string({server}/authentication[{k}])")
                          for k in range(1, count + 1)]
            expected = []
            if sasl_listed:
                expected += [m for m in mechanisms if m not in ("PLAIN", "LOGIN")]
            if "PLAIN" in mechanisms or "LOGIN" in mechanisms:
                expected.append("password-cleartext")
            self.assertEqual(advertised, expected, f"port {port} offers {mechanisms}")

    def test_thunderbird_matches_the_listeners(self):
        for path in ("/mail/config-v1.1.xml?emailaddress=alice%40example.test",
                     "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.test"):
            _, ctype, xml = self.curl(path)
            self.assertTrue(ctype.startswith("application/xml"), ctype)
            self.check_client_config(xml, "1.1", sasl_listed=False)
        log = self.server.log()
        self.assertRegex(log, r"event=http ip=127\.0\.0\.1 method=GET "
                              r"path=/mail/config-v1\.1\.xml status=200")

    def test_thunderbird_finds_the_domain_in_the_host_header(self):
        _, _, by_host = self.curl("/mail/config-v1.1.xml", host_header="autoconfig.example.test")
        _, _, well_known = self.curl("/.well-known/autoconfig/mail/config-v1.1.xml",
                                     host_header="Example.Test")
        _, _, by_address = self.curl("/mail/config-v1.1.xml?emailaddress=alice@example.test")
        self.assertEqual(by_host, by_address)
        self.assertEqual(well_known, by_address)

    def test_mailmaint_draft_matches_the_listeners(self):
        _, _, xml = self.curl("/.well-known/mail-v1.xml?emailaddress=alice%40example.test")
        self.check_client_config(xml, "1.2", sasl_listed=True)
        self.assertEqual(xpath(xml, "string(//outgoingServer[1]/authentication[1]/@system)"),
                         "sasl")

    def test_autodiscover_matches_the_listeners(self):
        services = self.expected_services()
        for path in ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"):
            _, _, xml = self.autodiscover("alice@example.test", path=path)
            proto = "//*[local-name()='Protocol']"
            self.assertEqual(xpath(xml, f"count({proto})"), str(len(services)))
            for i, (port, implicit, mechanisms) in enumerate(services, start=1):
                p = f"{proto}[{i}]"
                field = lambda name: xpath(xml, f"string({p}/*[local-name()='{name}'])")
                self.assertEqual(field("Type"), "SMTP")
                self.assertEqual(field("Server"), "mx.test.invalid")
                self.assertEqual(field("Port"), str(port))
                self.assertEqual(field("SSL"), "on")
                self.assertEqual(field("Encryption"), "SSL" if implicit else "TLS")
                self.assertEqual(field("LoginName"), "alice@example.test")
                self.assertEqual(field("SPA"), "off")  # PLAIN/LOGIN, which EHLO offers:
                self.assertTrue({"PLAIN", "LOGIN"} & set(mechanisms))
        status, _, body = self.curl("/autodiscover/autodiscover.xml", expect=405)
        self.assertIn(b"POST", body)
        status, _, body = self.curl("/autodiscover/autodiscover.xml", "-X", "POST",
                                    "--data-binary", "<Autodiscover/>", expect=400)
        self.assertIn(b"EMailAddress", body)

    def test_apple_profile_parses_with_plistutil_and_matches_the_listeners(self):
        _, ctype, profile = self.curl("/apple/mail.mobileconfig?emailaddress=alice%40example.test")
        self.assertEqual(ctype, "application/x-apple-aspen-config")
        with tempfile.TemporaryDirectory() as d:
            xml_path, bin_path = os.path.join(d, "p.mobileconfig"), os.path.join(d, "p.bin")
            with open(xml_path, "wb") as f:
                f.write(profile)
            # libplist parses the XML into a binary plist, then writes it back as XML.
            r = subprocess.run(["plistutil", "-i", xml_path, "-o", bin_path],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(bin_path, "rb") as f:
                self.assertTrue(f.read(8).startswith(b"bplist"))
            r = subprocess.run(["plistutil", "-i", bin_path, "-o", "-"], capture_output=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
        top = plistlib.loads(r.stdout)
        self.assertEqual(top["PayloadType"], "Configuration")
        (mail,) = top["PayloadContent"]
        self.assertEqual(mail["PayloadType"], "com.apple.mail.managed")
        port, implicit, mechanisms = self.expected_services()[0]
        self.assertEqual(mail["OutgoingMailServerHostName"], "mx.test.invalid")
        self.assertEqual(mail["OutgoingMailServerPortNumber"], port)
        self.assertIs(mail["OutgoingMailServerUseSSL"], implicit)
        self.assertEqual(mail["OutgoingMailServerUsername"], "alice@example.test")
        self.assertEqual(mail["OutgoingMailServerAuthentication"], "EmailAuthPassword")
        self.assertTrue({"PLAIN", "LOGIN"} & set(mechanisms))
        self.assertFalse([k for k in mail if "Password" in k and k != "OutgoingMailServerAuthentication"])
        self.assertNotIn(b"correct horse", profile)

    # --- no enumeration, foreign domains ----------------------------------------------------

    def test_existing_and_unknown_addresses_get_the_same_answer(self):
        for path in ("/mail/config-v1.1.xml?emailaddress=", "/.well-known/mail-v1.xml?emailaddress="):
            _, _, known = self.curl(path + "alice@example.test")
            _, _, unknown = self.curl(path + "nobody@example.test")
            self.assertEqual(known, unknown)
        _, _, known = self.autodiscover("alice@example.test")
        _, _, unknown = self.autodiscover("nobody@example.test")
        self.assertEqual(known.replace(b"alice@", b"X@"), unknown.replace(b"nobody@", b"X@"))
        uuid = re.compile(rb"<string>[0-9A-F]{8}-[0-9A-F-]{27}</string>")
        _, _, known = self.curl("/apple/mail.mobileconfig?emailaddress=alice@example.test")
        _, _, unknown = self.curl("/apple/mail.mobileconfig?emailaddress=nobody@example.test")
        mask = lambda b, who: uuid.sub(b"UUID", b.replace(who, b"X"))
        self.assertEqual(mask(known, b"alice"), mask(unknown, b"nobody"))

    def test_a_domain_not_hosted_gets_404(self):
        for path in ("/mail/config-v1.1.xml?emailaddress=bob@foreign.example",
                     "/.well-known/mail-v1.xml?emailaddress=bob@foreign.example",
                     "/apple/mail.mobileconfig?emailaddress=bob@foreign.example"):
            _, _, body = self.curl(path, expect=404)
            self.assertIn(b"foreign.example is not hosted on this server", body)
        _, _, body = self.curl("/mail/config-v1.1.xml", host_header="autoconfig.foreign.example",
                               expect=404)
        self.assertIn(b"not hosted", body)
        _, _, body = self.autodiscover("bob@foreign.example", expect=404)
        self.assertIn(b"not hosted", body)
        _, _, body = self.curl("/mail/config-v1.1.xml?emailaddress=no-at-sign", expect=400)
        self.assertIn(b"full email address", body)
        self.curl("/no/such/path", expect=404)

    # --- dns-records ----------------------------------------------------------------------

    def test_dns_records_publish_the_listener_ports(self):
        out = self.server.cli("dns-records", "example.test").stdout
        records = {}
        comments = 0
        for line in out.splitlines():
            if line.startswith(";"):
                comments += 1
                continue
            name, ttl, cls, rtype, data = line.split(None, 4)
            self.assertEqual((ttl, cls), ("3600", "IN"), line)
            records.setdefault((name, rtype), []).append(data)
        self.assertGreaterEqual(comments, len(records))
        self.assertEqual(records[("example.test.", "MX")], ["10 mx.test.invalid."])
        self.assertEqual(records[("_submissions._tcp.example.test.", "SRV")],
                         [f"0 1 {self.server.submissions_port} mx.test.invalid."])
        self.assertEqual(records[("_submission._tcp.example.test.", "SRV")],
                         [f"10 1 {self.server.submission_port} mx.test.invalid."])
        self.assertEqual(records[("autoconfig.example.test.", "CNAME")], ["mx.test.invalid."])
        self.assertEqual(records[("autodiscover.example.test.", "CNAME")], ["mx.test.invalid."])
        self.assertEqual(records[("example.test.", "TXT")], ['"v=spf1 mx -all"'])
        self.assertEqual(records[("_dmarc.example.test.", "TXT")],
                         ['"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test"'])
        self.assertIn("_imaps._tcp", out)
        # The SRV ports are the ones where EHLO really offers AUTH inside TLS.
        for port, implicit, mechanisms in self.expected_services():
            self.assertIn("PLAIN", mechanisms)

    def test_client_settings_prints_the_listener_ports(self):
        md = self.server.cli("client-settings", "--markdown").stdout
        self.assertIn(f"| port and security | {self.server.submissions_port} with SSL/TLS "
                      f"(preferred), or {self.server.submission_port} with STARTTLS |", md)
        self.assertIn("`mx.test.invalid`", md)

    def test_dns_records_refuse_a_domain_not_hosted(self):
        r = self.server.cli("dns-records", "foreign.example", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("foreign.example is not a hosted domain", r.stderr)
        self.assertEqual(r.stdout, "")


class AutoconfigOverHttps(ServerTestCase):
    """http.tls: the same answers over HTTPS with the server's certificate."""

    def setUp(self):
        self.https_port = free_port()
        self.extra_config = f'[http]\nlisten = ["127.0.0.1:{self.https_port}"]\ntls = true\n'
        super().setUp()

    def test_https_with_the_server_certificate(self):
        cert = os.path.join(self.server.data_dir, "tls", "cert.pem")
        url = f"https://localhost:{self.https_port}/mail/config-v1.1.xml?emailaddress=alice@example.test"
        r = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", cert, url],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(xpath(r.stdout, "string(//outgoingServer[1]/port)"),
                         str(self.server.submissions_port))
        # Without the certificate in the trust store curl refuses: it really is TLS.
        r = subprocess.run(["curl", "-sS", "--max-time", "20", url], capture_output=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        # Plain HTTP on the HTTPS port gets no answer.
        r = subprocess.run(["curl", "-sS", "--max-time", "10",
                            f"http://127.0.0.1:{self.https_port}/mail/config-v1.1.xml"],
                           capture_output=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
