"""The DNS fixture the outbound delivery tests rely on serves exactly the records it is given,
with the right answer codes: MX in the given order and preferences, RFC 7505 null MX as an empty
exchange, A/AAAA, CNAME, NODATA, NXDOMAIN inside the zone, REFUSED outside, silence in a timeout
zone; and it goes away at stop()."""
import os
import socket
import subprocess
import sys
import time
import unittest

from dnsfixture import DnsServer, dnsmasq_options

def _running(pid):
    """True while the process exists and is not a zombie waiting for its new parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


RECORDS = {
    "example.test": {"MX": [(10, "mx1.example.test"), (20, "mx2.example.test")]},
    "mx1.example.test": {"A": ["127.0.0.1", "127.0.0.2"], "AAAA": ["::1"]},
    "nullmx.test": {"MX": [(0, ".")]},
    "alias.test": {"CNAME": "mx1.example.test"},
    "txt.test": {"TXT": ["no mail here"]},
}


class DnsFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer(RECORDS, timeout_zones=["silent.test"])
        cls.dns.start()

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def ask(self, name, rtype):
        try:
            return self.dns.query(name, rtype)
        except OSError as e:
            self.fail(f"no answer for {name} {rtype}: {e}\n{self.dns.log()}")

    def test_mx_records_with_preferences(self):
        rcode, answers = self.ask("example.test", "MX")
        self.assertEqual(rcode, "NOERROR")
        self.assertEqual(sorted(v for t, v in answers if t == "MX"),
                         [(10, "mx1.example.test"), (20, "mx2.example.test")])

    def test_null_mx_is_preference_zero_and_the_root(self):
        rcode, answers = self.ask("nullmx.test", "MX")
        self.assertEqual((rcode, answers), ("NOERROR", [("MX", (0, "."))]))

    def test_a_and_aaaa(self):
        self.assertEqual(sorted(self.ask("mx1.example.test", "A")[1]),
                         [("A", "127.0.0.1"), ("A", "127.0.0.2")])
        self.assertEqual(self.ask("mx1.example.test", "AAAA")[1], [("AAAA", "::1")])

    def test_cname_is_followed_by_the_server(self):
        rcode, answers = self.ask("alias.test", "A")
        self.assertEqual(rcode, "NOERROR")
        self.assertIn(("CNAME", "mx1.example.test"), answers)
        self.assertIn(("A", "127.0.0.1"), answers)

    def test_existing_name_without_the_type_is_nodata(self):
        self.assertEqual(self.ask("txt.test", "MX"), ("NOERROR", []))
        self.assertEqual(self.ask("mx2.example.test", "A")[0], "NXDOMAIN")

    def test_unknown_name_in_the_zone_is_nxdomain(self):
        self.assertEqual(self.ask("missing.test", "MX"), ("NXDOMAIN", []))

    def test_name_outside_every_zone_is_refused(self):
        self.assertEqual(self.ask("example.com", "MX")[0], "REFUSED")

    def test_timeout_zone_never_answers(self):
        with self.assertRaises(socket.timeout):
            self.dns.query("host.silent.test", "MX", timeout=0.5)


class DnsFixtureLifecycle(unittest.TestCase):
    def test_stop_ends_the_server(self):
        with DnsServer({"a.test": {"A": ["127.0.0.1"]}}) as dns:
            self.assertEqual(dns.query("a.test", "A"), ("NOERROR", [("A", "127.0.0.1")]))
            port = dns.port
            proc = dns.proc
        self.assertIsNotNone(proc.poll(), "dnsmasq still running after stop()")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", port))  # the port is free again

    def test_the_server_dies_with_a_crashed_test(self):
        script = ("import os, dnsfixture\n"
                  "dns = dnsfixture.DnsServer({'a.test': {'A': ['127.0.0.1']}})\n"
                  "dns.start()\n"
                  "print(dns.proc.pid, flush=True)\n"
                  "os._exit(1)  # no stop(): the crash\n")
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=60, cwd=os.path.dirname(os.path.abspath(__file__)))
        self.assertTrue(r.stdout.strip(), r.stderr)
        pid = int(r.stdout.split()[0])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.02)
        self.assertFalse(_running(pid), f"dnsmasq {pid} outlived the process that started it")

    def test_two_servers_run_side_by_side(self):
        with DnsServer({"a.test": {"A": ["127.0.0.1"]}}) as one, \
                DnsServer({"a.test": {"A": ["127.0.0.2"]}}) as two:
            self.assertNotEqual(one.port, two.port)
            self.assertEqual(one.query("a.test", "A")[1], [("A", "127.0.0.1")])
            self.assertEqual(two.query("a.test", "A")[1], [("A", "127.0.0.2")])

    def test_bad_records_are_refused_with_the_reason(self):
        for records, words in [
            ({"a.test": {"SRV": ["x"]}}, "not supported"),
            ({"a.test": {"A": ["::1"]}}, "A record of a.test holds ::1"),
            ({"a.test": {"A": ["not-an-ip"]}}, "does not appear to be an IPv4 or IPv6 address"),
            ({"a.test": {"MX": [(70000, "mx.a.test")]}}, "out of range"),
            ({"a,b.test": {"A": ["127.0.0.1"]}}, "not a DNS name"),
        ]:
            with self.assertRaises(ValueError) as ctx:
                dnsmasq_options(records)
            self.assertIn(words, str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
