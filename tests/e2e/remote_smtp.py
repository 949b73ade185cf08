"""Remote SMTP servers for outbound-delivery tests: aiosmtpd (Debian package python3-aiosmtpd),
a real SMTP server nobody here wrote, on a loopback address, with scripted behaviour per
recipient.

    with RemoteSmtp("127.0.0.11", port, rules={"nobody@remote.test": (550, "5.1.1 no such user")},
                    tempfail_first={"later@remote.test": 1}) as mx:
        ...
        mx.wait_for(1)          # envelopes received
        mx.messages[0].rcpt_tos

STARTTLS (`starttls=True`) and implicit TLS (`implicit_tls=True`) use a throwaway self-signed
certificate; `auth={"user": "password"}` turns on AUTH (PLAIN/LOGIN) and requires it."""
import os
import ssl
import subprocess
import tempfile
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def self_signed(directory, name="mx.remote.test"):
    key = os.path.join(directory, "remote.key")
    cert = os.path.join(directory, "remote.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", f"/CN={name}", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


class Recorder:
    """aiosmtpd handler: records accepted envelopes, refuses by rule."""

    def __init__(self, rules, tempfail_first):
        self.rules = {k.lower(): v for k, v in (rules or {}).items()}
        self.tempfail_left = {k.lower(): v for k, v in (tempfail_first or {}).items()}
        self.messages = []
        self.rcpt_log = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        with self.lock:
            self.rcpt_log.append(key)
            if self.tempfail_left.get(key, 0) > 0:
                self.tempfail_left[key] -= 1
                return "451 4.3.0 try again later (scripted)"
        if key in self.rules:
            code, text = self.rules[key]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 2.0.0 accepted by the scripted remote"


class RemoteSmtp:
    def __init__(self, host, port, rules=None, tempfail_first=None, starttls=False,
                 implicit_tls=False, auth=None, workdir=None):
        self.host = host
        self.port = port
        self.handler = Recorder(rules, tempfail_first)
        self.auth = auth or {}
        self.auth_log = []
        self.workdir = workdir or tempfile.mkdtemp(prefix="mw-remote-")
        kwargs = {}
        tls = self_signed(self.workdir) if (starttls or implicit_tls) else None
        if starttls:
            kwargs["tls_context"] = tls
        if implicit_tls:
            kwargs["ssl_context"] = tls
        if self.auth:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_required"] = True
            # aiosmtpd does not count implicit TLS as TLS for AUTH (it checks for STARTTLS), so
            # it would never offer AUTH there; the connection is encrypted either way.
            kwargs["auth_require_tls"] = bool(starttls)
        self.controller = Controller(self.handler, hostname=host, port=port,
                                     server_hostname="mx.remote.test", **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and self.auth.get(auth_data.login.decode()) == auth_data.password.decode())
        self.auth_log.append((mechanism, auth_data.login.decode() if ok else None))
        return AuthResult(success=ok)

    @property
    def messages(self):
        return self.handler.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def wait_for(self, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)
