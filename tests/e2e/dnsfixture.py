"""A real DNS server for e2e tests: dnsmasq (Debian package dnsmasq-base) on a free 127.0.0.1
port, in the foreground, answering only from the records given, killed if the test process dies. Point mailwarden's
resolver at `server.address` ("127.0.0.1:PORT").

    records = {
        "example.test":     {"MX": [(10, "mx1.example.test"), (20, "mx2.example.test")]},
        "mx1.example.test": {"A": ["127.0.0.1"], "AAAA": ["::1"]},
        "nullmx.test":      {"MX": [(0, ".")]},          # RFC 7505 null MX
        "alias.test":       {"CNAME": "example.test"},
        "txt.test":         {"TXT": ["no mail here"]},
    }
    with DnsServer(records, timeout_zones=["silent.test"]) as dns:
        ...

Names under a local zone ("test" unless given) that have no record answer NXDOMAIN; a name that
exists without the asked type answers NODATA; names outside every zone answer REFUSED; names under
a timeout zone are forwarded to a socket nobody reads, so the server never answers them.
tests/unit/delivery/dnsmasq_fixture.* is the same fixture for C++ tests."""
import ctypes
import ipaddress
import os
import random
import signal
import shutil
import socket
import struct
import subprocess
import tempfile
import time

RECORD_TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


def find_dnsmasq():
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    found = shutil.which("dnsmasq", path=path)
    if not found:
        raise RuntimeError("dnsmasq not found on PATH or in /usr/sbin: run scripts/install-deps.sh "
                           "(Debian package dnsmasq-base)")
    return found


def free_udp_tcp_port(host="127.0.0.1"):
    """A port free for both UDP and TCP right now (dnsmasq serves both on one port)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free loopback port for UDP and TCP after 20 attempts")


def _die_with_parent():
    """Runs in the child before exec: a test process that crashes takes dnsmasq with it."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _check_name(name):
    if not name or any(c in name for c in ",/#\\ \t\n") or len(name) > 253:
        raise ValueError(f"not a DNS name for dnsmasq: {name!r}")
    return name


def dnsmasq_options(records):
    """The dnsmasq options that serve `records`; a bad type or value raises ValueError."""
    options = []
    for name, rrsets in records.items():
        _check_name(name)
        for rtype, values in rrsets.items():
            if rtype == "MX":
                for preference, exchange in values:
                    if not 0 <= int(preference) <= 65535:
                        raise ValueError(f"MX preference of {name} out of range: {preference}")
                    # dnsmasq writes "." as the bare root label: exactly RFC 7505's null MX.
                    if exchange != ".":
                        _check_name(exchange)
                    options.append(f"--mx-host={name},{exchange},{int(preference)}")
            elif rtype in ("A", "AAAA"):
                for value in values:
                    ip = ipaddress.ip_address(value)
                    if (ip.version == 4) != (rtype == "A"):
                        raise ValueError(f"{rtype} record of {name} holds {value}")
                    options.append(f"--host-record={name},{ip}")
            elif rtype == "CNAME":
                options.append(f"--cname={name},{_check_name(values)}")
            elif rtype == "TXT":
                for value in values:
                    if "," in value or '"' in value:
                        raise ValueError(f"TXT of {name}: commas and quotes are not supported")
                    options.append(f"--txt-record={name},{value}")
            else:
                raise ValueError(f"record type {rtype!r} of {name} is not supported "
                                 f"(MX, A, AAAA, CNAME, TXT)")
    return options


class DnsServer:
    def __init__(self, records, local_zones=("test",), timeout_zones=(), host="127.0.0.1"):
        self.options = dnsmasq_options(records)
        self.local_zones = [_check_name(z) for z in local_zones]
        self.timeout_zones = [_check_name(z) for z in timeout_zones]
        self.host = host
        self.port = None
        self.proc = None
        self.dir = None
        self.blackhole = None

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=10.0):
        self.dir = tempfile.mkdtemp(prefix="mw-dnsmasq-")
        self.log_path = os.path.join(self.dir, "dnsmasq.log")
        self.blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.blackhole.bind(("127.0.0.1", 0))
        for _ in range(5):  # the chosen port can be taken before dnsmasq binds it: retry
            if self._try_start(timeout):
                return
        output = self.log()
        self.stop()
        raise RuntimeError("dnsmasq did not start after 5 attempts:\n" + output)

    def _try_start(self, timeout):
        self.port = free_udp_tcp_port(self.host)
        dead = self.blackhole.getsockname()[1]
        # --keep-in-foreground, not --no-daemon: that debug mode serves a TCP connection inline
        # and answers no UDP query until the client closes it.
        cmd = [find_dnsmasq(), "--keep-in-foreground", "--pid-file", f"--port={self.port}",
               f"--listen-address={self.host}", "--bind-interfaces",
               "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--cache-size=0",
               "--log-queries", "--log-facility=-"]
        if os.geteuid() == 0:
            # Otherwise dnsmasq switches to nobody, and a credential change clears the
            # parent-death signal.
            cmd += ["--user=root", "--group=root"]
        cmd += [f"--local=/{z}/" for z in self.local_zones]
        cmd += [f"--server=/{z}/127.0.0.1#{dead}" for z in self.timeout_zones]
        cmd += self.options
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            try:
                self.query("ready.probe.invalid", "A", timeout=0.2)
                return True
            except OSError:
                time.sleep(0.02)
        output = self.log()
        self.stop()
        raise RuntimeError(f"dnsmasq did not answer within {timeout} s:\n{output}")

    def stop(self, timeout=5.0):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
            self.proc = None
        if self.blackhole is not None:
            self.blackhole.close()
            self.blackhole = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def log(self):
        """dnsmasq's output, every query included: useful in failure messages."""
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def query(self, name, rtype, timeout=2.0):
        return query(self.host, self.port, name, rtype, timeout)


def _read_name(msg, offset, depth=0):
    labels = []
    while True:
        if offset >= len(msg) or depth > 20:
            raise ValueError("malformed name in DNS message")
        length = msg[offset]
        if length & 0xC0 == 0xC0:  # compression pointer (RFC 1035 §4.1.4)
            pointer = struct.unpack(">H", msg[offset:offset + 2])[0] & 0x3FFF
            rest, _ = _read_name(msg, pointer, depth + 1)
            labels.append(rest)
            return ".".join(l for l in labels if l) or ".", offset + 2
        offset += 1
        if length == 0:
            return ".".join(labels) or ".", offset
        labels.append(msg[offset:offset + length].decode("ascii", "replace"))
        offset += length


def query(host, port, name, rtype, timeout=2.0):
    """One UDP query. Returns (rcode name, [(type name, value), ...]) for the answer section:
    MX values are (preference, exchange) with "." for the root, A/AAAA and CNAME are text.
    Raises socket.timeout (an OSError) when nobody answers."""
    qtype = RECORD_TYPES[rtype]
    qid = random.randrange(65536)
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        msg += bytes([len(label)]) + label.encode("ascii")
    msg += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, (host, port))
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.001, deadline - time.monotonic()))
            data, _ = s.recvfrom(65535)
            if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid:
                break
    _, flags, qdcount, ancount, _, _ = struct.unpack(">HHHHHH", data[:12])
    offset = 12
    for _ in range(qdcount):
        _, offset = _read_name(data, offset)
        offset += 4
    names = {v: k for k, v in RECORD_TYPES.items()}
    answers = []
    for _ in range(ancount):
        _, offset = _read_name(data, offset)
        atype, _, _, rdlength = struct.unpack(">HHIH", data[offset:offset + 10])
        offset += 10
        rdata = data[offset:offset + rdlength]
        if atype == 1:
            value = str(ipaddress.IPv4Address(rdata))
        elif atype == 28:
            value = str(ipaddress.IPv6Address(rdata))
        elif atype == 15:
            value = (struct.unpack(">H", rdata[:2])[0], _read_name(data, offset + 2)[0])
        elif atype == 5:
            value = _read_name(data, offset)[0]
        else:
            value = rdata
        answers.append((names.get(atype, str(atype)), value))
        offset += rdlength
    return RCODES.get(flags & 0xF, str(flags & 0xF)), answers
