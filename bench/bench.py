#!/usr/bin/env python3
"""mailwarden benchmark driver (run it through bench/run.sh, which builds everything first).

Measures the Release server on loopback: durable acceptance throughput (smtp-source), latency
percentiles (bench/loadgen), spool syncs per message, Maildir delivery rate and lag, peak memory,
the smtp-sink ceiling for the same load, the disk's fsync ceiling, fsync/fdatasync counts under
strace, and server memory per idle connection. Writes bench/out/results.json and
bench/out/results.md. Every wait is bounded; only 127.0.0.0/8 is ever contacted.
"""
import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
HOST = "127.0.0.1"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def prepare_root(base):
    """A fresh run directory under `base`, on the same file system.

    On ext4 without a journal (this VM), creating a file right after many deletions in the same
    block group is slow: find_inode_bit() skips every inode deleted in the last 60-360 s
    (recently_deleted()), an O(deleted) scan per create. So: nothing is deleted while measuring;
    `base` gets the ext4 'T' (top directory) flag so that each run directory is placed in a
    different block group by the Orlov allocator, away from the previous run's deleted inodes;
    and old run directories are removed first, this run's only at the end.
    """
    os.makedirs(base, exist_ok=True)
    subprocess.run(["chattr", "+T", base], capture_output=True)
    for old in os.listdir(base):  # `base` belongs to the benchmark alone
        path = os.path.join(base, old)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    root = os.path.join(base, time.strftime("run-%Y%m%d-%H%M%S"))
    os.makedirs(root)
    return root


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1) as s:
                s.recv(512)  # the banner
                s.sendall(b"QUIT\r\n")
                return True
        except OSError:
            time.sleep(0.05)
    return False


def proc_status(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])  # kB
    except OSError:
        pass
    return None


def run(cmd, timeout, **kw):
    return subprocess.run(cmd, timeout=timeout, capture_output=True, text=True, **kw)


def machine_info(data_root):
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
        info["cpu"] = m.group(1).strip() if m else "?"
    with open("/proc/meminfo") as f:
        info["mem_gib"] = round(int(f.readline().split()[1]) / 1048576, 1)
    src = run(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "--target", data_root], 10).stdout
    info["disk"] = src.strip()
    dev = os.path.basename(src.split()[0]) if src.split() else ""
    rot = f"/sys/block/{dev}/queue/rotational"
    if os.path.exists(rot):
        info["disk"] += f" (rotational={open(rot).read().strip()}"
        sched = f"/sys/block/{dev}/queue/scheduler"
        if os.path.exists(sched):
            info["disk"] += f", scheduler {open(sched).read().strip()}"
        info["disk"] += ")"
    info["df"] = run(["df", "-h", data_root], 10).stdout.strip().splitlines()[-1]
    info["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        info["commit"] = run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], 10).stdout.strip()
    except Exception:
        info["commit"] = "?"
    info["gcc"] = run(["g++", "--version"], 10).stdout.splitlines()[0]
    return info


class Server:
    """One mailwarden instance on a fresh copy of the template data directory."""

    def __init__(self, binary, root, name, template, extra_server=None, wrapper=None):
        self.binary = binary
        self.dir = os.path.join(root, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        shutil.copytree(template, self.data)
        self.logfile = os.path.join(self.dir, "server.log")
        self.port = free_port()
        server = {"max_connections": 10000, "max_connections_per_ip": 10000}
        server.update(extra_server or {})
        self.config = os.path.join(self.dir, "mw.toml")
        write_config(self.config, self.data, self.logfile, self.port, server)
        cmd = [binary, "serve", "--config", self.config]
        self.wrapper_proc = None
        if wrapper:
            self.wrapper_proc = subprocess.Popen(wrapper + cmd, stdout=subprocess.DEVNULL,
                                                 stderr=open(os.path.join(self.dir, "wrapper.err"), "w"))
            self.pid = None
            deadline = time.monotonic() + 10
            while self.pid is None and time.monotonic() < deadline:
                kids = run(["pgrep", "-P", str(self.wrapper_proc.pid)], 5).stdout.split()
                self.pid = int(kids[0]) if kids else None
                time.sleep(0.05)
            self.proc = None
        else:
            self.proc = subprocess.Popen(cmd, stdout=open(os.path.join(self.dir, "stdout"), "w"),
                                         stderr=subprocess.STDOUT)
            self.pid = self.proc.pid
        if not wait_port(self.port, 20):
            self.stop()
            raise RuntimeError(f"server did not listen on {self.port}; see {self.dir}")

    def maildir_count(self):
        try:
            return len(os.listdir(os.path.join(self.data, "mail", "bench.test", "sink", "new")))
        except OSError:
            return 0

    def wait_delivered(self, total, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.maildir_count() >= total:
                return True
            time.sleep(0.1)
        return self.maildir_count() >= total

    def stop(self):
        """SIGTERM, wait (bounded), return the parsed `event=stopped` line."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in (self.proc, self.wrapper_proc):
            if p is None:
                continue
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        stopped = {}
        with open(self.logfile, errors="replace") as f:
            for line in f:
                if "event=stopped" in line:
                    stopped = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}
        return stopped


def write_config(path, data, logfile, port, server):
    lines = [f'data_dir = "{data}"', 'hostname = "mx.bench.test"', "", "[log]",
             'level = "info"', f'file = "{logfile}"', "", "[server]"]
    lines += [f"{k} = {v}" for k, v in server.items()]
    lines += ["", "[listeners.mx]", f'addresses = ["{HOST}:{port}"]',
              "[listeners.submission]", "enabled = false",
              "[listeners.submissions]", "enabled = false", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def make_template(binary, root):
    tdir = os.path.join(root, "template")
    shutil.rmtree(tdir, ignore_errors=True)
    os.makedirs(tdir)
    data = os.path.join(tdir, "data")
    cfg = os.path.join(tdir, "mw.toml")
    write_config(cfg, data, os.path.join(tdir, "cli.log"), free_port(), {})
    for cmd, inp in ((["domain", "add", "bench.test"], None),
                     (["user", "add", "sink@bench.test", "--password-stdin"], "bench-pw\n")):
        r = run([binary] + cmd + ["--config", cfg], 60, input=inp)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: {r.stdout}{r.stderr}")
    return data


def parse_log_times(logfile):
    """(queued timestamps, delivered timestamps) as epoch seconds, in file order."""
    queued, delivered = [], []
    pat = re.compile(r"^(\S+) \w+ .*event=(queued|delivered) ")
    with open(logfile, errors="replace") as f:
        for line in f:
            m = pat.match(line)
            if m:
                ts = dt.datetime.fromisoformat(m.group(1)).timestamp()
                (queued if m.group(2) == "queued" else delivered).append(ts)
    return queued, delivered


def smtp_source(port, clients, messages, size, timeout):
    cmd = [SMTP_SOURCE, "-s", str(clients), "-m", str(messages), "-l", str(size),
           "-f", "bench@client.test", "-t", "sink@bench.test", "-M", "client.test",
           f"{HOST}:{port}"]
    t0 = time.time()
    m0 = time.monotonic()
    r = run(cmd, timeout)
    secs = time.monotonic() - m0
    if r.returncode != 0:
        log(f"smtp-source exit {r.returncode}: {r.stderr.strip()[:300]}")
    return {"cmd": " ".join(cmd), "seconds": round(secs, 3), "msgs_per_s": round(messages / secs, 1),
            "rc": r.returncode, "start": t0, "end": t0 + secs}


def loadgen(tools, port, clients, messages, size, timeout):
    cmd = [os.path.join(tools, "loadgen"), "send", HOST, str(port), "--clients", str(clients),
           "--messages", str(messages), "--size", str(size), "--max-seconds", str(timeout - 5)]
    t0 = time.time()
    r = run(cmd, timeout)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res.update(start=t0, end=time.time(), cmd=" ".join(cmd[1:]))
    return res


def delivery_stats(queued, delivered, phase, total_before):
    """Delivery figures for one load phase (smtp-source or loadgen) from the server log."""
    n = phase["accepted"]
    mine = delivered[total_before:total_before + n]
    end = phase["end"]
    lag_at_end = n - sum(1 for t in mine if t <= end)
    if len(mine) < n:
        return {"delivered": len(mine), "lag_at_end": lag_at_end, "drain_s": None,
                "delivered_per_s": None}
    last = mine[-1]
    return {"delivered": len(mine), "lag_at_end": lag_at_end,
            "drain_s": round(max(0.0, last - end), 2),
            "delivered_per_s": round(n / max(1e-3, last - phase["start"]), 1)}


def sync_disk():
    """Write back what earlier steps left dirty, so it does not compete with the next step."""
    try:
        subprocess.run(["sync"], timeout=120)
    except subprocess.TimeoutExpired:
        log("warning: sync took over 120 s")


def fsync_ceiling(a, root, name):
    """Median of three short runs (the disk is shared with other work on this VM)."""
    log(f"fsync ceiling ({name})")
    runs = []
    for i in range(3):
        sync_disk()
        fc = run([os.path.join(a.tools, "fsync_ceiling"), os.path.join(root, f"{name}-{i}"),
                  "--seconds", "1" if a.quick else "2"], 60)
        runs.append(json.loads(fc.stdout))
    res = {}
    for key in ("new_files_per_s", "append_fdatasync_per_s"):
        vals = sorted(x[key] for x in runs)
        res[key] = vals[1]
        res[key + "_range"] = [vals[0], vals[-1]]
    res["loadavg"] = loadavg()
    log(f"  {res}")
    return res


def bench_config(a, binary, tools, root, template, size, clients, messages, extra_server=None):
    name = f"s{size}-c{clients}" + "".join(f"-{k}{v}" for k, v in (extra_server or {}).items())
    res = {"size": size, "clients": clients, "messages": messages, "loadavg_before": loadavg(),
           "server": extra_server or {}}
    timeout = 150 if not a.quick else 60

    sync_disk()
    # The harness ceiling: smtp-sink (accepts and discards, no disk) under the same load.
    sink_port = free_port()
    sink = subprocess.Popen([SMTP_SINK, "-u", "nobody", f"{HOST}:{sink_port}", "1024"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(sink_port, 10)
        res["sink"] = smtp_source(sink_port, clients, messages, size, timeout)
        res["sink_loadgen"] = loadgen(tools, sink_port, clients, messages, size, timeout)
    finally:
        sink.terminate()
        sink.wait(timeout=10)

    srv = Server(binary, root, name, template, extra_server=extra_server)
    try:
        src = smtp_source(srv.port, clients, messages, size, timeout)
        src["accepted"] = messages if src["rc"] == 0 else None
        srv.wait_delivered(messages, 30)
        lg = loadgen(tools, srv.port, clients, messages, size, timeout)
        lg["accepted"] = lg["ok"]
        srv.wait_delivered(messages + lg["ok"], 30)
        time.sleep(0.3)  # let the Delivered markers reach the spool
        res["vmhwm_kib"] = proc_status(srv.pid, "VmHWM")
        res["vmrss_kib"] = proc_status(srv.pid, "VmRSS")
    finally:
        stopped = srv.stop()
    queued, delivered = parse_log_times(srv.logfile)
    src["accepted"] = src["accepted"] or len([t for t in queued if t <= src["end"]])
    res["source"] = src
    res["loadgen"] = lg
    res["source_delivery"] = delivery_stats(queued, delivered, src, 0)
    res["loadgen_delivery"] = delivery_stats(queued, delivered, lg, src["accepted"])
    res["stopped"] = stopped
    if stopped.get("committed"):
        res["syncs_per_msg"] = round(stopped["syncs"] / stopped["committed"], 3)
    res["maildir_files"] = srv.maildir_count()
    res["loadavg_after"] = loadavg()
    return res


def bench_strace(a, binary, root, template, size, clients, messages):
    """Counts (only: strace slows everything) of fdatasync/fsync per accepted message."""
    sync_disk()
    srv = Server(binary, root, f"strace-s{size}-c{clients}", template,
                 wrapper=["strace", "-f", "-c", "-o", os.path.join(root, f"strace-s{size}-c{clients}.txt"),
                          "-e", "trace=fdatasync,fsync"])
    try:
        src = smtp_source(srv.port, clients, messages, size, 120)
        srv.wait_delivered(messages, 60)
        time.sleep(0.5)
    finally:
        stopped = srv.stop()
    counts = {}
    with open(os.path.join(root, f"strace-s{size}-c{clients}.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[-1] in ("fsync", "fdatasync"):
                counts[parts[-1]] = int(parts[3])
    committed = stopped.get("committed") or messages
    return {"size": size, "clients": clients, "messages": messages, "rc": src["rc"],
            "committed": committed, "delivered": stopped.get("delivered"),
            "spool_syncs": stopped.get("syncs"),
            "fdatasync": counts.get("fdatasync", 0), "fsync": counts.get("fsync", 0),
            "fdatasync_per_msg": round(counts.get("fdatasync", 0) / committed, 3),
            "fsync_per_msg": round(counts.get("fsync", 0) / committed, 3)}


def bench_idle(a, binary, tools, root, template, connections):
    srv = Server(binary, root, "idle", template,
                 extra_server={"max_connections": connections + 100,
                               "max_connections_per_ip": connections + 100})
    res = {"connections": connections}
    try:
        time.sleep(0.5)
        res["rss_before_kib"] = proc_status(srv.pid, "VmRSS")
        lg = subprocess.Popen([os.path.join(tools, "loadgen"), "idle", HOST, str(srv.port),
                               "--connections", str(connections), "--hold-seconds", "90"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = lg.stdout.readline()  # "ready N failed F" (loadgen gives up after 120 s)
        m = re.match(r"ready (\d+) failed (\d+)", line)
        res["opened"], res["failed"] = (int(m.group(1)), int(m.group(2))) if m else (0, connections)
        time.sleep(1.0)
        res["rss_open_kib"] = proc_status(srv.pid, "VmRSS")
        res["threads"] = proc_status(srv.pid, "Threads")
        res["server_fds"] = len(os.listdir(f"/proc/{srv.pid}/fd"))
        lg.stdin.write("close\n")
        lg.stdin.flush()
        lg.wait(timeout=60)
        time.sleep(1.0)
        res["rss_after_close_kib"] = proc_status(srv.pid, "VmRSS")
        res["vmhwm_kib"] = proc_status(srv.pid, "VmHWM")
    finally:
        srv.stop()
    if res.get("opened"):
        res["kib_per_conn"] = round((res["rss_open_kib"] - res["rss_before_kib"]) / res["opened"], 2)
    return res


def fmt(v, nd=0):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}"


def label(c):
    return "".join(f", {k}={v}" for k, v in c.get("server", {}).items())


def render(r):
    m = r["machine"]
    out = [f"Date: {m['date']}; commit {m['commit']}; {'--quick' if r['quick'] else 'full'} run",
           f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB, kernel {m['kernel']}, "
           f"{m['gcc']}",
           f"Data disk: {m['disk']}; df: `{m['df']}`", ""]
    fc = r["fsync_ceiling"]
    fe = r["fsync_ceiling_end"]
    rng = lambda x, k: f"{fmt(x[k + '_range'][0])}-{fmt(x[k + '_range'][1])}"
    out.append(f"fsync ceiling (1 thread, new file + write 4 KiB + fsync + rename; median of 3): "
               f"**{fmt(fc['new_files_per_s'])} files/s** at the start (range {rng(fc, 'new_files_per_s')}), "
               f"{fmt(fe['new_files_per_s'])} at the end (range {rng(fe, 'new_files_per_s')}); "
               f"append 4 KiB + fdatasync to one file: {fmt(fc['append_fdatasync_per_s'])}/s and "
               f"{fmt(fe['append_fdatasync_per_s'])}/s (load average {fc['loadavg']} / {fe['loadavg']})")
    out.append("")
    out.append("| size | clients | msgs | smtp-sink msg/s | mailwarden msg/s (smtp-source) | % of sink "
               "| loadgen msg/s | p50 ms | p99 ms | spool syncs/msg | delivered/s | lag at end "
               "| drain s | pending at stop | VmHWM MiB | load avg |")
    out.append("|" + "---|" * 16)
    for c in r["configs"]:
        sd = c["source_delivery"]
        st = c["stopped"]
        sink = c["sink"]["msgs_per_s"]
        mw = c["source"]["msgs_per_s"]
        out.append(
            f"| {c['size'] // 1024} KiB{label(c)} | {c['clients']} | {c['messages']} | {fmt(sink)} | "
            f"**{fmt(mw)}** | {fmt(100.0 * mw / sink)}% | {fmt(c['loadgen']['msgs_per_s'])} | "
            f"{fmt(c['loadgen']['p50_ms'], 2)} | {fmt(c['loadgen']['p99_ms'], 2)} | "
            f"{fmt(c.get('syncs_per_msg'), 3)} | {fmt(sd['delivered_per_s'])} | {fmt(sd['lag_at_end'])} | "
            f"{fmt(sd['drain_s'], 1)} | {fmt(st.get('pending'))} | {fmt(c['vmhwm_kib'] / 1024, 1)} | "
            f"{c['loadavg_before'].split()[0]} |")
    out.append("")
    out.append("Load generator check (same load against smtp-sink): " + "; ".join(
        f"{c['size'] // 1024} KiB x{c['clients']}: smtp-source {fmt(c['sink']['msgs_per_s'])}, "
        f"loadgen {fmt(c['sink_loadgen']['msgs_per_s'])}" for c in r["configs"]))
    out.append("")
    out.append("Delivery during the loadgen phase: " + "; ".join(
        f"{c['size'] // 1024} KiB x{c['clients']}{label(c)}: {fmt(c['loadgen_delivery']['delivered_per_s'])}/s, "
        f"lag {fmt(c['loadgen_delivery']['lag_at_end'])}, drain {fmt(c['loadgen_delivery']['drain_s'], 1)} s"
        for c in r["configs"]))
    out.append("")
    out.append("| strace run | msgs | committed | delivered | spool syncs (stopped line) | fdatasync | "
               "fsync | fdatasync/msg | fsync/msg |")
    out.append("|" + "---|" * 9)
    for s in r["strace"]:
        out.append(f"| {s['size'] // 1024} KiB x{s['clients']} | {s['messages']} | {s['committed']} | "
                   f"{fmt(s['delivered'])} | {fmt(s['spool_syncs'])} | {s['fdatasync']} | {s['fsync']} | "
                   f"{s['fdatasync_per_msg']} | {s['fsync_per_msg']} |")
    out.append("")
    i = r["idle"]
    out.append(f"Idle connections: {fmt(i.get('opened'))} opened ({i.get('failed')} failed) after EHLO; "
               f"server RSS {fmt(i.get('rss_before_kib'))} KiB before, {fmt(i.get('rss_open_kib'))} KiB "
               f"with them open, {fmt(i.get('rss_after_close_kib'))} KiB after close; "
               f"**{fmt(i.get('kib_per_conn'), 2)} KiB per idle connection** "
               f"(server fds {i.get('server_fds')}, threads {i.get('threads')})")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the data directories")
    ap.add_argument("--idle-connections", type=int, default=5000)
    a = ap.parse_args()
    t_start = time.monotonic()

    root = prepare_root(a.data_root)
    os.makedirs(a.out, exist_ok=True)
    r = {"quick": a.quick, "machine": machine_info(root), "configs": [], "strace": []}
    log(f"machine: {r['machine']}")

    r["fsync_ceiling"] = fsync_ceiling(a, root, "fsync-start")

    template = make_template(a.binary, root)
    scale = 5 if a.quick else 1
    plan = [(4096, 1, 4000, None), (4096, 8, 10000, None), (4096, 64, 15000, None),
            (102400, 1, 2000, None), (102400, 8, 4000, None), (102400, 64, 4000, None),
            # Probe: does Maildir delivery keep pace with more delivery threads (default 2)?
            (4096, 64, 15000, {"delivery_threads": 8})]
    for size, clients, messages, extra in plan:
        messages //= scale
        log(f"size {size} clients {clients} messages {messages} {extra or ''}")
        c = bench_config(a, a.binary, a.tools, root, template, size, clients, messages, extra)
        log(f"  sink {c['sink']['msgs_per_s']} (loadgen {c['sink_loadgen']['msgs_per_s']}) "
            f"mailwarden {c['source']['msgs_per_s']} loadgen {c['loadgen']['msgs_per_s']} "
            f"p50 {c['loadgen']['p50_ms']} p99 {c['loadgen']['p99_ms']} syncs/msg {c.get('syncs_per_msg')} "
            f"delivery {c['source_delivery']} stopped {c['stopped']} hwm {c['vmhwm_kib']}")
        r["configs"].append(c)

    for size, clients, messages in [(4096, 1, 2000), (4096, 64, 6000)]:
        messages //= scale
        log(f"strace counts: size {size} clients {clients} messages {messages}")
        s = bench_strace(a, a.binary, root, template, size, clients, messages)
        log(f"  {s}")
        r["strace"].append(s)

    n = a.idle_connections
    log(f"idle connections: {n}")
    r["idle"] = bench_idle(a, a.binary, a.tools, root, template, n)
    log(f"  {r['idle']}")

    r["fsync_ceiling_end"] = fsync_ceiling(a, root, "fsync-end")
    r["runtime_s"] = round(time.monotonic() - t_start, 1)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(r, f, indent=1)
    md = render(r) + f"\nRuntime of the measurement: {r['runtime_s']} s\n"
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(md)
    print(md)
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
