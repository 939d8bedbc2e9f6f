#!/usr/bin/env python3
"""fsync concurrency on the validation harness's filesystem (issue #13, task disk13).

N threads (1, 2, 4, 8), each appending small records to its own file and fdatasync-ing after
each one, as N replica workers (or N servers' binlogs) committing durably at once. Measures the
latency of one fdatasync and the throughput of all of them together: if the filesystem's journal
commit (ext4 jbd2) covers the sync requests of every thread that arrived before it started, the
throughput grows with N while a single thread's latency barely moves.

Two kinds of write per thread: "append" (1 KB appended to a growing file: every fdatasync needs
a journal commit for the size change, as a binlog's does) and "overwrite" (4 KB rewritten in
place in a preallocated file: as InnoDB's redo log, no metadata to commit).

Bounded: SECONDS per run (default 2 s), REPS repetitions (default 5) of every (kind, N) in
interleaved order; files under HSV_ROOT (default /tmp/hsv, where the validation runs' MariaDB
datadirs live) in a directory of its own, removed at the end whatever happens.
Writes validation/results/fsync-concurrency.json.
"""
import json, os, shutil, statistics, sys, threading, time

ROOT = os.environ.get("HSV_ROOT", "/tmp/hsv")
SECONDS = float(os.environ.get("SECONDS_PER_RUN", "2"))
REPS = int(os.environ.get("REPS", "5"))
THREADS = [1, 2, 4, 8]
KINDS = ["append", "overwrite"]
now = time.monotonic


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))] if xs else None


def run(kind, n, d):
    lat = [[] for _ in range(n)]
    start = threading.Barrier(n + 1)
    stop = [False]

    def worker(i):
        path = f"{d}/{kind}-{n}-{i}"
        if kind == "append":
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
            block = b"x" * 1024
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.pwrite(fd, b"\0" * (1 << 20), 0)
            os.fsync(fd)
            block = b"y" * 4096
        try:
            start.wait()
            k = 0
            while not stop[0]:
                t = now()
                if kind == "append":
                    os.write(fd, block)
                else:
                    os.pwrite(fd, block, (k % 256) * 4096)
                os.fdatasync(fd)
                lat[i].append((now() - t) * 1000)
                k += 1
        finally:
            os.close(fd)
            os.unlink(path)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    start.wait()
    t0 = now()
    time.sleep(SECONDS)
    stop[0] = True
    for t in ts:
        t.join()
    elapsed = now() - t0
    xs = [x for l in lat for x in l]
    return {"threads": n, "kind": kind, "syncs": len(xs),
            "syncs_per_s": round(len(xs) / elapsed, 1),
            "per_thread_per_s": round(len(xs) / elapsed / n, 1),
            "p50_ms": round(pct(xs, 50), 3), "p90_ms": round(pct(xs, 90), 3),
            "p99_ms": round(pct(xs, 99), 3), "mean_ms": round(statistics.mean(xs), 3)}


def main():
    d = f"{ROOT}/fsync-concurrency"
    os.makedirs(d, exist_ok=True)
    runs = []
    try:
        for rep in range(REPS):
            for kind in KINDS:
                order = THREADS if rep % 2 == 0 else list(reversed(THREADS))
                for n in order:
                    r = run(kind, n, d)
                    r["rep"] = rep + 1
                    r["load1"] = round(os.getloadavg()[0], 2)
                    print(json.dumps(r), file=sys.stderr, flush=True)
                    runs.append(r)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    summary = {}
    for kind in KINDS:
        for n in THREADS:
            rs = [r for r in runs if r["kind"] == kind and r["threads"] == n]
            def m(key):
                v = [r[key] for r in rs]
                return {"median": round(statistics.median(v), 3), "min": min(v), "max": max(v)}
            summary[f"{kind}-{n}"] = {"syncs_per_s": m("syncs_per_s"), "p50_ms": m("p50_ms"),
                                       "mean_ms": m("mean_ms"), "p99_ms": m("p99_ms")}
    mount = [l for l in open("/proc/mounts") if l.split()[1] == "/"]
    out = {
        "experiment": "fsync-concurrency",
        "story": "N threads (1, 2, 4, 8) each appending 1 KB records to its own file (append) or "
                 "rewriting 4 KB in place (overwrite) and fdatasync-ing after each, on the "
                 "filesystem of the validation runs' MariaDB datadirs (HSV_ROOT).",
        "method": f"{SECONDS} s per run, {REPS} repetitions of every (kind, N), interleaved; "
                  "syncs_per_s = all threads' fdatasyncs / elapsed; latencies of single fdatasync "
                  "calls (write + fdatasync) over all threads.",
        "measured_on": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "filesystem": mount[0].strip() if mount else "",
        "kernel": os.uname().release,
        "cpus": os.cpu_count(),
        "summary": summary,
        "runs": runs,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results", "fsync-concurrency.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
