#!/usr/bin/env python3
"""Authenticated submission over TLS, and the CPU cost of AUTH (issue #3, part 9).

Run it through bench/auth.sh (or bench/run.sh --auth), which builds everything first. Measures the
Release server on loopback with bench/loadgen (C++, OpenSSL), one message per connection:

- the machine's ceiling: one argon2id verification at the default cost, measured directly with the
  server's own mw_auth code (bench/argon2_ceiling), alone and on 2 threads at once (the size of
  the server's blocking pool), at the start and at the end;
- on "submissions" (implicit TLS) at 1 and 8 clients: the connection alone (TLS + EHLO + QUIT),
  the same with AUTH PLAIN, and a full submission (TLS + EHLO + AUTH + MAIL/RCPT/DATA 4 KiB),
  each with a full handshake per connection and with TLS session resumption;
- the full submission over STARTTLS on "submission" at 8 clients.
Each measurement gets a fresh server and is bounded in time: 20 s with AUTH (a few AUTH/s on a
busy VM), 10 s without (thousands of connections); --quick: 5 s. Server CPU
comes from /proc/PID/stat (utime + stime) around the load, client CPU from the loadgen itself,
the whole machine's from /proc/stat, peak memory from VmHWM. Writes bench/out/auth.json and
bench/out/auth.md. Only 127.0.0.1 is contacted.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (shared helpers: ports, /proc readers, machine info, data root)

HOST = bench.HOST
USER = "sink@bench.test"
PASSWORD = "bench-pw"
TICK = os.sysconf("SC_CLK_TCK")
log = bench.log


def proc_cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def runqueue_wait_seconds(pid):
    """Time the process's threads spent runnable but waiting for a core (schedstat field 2)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended meanwhile
    return total / 1e9


def machine_busy_seconds():
    """CPU seconds all cores spent not idle (idle + iowait excluded), from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    return (sum(vals[:8]) - vals[3] - vals[4]) / TICK


class Server:
    """mailwarden with all three listeners on free ports, on a fresh copy of the template."""

    def __init__(self, binary, root, name, template):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        shutil.copytree(template, self.data)
        self.logfile = os.path.join(self.dir, "server.log")
        self.ports = {"mx": bench.free_port(), "submission": bench.free_port(),
                      "submissions": bench.free_port()}
        self.config = os.path.join(self.dir, "mw.toml")
        write_config(self.config, self.data, self.logfile, self.ports)
        self.proc = subprocess.Popen([binary, "serve", "--config", self.config],
                                     stdout=open(os.path.join(self.dir, "stdout"), "w"),
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        if not bench.wait_port(self.ports["mx"], 20):
            self.stop()
            raise RuntimeError(f"server did not listen; see {self.dir}")

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)


def write_config(path, data, logfile, ports):
    lines = [f'data_dir = "{data}"', 'hostname = "mx.bench.test"', "", "[log]", 'level = "info"',
             f'file = "{logfile}"', "", "[server]", "max_connections = 10000",
             "max_connections_per_ip = 10000", ""]
    for name, port in ports.items():
        lines += [f"[listeners.{name}]", f'addresses = ["{HOST}:{port}"]', ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def make_template(binary, root):
    tdir = os.path.join(root, "template")
    os.makedirs(tdir)
    data = os.path.join(tdir, "data")
    cfg = os.path.join(tdir, "mw.toml")
    write_config(cfg, data, os.path.join(tdir, "cli.log"),
                 {"mx": bench.free_port(), "submission": bench.free_port(),
                  "submissions": bench.free_port()})
    for cmd, inp in ((["domain", "add", "bench.test"], None),
                     (["user", "add", USER, "--password-stdin"], PASSWORD + "\n")):
        r = bench.run([binary] + cmd + ["--config", cfg], 60, input=inp)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: {r.stdout}{r.stderr}")
    return data


def loadgen_cmd(tools, port, m, clients, messages, seconds):
    cmd = [os.path.join(tools, "loadgen"), "send", HOST, str(port), "--clients", str(clients),
           "--messages", str(messages), "--size", "4096", "--max-seconds", str(seconds),
           "--tls", m["tls"], "--from", USER, "--to", USER]
    if m["resume"]:
        cmd.append("--resume")
    if m["auth"]:
        cmd += ["--auth", f"{USER}:{PASSWORD}"]
    if not m["message"]:
        cmd.append("--no-message")
    return cmd


def python_resumption_check(port):
    """Independent of loadgen: Python's ssl module, second connection offers the first's session.
    Returns (first reused?, second reused?, TLS version)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    session, reused = None, []
    for _ in range(2):
        with socket.create_connection((HOST, port), timeout=10) as raw:
            with ctx.wrap_socket(raw, session=session) as tls:
                tls.recv(512)  # the banner; a TLS 1.3 ticket arrives with it
                reused.append(tls.session_reused)
                session = tls.session
                version = tls.version()
                tls.sendall(b"QUIT\r\n")
                tls.recv(512)
    return reused[0], reused[1], version


def measure(a, root, template, m, clients, messages):
    name = f"{m['name']}-c{clients}"
    srv = Server(a.binary, root, name, template)
    port = srv.ports[m["port"]]
    res = {"name": m["name"], "clients": clients, "port": m["port"], "tls": m["tls"],
           "resume": m["resume"], "auth": m["auth"], "message": m["message"]}
    try:
        # Warm-up (not measured): the first AUTH also computes the server's timing-equaliser hash.
        warm = bench.run(loadgen_cmd(a.tools, port, m, 1, 2, 20), 30)
        if warm.returncode != 0:
            raise RuntimeError(f"warm-up failed: {warm.stdout}{warm.stderr}; see {srv.dir}")
        res["loadavg_before"] = bench.loadavg()
        seconds = a.seconds_auth if m["auth"] else a.seconds
        res["max_seconds"] = seconds
        cmd = loadgen_cmd(a.tools, port, m, clients, messages, seconds)
        cpu0, busy0 = proc_cpu_seconds(srv.pid), machine_busy_seconds()
        wait0 = runqueue_wait_seconds(srv.pid)
        r = bench.run(cmd, seconds + 40)
        cpu1, busy1 = proc_cpu_seconds(srv.pid), machine_busy_seconds()
        res["server_runqueue_wait_s"] = round(runqueue_wait_seconds(srv.pid) - wait0, 3)
        lg = json.loads(r.stdout.strip().splitlines()[-1])
        res["loadgen"] = lg
        res["cmd"] = " ".join(cmd[1:])
        res["server_cpu_s"] = round(cpu1 - cpu0, 3)
        res["machine_busy_s"] = round(busy1 - busy0, 2)
        res["vmhwm_kib"] = bench.proc_status(srv.pid, "VmHWM")
        res["vmrss_kib_after"] = bench.proc_status(srv.pid, "VmRSS")
        res["loadavg_after"] = bench.loadavg()
        if lg["ok"]:
            res["server_cpu_ms_per_conn"] = round(1e3 * res["server_cpu_s"] / lg["ok"], 3)
            res["client_cpu_ms_per_conn"] = round(1e3 * lg["client_cpu_s"] / lg["ok"], 3)
        # Load that was neither this server nor this loadgen (other people's builds).
        res["others_cores"] = round(max(0.0, res["machine_busy_s"] - res["server_cpu_s"]
                                        - lg["client_cpu_s"]) / lg["seconds"], 2)
        if m["resume"] and m["tls"] == "implicit":
            res["python_check"] = python_resumption_check(port)
    finally:
        res["exit"] = srv.stop()
    return res


def mx_under_auth(a, root, template):
    """RCPT on the MX is checked on the same 2-thread blocking pool as argon2id (check_recipient
    and verify_credentials both offload there): MX latency with 1 plaintext client alone, then
    while 8 clients authenticate on submissions."""
    srv = Server(a.binary, root, "mx-under-auth", template)
    auth_m = {"tls": "implicit", "resume": False, "auth": True, "message": False}
    mx = [os.path.join(a.tools, "loadgen"), "send", HOST, str(srv.ports["mx"]), "--clients", "1",
          "--messages", "20000", "--size", "4096", "--max-seconds", str(a.seconds)]
    res = {"loadavg_before": bench.loadavg()}
    try:
        warm = bench.run(loadgen_cmd(a.tools, srv.ports["submissions"], auth_m, 1, 1, 20), 30)
        if warm.returncode != 0:
            raise RuntimeError(f"warm-up failed: {warm.stdout}{warm.stderr}")
        res["mx_alone"] = json.loads(bench.run(mx, a.seconds + 40).stdout.strip().splitlines()[-1])
        bg = subprocess.Popen(loadgen_cmd(a.tools, srv.ports["submissions"], auth_m, 8, 20000,
                                          a.seconds + 2), stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(1.0)  # the 8 AUTH clients fill the pool's queue first
            during = bench.run(mx, a.seconds + 40)
            res["mx_during_auth"] = json.loads(during.stdout.strip().splitlines()[-1])
            out, _ = bg.communicate(timeout=a.seconds + 60)
        except BaseException:
            bg.kill()
            bg.wait(timeout=10)
            raise
        res["auth_load"] = json.loads(out.strip().splitlines()[-1])
        res["loadavg_after"] = bench.loadavg()
    finally:
        res["exit"] = srv.stop()
    log(f"mx under auth: {res}")
    return res


PLAN = [
    # name, port, tls, resume, auth, message
    ("conn", "submissions", "implicit", False, False, False),
    ("conn-resumed", "submissions", "implicit", True, False, False),
    ("conn+auth", "submissions", "implicit", False, True, False),
    ("submit", "submissions", "implicit", False, True, True),
    ("submit-resumed", "submissions", "implicit", True, True, True),
]
STARTTLS = ("submit-starttls", "submission", "starttls", False, True, True)


def argon2(a, label):
    r = bench.run([a.argon2, "--seconds", str(a.argon2_seconds), "--threads", "2"], 120)
    if r.returncode != 0:
        raise RuntimeError(f"argon2_ceiling: {r.stderr}")
    res = json.loads(r.stdout)
    res["loadavg"] = bench.loadavg()
    log(f"argon2 ceiling ({label}): {res}")
    return res


def tls_primitives():
    """The public-key work of a TLS 1.3 handshake, per CPU second (`openssl speed` divides by user
    CPU time unless -elapsed, so a busy machine does not lower it much): the
    server signs with ECDSA P-256 (its certificate key) and does one X25519 exchange (key
    generation + derivation, about two operations); a resumed handshake (psk_dhe_ke) skips only
    the signature."""
    r = bench.run(["openssl", "speed", "-seconds", "2", "-mr", "ecdsap256", "ecdhx25519"], 60)
    res = {"loadavg": bench.loadavg()}
    for line in r.stdout.splitlines():
        f = line.split(":")
        if f[0] == "+F4" and f[2] == "256":
            res["ecdsa_p256_sign_per_s"], res["ecdsa_p256_verify_per_s"] = float(f[3]), float(f[4])
        elif f[0] == "+F5" and f[2] == "253":
            res["x25519_per_s"] = float(f[3])
    if "ecdsa_p256_sign_per_s" in res and "x25519_per_s" in res:
        ecdh = 2e3 / res["x25519_per_s"]
        res["full_handshake_pk_ms"] = round(ecdh + 1e3 / res["ecdsa_p256_sign_per_s"], 3)
        res["resumed_handshake_pk_ms"] = round(ecdh, 3)
    log(f"TLS primitives: {res}")
    return res


def fmt(v, nd=0):
    return bench.fmt(v, nd)


def render(r):
    mi = r["machine"]
    out = [f"Date: {mi['date']}; commit {mi['commit']}; {'--quick' if r['quick'] else 'full'} run; "
           f"at most {r['seconds'][0]} s per measurement without AUTH, {r['seconds'][1]} s with",
           f"Machine: {mi['nproc']} cores, {mi['cpu']}, {mi['mem_gib']} GiB, kernel {mi['kernel']}, "
           f"{mi['gcc']}", ""]
    for label, c in (("start", r["argon2_start"]), ("end", r["argon2_end"])):
        out.append(
            f"argon2id ceiling ({label}; `{c['hash_params']}`, load average {c['loadavg']}): one "
            f"verification {fmt(c['single_wall_ms_median'], 1)} ms wall, "
            f"{fmt(c['single_cpu_ms_median'], 1)} ms CPU (median of {c['single_verifications']}; "
            f"min {fmt(c['single_cpu_ms_min'], 1)}), {fmt(c['single_runqueue_wait_ms_median'], 1)} ms "
            f"waiting for a core; 2 threads at once: "
            f"**{fmt(c['concurrent_per_s'], 1)} verifications/s**, "
            f"{fmt(c['concurrent_cpu_ms_per_verify'], 1)} ms CPU each; VmHWM "
            f"{fmt(c['vmhwm_kib_start'] / 1024, 1)} → {fmt(c['vmhwm_kib_single'] / 1024, 1)} (1 thread) → "
            f"{fmt(c['vmhwm_kib_concurrent'] / 1024, 1)} MiB (2 threads)")
    t = r["tls_primitives"]
    if "full_handshake_pk_ms" in t:
        out.append(
            f"TLS public-key ceiling (`openssl speed`, per CPU second, load average {t['loadavg']}): ECDSA "
            f"P-256 {fmt(t['ecdsa_p256_sign_per_s'])} signs/s, X25519 {fmt(t['x25519_per_s'])} ops/s → "
            f"server's public-key work per full TLS 1.3 handshake ≈ {t['full_handshake_pk_ms']} ms "
            f"(sign + 2 X25519), per resumed one ≈ {t['resumed_handshake_pk_ms']} ms (no signature)")
    ceiling = max(r["argon2_start"]["concurrent_per_s"], r["argon2_end"]["concurrent_per_s"])
    cores = mi["nproc"]
    out.append("")
    out.append("| pattern | port | TLS | clients | ok | conn/s | % of argon2 ceiling | p50 ms | p99 ms "
               f"| TLS full / resumed | server CPU ms/conn | {cores} cores / server CPU, conn/s | client CPU ms/conn "
               "| other load (cores) | server waited for a core, s | VmHWM MiB | load avg |")
    out.append("|" + "---|" * 17)
    for c in r["runs"]:
        lg = c["loadgen"]
        pct = f"{100.0 * lg['msgs_per_s'] / ceiling:.0f}%" if c["auth"] else "-"
        tls = "resumed" if c["resume"] else "full"
        out.append(
            f"| {c['name']} | {c['port']} | {c['tls']}, {tls} | {c['clients']} | {lg['ok']} "
            f"| **{fmt(lg['msgs_per_s'], 1)}** | {pct} | {fmt(lg['p50_ms'], 1)} | {fmt(lg['p99_ms'], 1)} "
            f"| {lg['tls_full']} / {lg['tls_resumed']} | {fmt(c.get('server_cpu_ms_per_conn'), 2)} "
            f"| {fmt(1000.0 * cores / c['server_cpu_ms_per_conn'] if c.get('server_cpu_ms_per_conn') else None)} "
            f"| {fmt(c.get('client_cpu_ms_per_conn'), 2)} | {fmt(c['others_cores'], 2)} "
            f"| {fmt(c['server_runqueue_wait_s'], 1)} "
            f"| {fmt(c['vmhwm_kib'] / 1024, 1)} | {c['loadavg_before'].split()[0]} |")
    out.append("")
    by = {(c["name"], c["clients"]): c for c in r["runs"]}
    for clients in (1, 8):
        base, auth = by.get(("conn", clients)), by.get(("conn+auth", clients))
        if base and auth and base.get("server_cpu_ms_per_conn") and auth.get("server_cpu_ms_per_conn"):
            out.append(f"Server CPU per AUTH PLAIN at {clients} client(s): "
                       f"{fmt(auth['server_cpu_ms_per_conn'], 2)} − {fmt(base['server_cpu_ms_per_conn'], 2)}"
                       f" = **{fmt(auth['server_cpu_ms_per_conn'] - base['server_cpu_ms_per_conn'], 2)}"
                       f" ms** (conn+auth − conn)")
    mu = r.get("mx_under_auth")
    if mu:
        al, du, au = mu["mx_alone"], mu["mx_during_auth"], mu["auth_load"]
        out.append("")
        out.append(
            f"MX (plaintext, 4 KiB, 1 client; RCPT is checked on the blocking pool that also runs "
            f"argon2id): alone **{fmt(al['msgs_per_s'], 1)} msg/s**, p50 {fmt(al['p50_ms'], 1)} ms, "
            f"p99 {fmt(al['p99_ms'], 1)} ms; while 8 clients AUTH on submissions "
            f"({fmt(au['msgs_per_s'], 1)} AUTH/s, {au['errors']} errors): "
            f"**{fmt(du['msgs_per_s'], 1)} msg/s**, p50 {fmt(du['p50_ms'], 1)} ms, "
            f"p99 {fmt(du['p99_ms'], 1)} ms (load average {mu['loadavg_before'].split()[0]})")
    checks = [f"{c['name']} x{c['clients']}: {c['python_check']}" for c in r["runs"] if "python_check" in c]
    out.append("")
    out.append("Python ssl cross-check (first connection reused?, second reused?, version): "
               + "; ".join(checks))
    errors = sum(c["loadgen"]["errors"] for c in r["runs"])
    out.append(f"\nloadgen errors over all runs: {errors}; server exit codes: "
               f"{sorted(set(c['exit'] for c in r['runs']))}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="5 s per measurement instead of 10-20")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tools", required=True, help="directory with loadgen")
    ap.add_argument("--argon2", required=True, help="the argon2_ceiling binary")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the data directories")
    a = ap.parse_args()
    a.seconds = 5 if a.quick else 10
    a.seconds_auth = 5 if a.quick else 20
    a.argon2_seconds = 2 if a.quick else 5
    t_start = time.monotonic()
    root = bench.prepare_root(a.data_root)
    os.makedirs(a.out, exist_ok=True)
    r = {"quick": a.quick, "seconds": [a.seconds, a.seconds_auth], "machine": bench.machine_info(root), "runs": []}
    log(f"machine: {r['machine']}")
    r["argon2_start"] = argon2(a, "start")
    r["tls_primitives"] = tls_primitives()
    template = make_template(a.binary, root)
    plan = [(p, c) for p in PLAN for c in (1, 8)] + [(STARTTLS, 8)]
    for (name, port, tls, resume, auth, message), clients in plan:
        m = {"name": name, "port": port, "tls": tls, "resume": resume, "auth": auth,
             "message": message}
        log(f"{name} x{clients}")
        c = measure(a, root, template, m, clients, 20000)
        lg = c["loadgen"]
        log(f"  {lg['msgs_per_s']}/s ok {lg['ok']} errors {lg['errors']} p50 {lg['p50_ms']} "
            f"tls full/resumed {lg['tls_full']}/{lg['tls_resumed']} server {c.get('server_cpu_ms_per_conn')} "
            f"ms/conn client {c.get('client_cpu_ms_per_conn')} ms/conn others {c['others_cores']} "
            f"hwm {c['vmhwm_kib']} load {c['loadavg_before']}")
        r["runs"].append(c)
    log("MX latency alone and under an 8-client AUTH load")
    r["mx_under_auth"] = mx_under_auth(a, root, template)
    r["argon2_end"] = argon2(a, "end")
    r["runtime_s"] = round(time.monotonic() - t_start, 1)
    with open(os.path.join(a.out, "auth.json"), "w") as f:
        json.dump(r, f, indent=1)
    md = render(r) + f"\nRuntime of the measurement: {r['runtime_s']} s\n"
    with open(os.path.join(a.out, "auth.md"), "w") as f:
        f.write(md)
    print(md)
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if all(c["loadgen"]["errors"] == 0 for c in r["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
