#!/usr/bin/python3
"""SQLAlchemy's QueuePool, measured the way benchmarks/peers_bench.cpp measures lifeguard: each
thread runs the operation in a loop for a fixed time; a repetition's figure is wall time x
threads / operations; the figure reported is the median of the repetitions.

  cycle     pool.connect() + close() with a stub creator (no I/O), pool_size 4; 1 and 2 threads
  mariadb   engine.pool.connect() + cursor SELECT 1 + close() through mysqlclient (MySQLdb) on
            the throwaway server, pool_size 2, with pool_pre_ping off and on; 1 and 2 threads
            (the pool and the DB-API driver, not SQLAlchemy's Core execution layer)

Run with Debian's interpreter (/usr/bin/python3: python3-sqlalchemy, python3-mysqldb).
Usage: sqlalchemy_peers.py cycle|mariadb <repetitions> <ms per repetition> [url]
Prints JSON.
"""
import json
import statistics
import sys
import threading
import time
import urllib.parse

import sqlalchemy
from sqlalchemy import pool as sa_pool


class StubConnection:
    """What QueuePool's checkin asks of a DB-API connection (reset on return: rollback)."""

    def rollback(self):
        pass

    def close(self):
        pass


def timed(threads, ms, op):
    go, stop = threading.Event(), threading.Event()
    counts = [0] * threads
    errors = []

    def work(me):
        go.wait()
        n = 0
        try:
            while not stop.is_set():
                op()
                n += 1
        except Exception as e:  # reported after the run
            errors.append(e)
        counts[me] = n

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    start = time.perf_counter_ns()
    go.set()
    time.sleep(ms / 1000)
    stop.set()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    elapsed = time.perf_counter_ns() - start
    total = sum(counts)
    return elapsed * threads / total if total else 0.0


def repeated(reps, threads, ms, op):
    timed(threads, max(ms // 4, 20), op)  # warm-up: connections, caches
    return statistics.median(timed(threads, ms, op) for _ in range(reps))


def cycle(reps, ms):
    p = sa_pool.QueuePool(StubConnection, pool_size=4, max_overflow=0)

    def op():
        p.connect().close()

    return {"cycle_ns": {"sqlalchemy": {str(t): round(repeated(reps, t, ms, op), 3) for t in (1, 2)}}}


def mariadb(reps, ms, url):
    u = urllib.parse.urlsplit(url)
    out = {}
    for key, pre_ping in (("sqlalchemy", False), ("sqlalchemy_pre_ping", True)):
        engine = sqlalchemy.create_engine(
            sqlalchemy.engine.URL.create("mysql+mysqldb", username=urllib.parse.unquote(u.username or ""),
                                         password=urllib.parse.unquote(u.password or ""), host=u.hostname,
                                         port=u.port, database=urllib.parse.unquote(u.path.lstrip("/"))),
            pool_size=2, max_overflow=0, pool_pre_ping=pre_ping)

        def op():
            conn = engine.pool.connect()
            try:
                cur = conn.cursor()
                cur.execute("SELECT 1")
                if cur.fetchall()[0][0] != 1:
                    raise RuntimeError("SELECT 1 failed")
                cur.close()
            finally:
                conn.close()

        out[key] = {str(t): round(repeated(reps, t, ms, op) / 1000, 3) for t in (1, 2)}
        engine.dispose()
    return {"mariadb_us": out}


def main():
    what, reps, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if what == "cycle":
        result = cycle(reps, ms)
    elif what == "mariadb":
        result = mariadb(reps, ms, sys.argv[4])
    else:
        raise SystemExit("unknown benchmark " + what)
    result["python"] = "CPython %s, SQLAlchemy %s" % (sys.version.split()[0], sqlalchemy.__version__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
