"""A minimal raw SMTP client for what the real clients cannot send on purpose: BDAT chunks,
smuggling byte sequences, over-long lines. Every read has a deadline."""
import re
import socket

REPLY_LINE = re.compile(rb"^(\d{3})([ -])(.*)$")


class RawSmtp:
    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def reply(self):
        """Reads one complete (possibly multi-line) reply: (code, [text lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"connection closed; partial reply {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            m = REPLY_LINE.match(line)
            if not m:
                raise AssertionError(f"malformed reply line {line!r}")
            lines.append(m.group(3).decode("utf-8", "replace"))
            if m.group(2) == b" ":
                return int(m.group(1)), lines

    def cmd(self, line: str):
        self.send(line.encode("utf-8") + b"\r\n")
        return self.reply()

    def closed_by_server(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
