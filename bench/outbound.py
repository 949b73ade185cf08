#!/usr/bin/env python3
"""Outbound delivery benchmark (issue #4 part 9): messages per second from mailwarden's queue to
a local sink (Postfix's smtp-sink) at 1 and 16 outbound connections, and the latency from the
250 at acceptance to the remote 250, next to the sink's own ceiling measured in the same run
(smtp-source straight into smtp-sink with the same concurrency).

Setup per measurement: a fresh data directory; mailwarden (Release) with
relay.trusted_networks = 127.0.0.1/32 (so smtp-source may relay through the MX listener without
AUTH: the AUTH cost is bench/auth.sh's subject, not this one) and outbound.relay_host pointing at
the sink (plaintext, no AUTH). smtp-source injects N messages of 4 KiB; the figures come from the
server's own log: `event=queued` (acceptance) and `event=outbound ... status=sent` (remote 250).

Usage: bench/outbound.py BINARY [--messages N] [--out DIR]. Only 127.0.0.1 is contacted; every
wait is bounded.
"""
import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
HOST = "127.0.0.1"
STAMP = re.compile(r"^(\S+) info (?:.*? )?event=(queued|outbound) id=(\w+)(.*)$")


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def parse_time(text):
    return dt.datetime.fromisoformat(text).timestamp()


def sink(port, connections):
    # -u root: run as root without dropping to "nobody" (the VM runs as root); backlog 256.
    return subprocess.Popen([SMTP_SINK, "-u", "root", f"{HOST}:{port}", "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sink_ceiling(messages, connections, size):
    port = free_port()
    proc = sink(port, connections)
    try:
        if not wait_port(port):
            raise RuntimeError("smtp-sink did not start")
        t0 = time.monotonic()
        subprocess.run([SMTP_SOURCE, "-s", str(connections), "-m", str(messages), "-l", str(size),
                        "-f", "a@example.test", "-t", "b@remote.test", f"{HOST}:{port}"],
                       check=True, timeout=600, capture_output=True)
        return messages / (time.monotonic() - t0)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def measure(binary, messages, connections, size, workdir):
    data = os.path.join(workdir, f"data-{connections}")
    log = os.path.join(workdir, f"server-{connections}.log")
    mx, sub, subs, sink_port = free_port(), free_port(), free_port(), free_port()
    config = os.path.join(workdir, f"mailwarden-{connections}.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{data}"\nhostname = "bench.test.invalid"\n'
                f'[log]\nlevel = "info"\nfile = "{log}"\n'
                f'[relay]\ntrusted_networks = ["127.0.0.1/32"]\n'
                f'[outbound]\nrelay_host = "{HOST}:{sink_port}"\nrelay_security = "none"\n'
                f"relay_verify_certificate = false\nmax_connections = {connections}\n"
                f"max_per_destination = {connections}\n"
                f'[listeners.mx]\naddresses = ["{HOST}:{mx}"]\n'
                f'[listeners.submission]\naddresses = ["{HOST}:{sub}"]\n'
                f'[listeners.submissions]\naddresses = ["{HOST}:{subs}"]\n')
    sink_proc = sink(sink_port, connections)
    server = subprocess.Popen([binary, "serve", "--config", config],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(sink_port) or not wait_port(mx):
            raise RuntimeError("sink or server did not start")
        load_before = loadavg()
        subprocess.run([SMTP_SOURCE, "-s", str(min(connections, 16) or 1), "-m", str(messages),
                        "-l", str(size), "-f", "a@example.test", "-t", "b@remote.test",
                        f"{HOST}:{mx}"], check=True, timeout=600, capture_output=True)
        deadline = time.monotonic() + 300
        sent = 0
        while time.monotonic() < deadline:
            with open(log, errors="replace") as f:
                sent = f.read().count("status=sent")
            if sent >= messages:
                break
            time.sleep(0.2)
        load_after = loadavg()
    finally:
        server.terminate()
        server.wait(timeout=60)
        sink_proc.kill()
        sink_proc.wait(timeout=10)
    queued, done = {}, {}
    with open(log, errors="replace") as f:
        for line in f:
            m = STAMP.match(line)
            if not m:
                continue
            when, kind, qid, rest = m.groups()
            if kind == "queued":
                queued[qid] = parse_time(when)
            elif "status=sent" in rest:
                done[qid] = parse_time(when)
    lat = sorted(done[q] - queued[q] for q in done if q in queued)
    if not lat:
        raise RuntimeError(f"nothing was sent; see {log}")
    first_sent, last_sent = min(done.values()), max(done.values())
    first_queued = min(queued.values())
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
    return {
        "connections": connections,
        "messages": messages,
        "sent": len(done),
        # Outbound rate while sending: the sink sees messages from the first remote 250 to the last.
        "outbound_msgs_per_s": (len(done) - 1) / (last_sent - first_sent) if len(done) > 1 else None,
        "end_to_end_msgs_per_s": len(done) / (last_sent - first_queued),
        "latency_ms_p50": pct(0.50),
        "latency_ms_p99": pct(0.99),
        "latency_ms_max": lat[-1] * 1000,
        "load_before": load_before,
        "load_after": load_after,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    a = ap.parse_args()
    for tool in (SMTP_SOURCE, SMTP_SINK):
        if not os.path.exists(tool):
            sys.exit(f"{tool} missing: apt-get install postfix (see bench/README.md)")
    workdir = tempfile.mkdtemp(prefix="mw-bench-out-")
    results = {"date": dt.datetime.utcnow().isoformat(timespec="seconds") + "Z",
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip(),
               "runs": []}
    try:
        for connections in (1, 16):
            r = measure(a.binary, a.messages, connections, a.size, workdir)
            r["sink_ceiling_msgs_per_s"] = sink_ceiling(a.messages, connections, a.size)
            results["runs"].append(r)
            print(json.dumps(r), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "outbound.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
