#!/usr/bin/env python3
"""Turns tools/bench's raw results into summary.json, the benchmarks page and a plot.

Every figure is the median of the run's repetitions; ratios are taken within the run, on the
machine that ran it. A --quick run reports its figures but judges no target and draws no
conclusion: its repetitions are too few and too short for that.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        # Tools that print progress before their JSON: take the last line that parses.
        for line in reversed(text.splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def gbench_medians(path):
    """{run_name: median entry} and the context, from a Google Benchmark JSON file."""
    data = load_json(path)
    if not data:
        return {}, {}
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name") == "median":
            out[b["run_name"]] = b
    return out, data.get("context", {})


def real_ns(entry):
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[entry.get("time_unit", "ns")]
    return entry["real_time"] * scale


def median(values):
    v = sorted(x for x in values if x is not None)
    n = len(v)
    return None if n == 0 else (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)


def callgrind_ir(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        m = re.search(r"Collected\s*:\s*(\d+)", f.read())
    return int(m.group(1)) if m else None


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def rnd(x, digits=3):
    return None if x is None else round(x, digits)


def load_peers(directory):
    """peers (1-thread figures under cycle_ns / mariadb_us, 2-thread ones under *_2_threads),
    lifeguard's tail and HikariCP's, from the per-language outputs in results/peers/."""
    if not os.path.isdir(directory):
        return None, None, None
    peers = {"cycle_ns": {}, "cycle_ns_2_threads": {}, "mariadb_us": {}, "mariadb_us_2_threads": {}, "runtimes": {}}
    tail = tail_hikaricp = None
    for name in sorted(os.listdir(directory)):
        data = load_json(os.path.join(directory, name))
        if data is None:
            continue
        for section in ("cycle_ns", "mariadb_us"):
            for impl, by_threads in (data.get(section) or {}).items():
                peers[section][impl] = by_threads.get("1")
                peers[section + "_2_threads"][impl] = by_threads.get("2")
        if "tail" in data:
            if name.startswith("tail.java"):
                tail_hikaricp = data["tail"]
            else:
                tail = data["tail"]
        for key in ("jvm", "python"):
            if key in data:
                peers["runtimes"][key] = data[key]
        if "warmup_ms" in data:
            peers["runtimes"]["jvm_warmup_ms"] = data["warmup_ms"]
    return peers, tail, tail_hikaricp


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Targets:
    """Targets are judged on this run's figures, for this machine; never in --quick runs."""

    def __init__(self, judged):
        self.judged = judged
        self.rows = []  # (name, value text, goal text, met: True/False/None)

    def add(self, name, value, op, bound, fmt="%.3f"):
        if value is None:
            met = None
        elif op == "<=":
            met = value <= bound
        elif op == ">=":
            met = value >= bound
        else:
            met = abs(value - 1) <= bound
        self.rows.append((name, None if value is None else fmt % value,
                          ("%s %s" % (op, bound)) if op != "~1" else "within %g of 1" % bound,
                          met if self.judged else None))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", required=True)
    p.add_argument("--summary", required=True)
    p.add_argument("--doc", required=True)
    p.add_argument("--plot", required=True)
    p.add_argument("--history", default="")
    p.add_argument("--mode", default="full")
    p.add_argument("--cycles", type=int, required=True)
    p.add_argument("--compiler", default="")
    p.add_argument("--flags", default="")
    p.add_argument("--benchmark-version", default="")
    a = p.parse_args()
    r = a.results
    quick = a.mode == "quick"
    notes = {}

    # --- the pool's own cost, fake driver -----------------------------------------------
    cycle, cycle_ctx = gbench_medians(os.path.join(r, "cycle.json"))
    cycle_ns = {}
    for key in ("baseline", "lifeguard_none", "lifeguard_all", "lifeguard_maintained", "lifeguard_metrics", "soci",
                "two_pools_alternating"):
        e = cycle.get("cycle/" + key)
        cycle_ns[key] = rnd(real_ns(e)) if e else None
        if e is None:
            notes["cycle_ns." + key] = ("SOCI not found (Debian: libsoci-dev)" if key == "soci"
                                        else "benchmark did not run")
    slow_lane_ns = {"second_lease": {}, "stats": {}}
    for kind in ("second_lease", "stats"):
        for size in ("4", "1000", "10000"):
            e = cycle.get("slow_lane/%s/%s" % (kind, size))
            slow_lane_ns[kind][size] = rnd(real_ns(e), 1) if e else None

    e = cycle.get("floor/cas_release_store")
    floor_ns = rnd(real_ns(e), 2) if e else None
    if e is None:
        notes["floor_ns"] = "benchmark did not run"
    clock_read_ns = {}
    for key in ("coarse_steady_clock", "steady_clock"):
        e = cycle.get("clock/" + key)
        clock_read_ns[key] = rnd(real_ns(e), 1) if e else None

    ipc = {}
    for impl, key in (("baseline", "baseline"), ("none", "lifeguard_none"), ("all", "lifeguard_all"),
                      ("maintained", "lifeguard_maintained")):
        ir = callgrind_ir(os.path.join(r, "callgrind.%s.log" % impl))
        ipc[key] = rnd(ir / a.cycles, 2) if ir else None
        if ir is None:
            notes["instructions_per_cycle." + key] = "callgrind did not run (Debian: valgrind)"

    scaling, _ = gbench_medians(os.path.join(r, "scaling.json"))
    one = scaling.get("scaling/lifeguard_none/real_time/threads:1")
    two = scaling.get("scaling/lifeguard_none/real_time/threads:2")
    scaling_2 = rnd(ratio(two["items_per_second"], one["items_per_second"])) if one and two else None
    fence_us = {}
    for arg, key in (("0", "alone"), ("1", "busy_sibling")):
        e = scaling.get("fence/membarrier/busy_sibling:%s/real_time" % arg)
        fence_us[key] = rnd(real_ns(e) / 1000, 2) if e else None

    handoff_ns = fairness = None
    h = load_json(os.path.join(r, "handoff.json"))
    if h:
        handoff_ns = rnd(median(h["handoff_ns"]), 1)
        fairness = rnd(median(h["min_share"]))

    contention = None
    c = load_json(os.path.join(r, "contention.json"))
    if c:
        contention = {"threads": c["threads"], "connections": c["connections"], "cpus": c["cpus"], "runs": []}
        for run in c["runs"]:
            contention["runs"].append({
                "pool": run["pool"], "hold": run["hold"], "hold_us": run["hold_us"],
                "acquisitions_per_s": rnd(median(run["acquisitions_per_s"]), 0),
                "efficiency": rnd(median(run["efficiency"])),
                "cpu_us_per_acquisition": rnd(median(run["cpu_us_per_acquisition"]), 1)})

    # --- maintenance ------------------------------------------------------------------------
    maintenance = None
    mt = load_json(os.path.join(r, "maintenance.json"))
    if mt:
        rw, rwo = mt["recycle_with_maintenance"], mt["recycle_without_maintenance"]
        maintenance = {
            "spike_p99_ms": rnd(mt["spike_with_maintenance"]["p99_us"] / 1000, 2),
            "spike_p99_ms_without": rnd(mt["spike_without_maintenance"]["p99_us"] / 1000, 2),
            "recycle_max_over_p50": rnd(ratio(rw["max_us"], rw["p50_us"]), 2),
            "recycle_max_over_p50_without": rnd(ratio(rwo["max_us"], rwo["p50_us"]), 2),
            "breaker_acquire_ms": rnd(mt["breaker_open_acquire"]["p99_us"] / 1000, 4),
            "raw_us": mt,
        }
    else:
        notes["maintenance"] = "maintenance benchmark did not run"

    # --- real MariaDB ---------------------------------------------------------------------------
    mdb, mdb_ctx = gbench_medians(os.path.join(r, "mariadb.json"))
    keys = ("select1_held", "pool_none", "pool_ping_if_idle", "pool_ping_on_checkout",
            "pool_reset_on_return", "connect_per_request", "soci_pool")
    mariadb_us, mariadb_us_unix = {}, {}
    for key in keys:
        for transport, dest in (("0", mariadb_us), ("1", mariadb_us_unix)):
            e = mdb.get("mariadb/%s/%s/real_time" % (key, transport))
            dest[key] = rnd(real_ns(e) / 1e3, 2) if e else None
        if mariadb_us[key] is None:
            notes["mariadb_us." + key] = ("SOCI's MySQL backend not found (Debian: libsoci-dev)"
                                          if key == "soci_pool" else "MariaDB benchmark did not run")
    paired = {}
    for key in ("none", "ping_if_idle"):
        for transport, name in (("0", "tcp"), ("1", "unix_socket")):
            e = mdb.get("mariadb/paired_%s/%s/real_time" % (key, transport))
            paired["pool_%s_%s" % (key, name)] = rnd(e["ratio"], 4) if e and "ratio" in e else None

    wire = load_json(os.path.join(r, "wire.json"))
    if wire is None:
        notes["wire"] = "wire benchmark did not run"

    extra = {}  # sections other steps may add (peers, tail, cluster)
    peers, tail, tail_hikaricp = load_peers(os.path.join(r, "peers"))
    if peers:
        extra["peers"] = peers
    else:
        notes["peers"] = "the peers step did not run"
    if tail:
        extra["tail"] = tail
    if tail_hikaricp:
        extra["tail_hikaricp"] = tail_hikaricp
    cluster = load_json(os.path.join(r, "cluster.json"))
    if cluster is not None:
        extra["cluster"] = cluster

    machine = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "compiler": a.compiler,
        "flags": a.flags.strip(),
        "mariadb_server": mdb_ctx.get("server_version"),
        "mariadb_client": mdb_ctx.get("client_version"),
        "benchmark_library": a.benchmark_version or cycle_ctx.get("library_version", ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": a.mode,
    }

    # --- targets, judged on this machine's figures -------------------------------------------
    t = Targets(judged=not quick)
    t.add("lifeguard_none / baseline (time)", ratio(cycle_ns["lifeguard_none"], cycle_ns["baseline"]), "<=", 1.05)
    t.add("lifeguard_none / floor (time)", ratio(cycle_ns["lifeguard_none"], floor_ns), "<=", 1.2)
    t.add("lifeguard_none - baseline (instructions)",
          None if None in (ipc["lifeguard_none"], ipc["baseline"]) else ipc["lifeguard_none"] - ipc["baseline"],
          "<=", 0, "%+.1f")
    # Against the hand-written pool, as for no policies: both are register allocation away from
    # each other (g++ keeps a constant in a register in one loop and reloads it in another).
    t.add("lifeguard_maintained - baseline (instructions)",
          None if None in (ipc["lifeguard_maintained"], ipc["baseline"])
          else ipc["lifeguard_maintained"] - ipc["baseline"], "<=", 0, "%+.1f")
    t.add("soci / lifeguard_none", ratio(cycle_ns["soci"], cycle_ns["lifeguard_none"]), ">=", 1.0)
    t.add("scaling_2_threads", scaling_2, ">=", 1.8)
    t.add("handoff_fairness_min_share", fairness, ">=", 0.4)
    t.add("slow lane, max_size 10000 / max_size 4",
          ratio(slow_lane_ns["second_lease"]["10000"], slow_lane_ns["second_lease"]["4"]), "<=", 1.5)
    t.add("stats(), max_size 10000 / max_size 4",
          ratio(slow_lane_ns["stats"]["10000"], slow_lane_ns["stats"]["4"]), "<=", 1.5)
    if maintenance:
        t.add("maintenance: spike p99 acquire wait (ms)", maintenance["spike_p99_ms"], "<=", 5, "%.2f")
        t.add("maintenance: recycling, max / p50 latency", maintenance["recycle_max_over_p50"], "<=", 3, "%.2f")
        t.add("maintenance: acquire with the breaker open, p99 (ms)", maintenance["breaker_acquire_ms"], "<=", 1,
              "%.4f")
    if wire:
        t.add("socket check (us)", wire["socket_check_us"], "<=", 2, "%.2f")
        t.add("open-loop p50 with ResetOnReturn / without", wire["reset_open_loop_p50_ratio"], "<=", 1.10)
    tl = extra.get("tail")
    if tl:
        t.add("tail: p99.9 / p50 acquire wait (16 threads, 4 connections)", ratio(tl["p999_us"], tl["p50_us"]), "<=", 10,
              "%.2f")
        t.add("tail: min/max share of acquisitions", tl["min_max_share"], ">=", 0.8)
    cl = extra.get("cluster")
    if cl:
        t.add("cluster: acknowledged writes lost across node kills", cl.get("lost_acknowledged_writes"), "<=", 0, "%d")
        t.add("cluster: nodes used by load balancing (of 3)", cl.get("nodes_used"), ">=", 3, "%d")
    t.add("pool_none / select1_held (TCP, paired)", paired["pool_none_tcp"], "<=", 1.02, "%.4f")
    t.add("connect_per_request / pool_none (TCP)",
          ratio(mariadb_us["connect_per_request"], mariadb_us["pool_none"]), ">=", 2)

    summary = {
        "floor_ns": floor_ns,
        "lifeguard_none_over_floor": rnd(ratio(cycle_ns["lifeguard_none"], floor_ns)),
        "cycle_ns": cycle_ns,
        "instructions_per_cycle": ipc,
        "scaling_2_threads": scaling_2,
        "handoff_ns": handoff_ns,
        "handoff_fairness_min_share": fairness,
        "slow_lane_ns": slow_lane_ns,
        "clock_read_ns": clock_read_ns,
        "heavy_fence_us": fence_us,
        "contention": contention,
        "maintenance": maintenance,
        "wire": wire,
        "mariadb_us": mariadb_us,
        "mariadb_us_unix_socket": mariadb_us_unix,
        "mariadb_pool_over_held_paired": paired,
        "targets": {name: {"value": v, "target": tt, "met": m} for name, v, tt, m in t.rows},
        "machine": machine,
        "notes": notes,
    }
    summary.update(extra)
    if quick:
        summary["notes"]["quick"] = ("--quick run: few, short repetitions; figures are rough and not "
                                     "comparable with a full run; targets are not judged")
    os.makedirs(os.path.dirname(a.summary), exist_ok=True)
    with open(a.summary, "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")

    history = update_history(a, summary) if not quick and a.history else load_json(a.history) if a.history else None
    write_plot(a, r, cycle_ns, mariadb_us, mariadb_us_unix)
    write_doc(a, summary, t, history or [])
    print(json.dumps({k: summary[k] for k in ("cycle_ns", "instructions_per_cycle", "scaling_2_threads",
                                              "handoff_ns", "maintenance", "wire")}, indent=1, default=str))
    missed = [name for name, _, _, m in t.rows if m is False]
    if not quick:
        print("targets missed: " + (", ".join(missed) if missed else "none"))


def history_entry(s):
    c, m = s["cycle_ns"], s.get("maintenance") or {}
    w = s.get("wire") or {}
    peers = s.get("peers") or {}
    return {
        "date": s["machine"]["date"],
        "cpu": s["machine"]["cpu"],
        "none_ns": c.get("lifeguard_none"),
        "none_over_baseline": rnd(ratio(c.get("lifeguard_none"), c.get("baseline"))),
        "soci_over_none": rnd(ratio(c.get("soci"), c.get("lifeguard_none"))),
        "scaling_2_threads": s.get("scaling_2_threads"),
        "spike_p99_ms": m.get("spike_p99_ms"),
        "socket_check_us": w.get("socket_check_us"),
        "hikaricp_over_none": rnd(ratio((peers.get("cycle_ns") or {}).get("hikaricp"), c.get("lifeguard_none"))),
    }


def update_history(a, s):
    history = load_json(a.history) or []
    history.append(history_entry(s))
    history = history[-12:]
    with open(a.history, "w") as f:
        json.dump(history, f, indent=1)
        f.write("\n")
    return history


def write_plot(a, r, cycle_ns, mariadb_us, mariadb_us_unix):
    cyc = os.path.join(r, "plot_cycle.dat")
    with open(cyc, "w") as f:
        for key, label in (("baseline", "hand-written\\nbaseline"), ("lifeguard_none", "lifeguard\\nno policies"),
                           ("lifeguard_maintained", "lifeguard\\nmaintenance"),
                           ("lifeguard_all", "lifeguard\\nall policies"), ("soci", "SOCI\\nlease + give back")):
            if cycle_ns.get(key) is not None:
                f.write('"%s" %s\n' % (label, cycle_ns[key]))
    mdb = os.path.join(r, "plot_mariadb.dat")
    with open(mdb, "w") as f:
        for key, label in (("select1_held", "held\\nconnection"), ("pool_none", "pool"),
                           ("pool_ping_if_idle", "PingIfIdle"), ("pool_ping_on_checkout", "PingOn\\nCheckout"),
                           ("pool_reset_on_return", "ResetOn\\nReturn"), ("soci_pool", "SOCI pool"),
                           ("connect_per_request", "connect per\\nrequest")):
            tcp, unix = mariadb_us[key], mariadb_us_unix[key]
            if tcp is not None:
                f.write('"%s" %s %s\n' % (label, tcp, unix if unix is not None else "NaN"))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot.gp")
    try:
        subprocess.run(["gnuplot", "-e", "cycle='%s'; mdb='%s'; out='%s'" % (cyc, mdb, a.plot), script], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("plot not written: %s (Debian: gnuplot-nox)" % e, file=sys.stderr)


def fmt(v, digits=1):
    return "—" if v is None else ("%.*f" % (digits, v))


def write_doc(a, s, t, history):
    quick = a.mode == "quick"
    m = s["machine"]
    c = s["cycle_ns"]
    ipc = s["instructions_per_cycle"]
    mu, mx = s["mariadb_us"], s["mariadb_us_unix_socket"]
    L = []
    L.append("# Benchmarks")
    L.append("")
    if quick:
        L.append("**A `tools/bench --quick` run** on %s: few, short repetitions. Its figures show that every "
                 "benchmark runs and give their order of magnitude; they are not comparable with a full run "
                 "and this page judges no target and draws no conclusion from them. `tools/bench` (without "
                 "`--quick`) writes docs/benchmarks.md." % m["date"])
    else:
        L.append("Generated by `tools/bench` on %s, on the machine described below. Every figure is the median "
                 "of the run's repetitions (repetitions of different benchmarks interleaved in random order); "
                 "ratios are taken within this one run, and every target below is judged on this machine's "
                 "figures. Raw data: `build/benchmarks/summary.json` and `build/benchmarks/results/`." % m["date"])
    L.append("")
    L.append("![acquire+release and MariaDB round trips](%s)" % os.path.basename(a.plot))
    L.append("")
    L.append("## Machine and method")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    L.append("| CPU | %s, %s cores |" % (m["cpu"], m["cores"]))
    L.append("| kernel | %s |" % m["kernel"])
    L.append("| compiler | %s |" % m["compiler"])
    L.append("| flags | `%s` (CMake Release), C++20 |" % m["flags"])
    L.append("| MariaDB | server %s, Connector/C %s, on loopback, started by `tools/throwaway_mariadb` |"
             % (m["mariadb_server"], m["mariadb_client"]))
    L.append("| Google Benchmark | %s (Debian's build: it prints \"Library was built as DEBUG\", which concerns "
             "the benchmark library's own bookkeeping; lifeguard and the pools compared are built with the "
             "flags above, and instruction counts come from callgrind) |" % (m["benchmark_library"] or "libbenchmark-dev"))
    L.append("")
    L.append("- **Cycle**: `auto lease = pool.acquire(); DoNotOptimize(lease.get());` in a loop, one thread "
             "pinned to CPU 0, 4 idle connections, fake driver (`lifeguard/testing/fake_driver.hpp`). "
             "*baseline* is `benchmarks/baseline_pool.hpp`: the same design written by hand with no policy "
             "machinery; *all* is RecycleAfter + PingIfIdle + DisposeAfterFork + ResetOnReturn; *maintenance* "
             "is BackgroundMaintenance alone; *SOCI* is `soci::connection_pool::lease()` + `give_back()`.")
    L.append("- **Instructions**: the same loop in a `noinline` function, counted by "
             "`valgrind --tool=callgrind --toggle-collect` over %d cycles, divided by the cycle count." % a.cycles)
    L.append("- **Slow lane**: a thread holding one lease takes a second one (another thread's parked "
             "connection, under the lock), and `stats()`, with 2 connections open and max_size 4, 1,000 or 10,000.")
    L.append("- **Contention**: 8 threads on 2 connections, each holding its connection for a sleep (a query "
             "waiting on the server) or busy work; *fixed spin* is the baseline pool with the 2,000-round waiter "
             "spin lifeguard shipped before.")
    L.append("- **Maintenance** (fake driver, real threads and time): request latency while RecycleAfter(1 s) "
             "retires connections (5 ms connects); a spike of 32 threads at a pool of max 8 with 1 warm connection "
             "and 50 ms connects, holds of 100 µs; acquire() with the circuit breaker open.")
    L.append("- **Wire** (real MariaDB, TCP loopback): the checkout cost of each TieredValidation tier; request "
             "latency with and without ResetOnReturn, open loop (1 ms think time) and back to back; what learning "
             "the server's idle limit adds to a connect.")
    L.append("- **MariaDB**: one thread, pool of 1, TCP and the unix socket; the pool-over-held ratios come from "
             "*paired* benchmarks that alternate a held-connection `SELECT 1` and a pooled one in one loop.")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| acquire + release (fake driver) | ns | instructions |")
    L.append("|---|---:|---:|")
    L.append("| hardware floor: one CAS + one release store | %s | |" % fmt(s.get("floor_ns")))
    L.append("| hand-written baseline | %s | %s |" % (fmt(c["baseline"]), fmt(ipc["baseline"])))
    L.append("| lifeguard, no policies | %s | %s |" % (fmt(c["lifeguard_none"]), fmt(ipc["lifeguard_none"])))
    L.append("| lifeguard, BackgroundMaintenance | %s | %s |" % (fmt(c["lifeguard_maintained"]),
                                                               fmt(ipc["lifeguard_maintained"])))
    L.append("| lifeguard, all policies | %s | %s |" % (fmt(c["lifeguard_all"]), fmt(ipc["lifeguard_all"])))
    L.append("| lifeguard, `Metrics` observer | %s | |" % fmt(c.get("lifeguard_metrics")))
    L.append("| SOCI `lease`/`give_back` | %s | |" % fmt(c["soci"]))
    L.append("| lifeguard, one thread alternating between two pools (per pair) | %s | |"
             % fmt(c["two_pools_alternating"]))
    L.append("")
    L.append("2 threads / 1 thread throughput: **%s**. Two threads sharing one connection: **%s ns** per "
             "acquisition, smaller thread's share **%s**." % (fmt(s["scaling_2_threads"], 2), fmt(s["handoff_ns"]),
                                                            fmt(s["handoff_fairness_min_share"], 3)))
    L.append("")
    cr = s.get("clock_read_ns") or {}
    if cr.get("coarse_steady_clock") is not None:
        L.append("One clock read, which each time-based policy adds to an acquire and to a release: **%s ns** for the "
                 "default `lifeguard::CoarseSteadyClock` (`CLOCK_MONOTONIC_COARSE`), **%s ns** for "
                 "`std::chrono::steady_clock`." % (fmt(cr["coarse_steady_clock"], 1), fmt(cr.get("steady_clock"), 1)))
        L.append("")
    fe = s.get("heavy_fence_us") or {}
    if fe.get("alone") is not None:
        L.append("A waiter's heavy fence (`membarrier`, docs/design.md): **%s µs** with no other thread of the process "
                 "running, **%s µs** with one busy sibling thread (it interrupts that CPU). Waiters served within four "
                 "times the average wait never pay it." % (fmt(fe["alone"], 2), fmt(fe.get("busy_sibling"), 2)))
        L.append("")
    sl = s["slow_lane_ns"]
    L.append("| slow lane (ns) | max_size 4 | 1,000 | 10,000 |")
    L.append("|---|---:|---:|---:|")
    L.append("| second lease | %s | %s | %s |" % tuple(fmt(sl["second_lease"][k]) for k in ("4", "1000", "10000")))
    L.append("| `stats()` | %s | %s | %s |" % tuple(fmt(sl["stats"][k]) for k in ("4", "1000", "10000")))
    L.append("")
    if s["contention"]:
        L.append("| contention: %d threads, %d connections, %d CPUs | hold | acquisitions/s | of the ceiling | CPU µs "
                 "per acquisition |" % (s["contention"]["threads"], s["contention"]["connections"],
                                        s["contention"]["cpus"]))
        L.append("|---|---|---:|---:|---:|")
        for run in s["contention"]["runs"]:
            L.append("| %s | %s %d µs | %s | %s | %s |" % (
                "lifeguard (adaptive spin)" if run["pool"] == "lifeguard" else "fixed 2,000-round spin",
                run["hold"], run["hold_us"], fmt(run["acquisitions_per_s"], 0), fmt(run["efficiency"], 2),
                fmt(run["cpu_us_per_acquisition"], 1)))
        L.append("")
        L.append("CPU per acquisition is beyond the holders' own busy work; for sleep holds it includes the "
                 "sleeps' system calls.")
        L.append("")
    mt = s.get("maintenance")
    if mt:
        raw = mt["raw_us"]
        L.append("| maintenance (fake driver) | p50 | p99 | max |")
        L.append("|---|---:|---:|---:|")
        for key, label in (("recycle_with_maintenance", "request latency across recycling, with maintenance (µs)"),
                           ("recycle_without_maintenance", "… without maintenance (µs)"),
                           ("spike_with_maintenance", "spike: acquire wait, with maintenance (µs)"),
                           ("spike_without_maintenance", "… without maintenance (µs)"),
                           ("breaker_open_acquire", "acquire() with the breaker open (µs)")):
            v = raw[key]
            L.append("| %s | %s | %s | %s |" % (label, fmt(v["p50_us"]), fmt(v["p99_us"]), fmt(v["max_us"])))
        L.append("")
    w = s.get("wire")
    if w:
        L.append("| wire (real MariaDB, TCP) | µs |")
        L.append("|---|---:|")
        L.append("| socket check at checkout (TieredValidation's middle tier) | %s |" % fmt(w["socket_check_us"], 2))
        L.append("| `socket_state()` alone | %s |" % fmt(w["socket_state_call_us"], 2))
        L.append("| ping at checkout (its last tier) | %s |" % fmt(w["ping_us"], 1))
        rp = w["request_p50_us"]
        L.append("| request p50, open loop, without / with ResetOnReturn | %s / %s |"
                 % (fmt(rp["open_without_reset"]), fmt(rp["open_with_reset"])))
        L.append("| request p50, back to back, without / with ResetOnReturn | %s / %s |"
                 % (fmt(rp["closed_without_reset"]), fmt(rp["closed_with_reset"])))
        L.append("| learning the server's idle limit, per connect (a connect takes %s) | %s |"
                 % (fmt(w["connect_us"]), fmt(w["idle_limit_connect_cost_us"])))
        L.append("")
        L.append("Back to back, the next request finds the reset's reply still on its way and waits for it: "
                 "there the reset costs a round trip. With think time between requests (open loop) it has "
                 "arrived.")
        L.append("")
    L.append("| MariaDB, µs per operation | TCP | unix socket |")
    L.append("|---|---:|---:|")
    for key, label in (("select1_held", "`SELECT 1` on a held connection"),
                       ("pool_none", "acquire + `SELECT 1` + release, no policies"),
                       ("pool_ping_if_idle", "… with PingIfIdle"),
                       ("pool_ping_on_checkout", "… with PingOnCheckout"),
                       ("pool_reset_on_return", "… with ResetOnReturn"),
                       ("soci_pool", "SOCI: `session(pool)` + `SELECT 1`"),
                       ("connect_per_request", "connect + `SELECT 1` + close, no pool")):
        L.append("| %s | %s | %s |" % (label, fmt(mu[key]), fmt(mx[key])))
    L.append("")
    pr = s["mariadb_pool_over_held_paired"]
    L.append("Paired, pool ÷ held connection: no policies %s (TCP) / %s (unix socket); PingIfIdle %s / %s."
             % (fmt(pr["pool_none_tcp"], 4), fmt(pr["pool_none_unix_socket"], 4),
                fmt(pr["pool_ping_if_idle_tcp"], 4), fmt(pr["pool_ping_if_idle_unix_socket"], 4)))
    L.append("")
    write_extra_sections(L, s)
    L.append("## Targets")
    L.append("")
    if quick:
        L.append("Not judged in a --quick run (the goals are listed for reference).")
    else:
        L.append("Judged on this run, on this machine; reported, never enforced by a test.")
    L.append("")
    L.append("| target | value | goal | |")
    L.append("|---|---:|---|---|")
    for name, value, goal, met in t.rows:
        verdict = "—" if quick else ("met" if met else ("**missed**" if met is False else "not measured"))
        L.append("| %s | %s | %s | %s |" % (name, value if value is not None else "—", goal, verdict))
    L.append("")
    if not quick:
        missed = [name for name, _, _, met in t.rows if met is False]
        L.append("## Where a target is missed, and why")
        L.append("")
        if not missed:
            L.append("Every target was met in this run.")
        for name in missed:
            L.append("- **%s**: %s" % (name, MISSED_WHY.get(name, "see the raw results; this run's figure is "
                                                                  "in the table above.")))
        L.append("")
    if history:
        L.append("## History")
        L.append("")
        L.append("Full runs, newest last (docs/benchmarks-history.json): how the figures move between machines.")
        L.append("")
        L.append("| date | CPU | none (ns) | none ÷ baseline | SOCI ÷ none | HikariCP ÷ none | 2 threads | spike p99 (ms) "
                 "| socket check (µs) |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for h in history:
            L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                h["date"], h["cpu"], fmt(h.get("none_ns")), fmt(h.get("none_over_baseline"), 3),
                fmt(h.get("soci_over_none"), 2), fmt(h.get("hikaricp_over_none"), 1),
                fmt(h.get("scaling_2_threads"), 2), fmt(h.get("spike_p99_ms"), 2), fmt(h.get("socket_check_us"), 2)))
        L.append("")
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    with open(a.doc, "w") as f:
        f.write("\n".join(L))


def write_extra_sections(L, s):
    """Sections of later benchmark steps (peers, tail, cluster), when they ran."""
    peers = s.get("peers")
    if peers:
        rt = peers.get("runtimes", {})
        L.append("## Peers, same machine, same run")
        L.append("")
        L.append("Every peer is measured the same way (`benchmarks/peers_bench.cpp`, `benchmarks/peers/`): each thread "
                 "runs the operation in a loop for a fixed time, a repetition's figure is wall time × threads ÷ "
                 "operations, the figure shown the median of the repetitions, and ratios are taken within this run. "
                 "HikariCP runs on %s after %s ms of unmeasured warm-up per figure (the JIT compiles the hot path); "
                 "SQLAlchemy on %s. The stub connections answer every call at once (HikariCP: a "
                 "`java.lang.reflect.Proxy` `Connection` whose `isValid` is true; SQLAlchemy: a creator whose "
                 "connections have no-op `rollback`/`close`). With two threads lifeguard's figures include the "
                 "fake driver's shared counters (ResetOnReturn increments one per cycle), and SQLAlchemy's the GIL. "
                 "A MariaDB round trip on this kind of VM moves by tens of microseconds between runs (with the CPU's "
                 "wake-up latency), and the peers run one after another: their MariaDB ratios carry that noise, the "
                 "stub figures do not."
                 % (rt.get("jvm", "the JVM"), rt.get("jvm_warmup_ms", "?"), rt.get("python", "CPython")))
        L.append("")
        cyc, cyc2 = peers.get("cycle_ns", {}), peers.get("cycle_ns_2_threads", {})
        none = cyc.get("lifeguard_none")
        L.append("| acquire + release, stub connections | ns, 1 thread | ÷ lifeguard | ns, 2 threads |")
        L.append("|---|---:|---:|---:|")
        for key, label in (("lifeguard_none", "lifeguard, no policies"), ("lifeguard_all", "lifeguard, all policies"),
                           ("baseline", "hand-written baseline"), ("soci", "SOCI 4.0 `lease`/`give_back`"),
                           ("hikaricp", "HikariCP %s `getConnection`/`close`" % rt.get("hikaricp", "2.7")),
                           ("sqlalchemy", "SQLAlchemy QueuePool `connect`/`close`")):
            L.append("| %s | %s | %s | %s |" % (label, fmt(cyc.get(key)), fmt(ratio(cyc.get(key), none), 2),
                                                fmt(cyc2.get(key))))
        L.append("")
        md, md2 = peers.get("mariadb_us", {}), peers.get("mariadb_us_2_threads", {})
        base = md.get("lifeguard_none")
        L.append("| pooled `SELECT 1` on the throwaway MariaDB (TCP) | µs, 1 thread | ÷ lifeguard | µs, 2 threads |")
        L.append("|---|---:|---:|---:|")
        for key, label in (("lifeguard_none", "lifeguard, no policies (Connector/C)"),
                           ("lifeguard_recommended", "lifeguard, RecommendedPool"), ("soci", "SOCI + its MySQL backend"),
                           ("hikaricp", "HikariCP + MariaDB Connector/J"), ("sqlalchemy", "SQLAlchemy + mysqlclient"),
                           ("sqlalchemy_pre_ping", "… with pool_pre_ping")):
            L.append("| %s | %s | %s | %s |" % (label, fmt(md.get(key)), fmt(ratio(md.get(key), base), 2),
                                                fmt(md2.get(key))))
        L.append("")
    cl = s.get("cluster")
    if cl:
        L.append("## A 3-node Galera cluster")
        L.append("")
        L.append("On a throwaway cluster (`tools/throwaway_galera`, all nodes on this machine's %s CPUs): a Failover "
                 "pool with requests running back to back on node 1, node 1 killed (SIGKILL) %d times: the time "
                 "from the kill to the first request that succeeds on another node is **%s ms** (median), **%s ms** "
                 "at most; %s acknowledged writes, **%s lost**, %s requests failed (in flight on the killed node). "
                 "Point reads with 4 threads over a LoadBalance pool: %s per second with node 1 only, %s with all 3 "
                 "nodes (%s nodes used; ratio %s). The nodes share the client's CPUs, so the ratio shows that reads "
                 "spread, not that they scale. What `galera=on` costs a validation check: %s µs per check (the "
                 "`wsrep_ready` status query, %s µs on its own, runs at most once a second per node; `COM_PING` "
                 "in between) against %s µs for `COM_PING` alone (medians, one node)." % (
                     s["machine"].get("cores"), len(cl.get("failover_ms", [])), fmt(cl.get("failover_ms_p50")),
                     fmt(cl.get("failover_ms_max")), cl.get("acknowledged_writes"), cl.get("lost_acknowledged_writes"),
                     cl.get("failed_requests"), fmt(cl.get("reads_per_s_1_node"), 0), fmt(cl.get("reads_per_s_3_nodes"), 0),
                     cl.get("nodes_used"), fmt(cl.get("three_over_one"), 2), fmt(cl.get("galera_check_us")),
                     fmt(cl.get("wsrep_status_query_us")), fmt(cl.get("com_ping_us"))))
        L.append("")
    tail, tail_h = s.get("tail"), s.get("tail_hikaricp")
    if tail or tail_h:
        L.append("## Tail latency under oversubscription")
        L.append("")
        L.append("16 threads on 4 stub connections, each holding its connection 20 µs of busy work; every acquire's "
                 "wait is recorded.")
        L.append("")
        L.append("| acquire wait (µs) | p50 | p99 | p99.9 | max | p99.9 ÷ p50 | min/max share of acquisitions |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for label, t in (("lifeguard", tail), ("HikariCP", tail_h)):
            if t:
                L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                    label, fmt(t.get("p50_us")), fmt(t.get("p99_us")), fmt(t.get("p999_us")), fmt(t.get("max_us")),
                    fmt(ratio(t.get("p999_us"), t.get("p50_us")), 1), fmt(t.get("min_max_share"), 3)))
        L.append("")


MISSED_WHY = {
    "scaling_2_threads":
        "With a connection each, two threads share no written cache line (thread-local hints, records 128 bytes "
        "apart). The same binary measures from about 1.4x to 1.98x within minutes on this kind of VM, which "
        "points at how the host places the two vCPUs rather than at the pool.",
    "maintenance: recycling, max / p50 latency":
        "The maximum is one request out of thousands; on a 2-vCPU VM a single preemption of a request's thread "
        "(by the maintenance thread or the host) adds hundreds of microseconds. No request paid a connect: "
        "without maintenance the maximum is a whole 5 ms connect.",
    "open-loop p50 with ResetOnReturn / without":
        "The open-loop figures include a 1 ms sleep per request; on this VM the wake-up after it and which vCPU "
        "the server thread runs on move a round trip by tens of microseconds between runs.",
    "pool_none / select1_held (TCP, paired)":
        "Even paired on one connection, two consecutive SELECT 1 round trips on this VM differ by more than "
        "the pool's few ns; the difference is within noise.",
}


if __name__ == "__main__":
    main()
