// HikariCP, measured the way benchmarks/peers_bench.cpp measures lifeguard: each thread runs
// the operation in a loop for a fixed time; a repetition's figure is wall time x threads /
// operations; the figure reported is the median of the repetitions.
//   cycle     getConnection() + close() on a stub DataSource (no I/O; the shape of HikariCP's
//             own ConnectionBench), pool of 4; 1 and 2 threads
//   mariadb   getConnection() + SELECT 1 + close() through MariaDB Connector/J on the
//             throwaway server; pool of 2; 1 and 2 threads
//   tail      16 threads on a stub pool of 4, each holding its connection 20 us (busy)
// Warm-up: before each figure the same operation runs, unmeasured, for `warmup_ms` (the JIT
// compiles the hot path in the first thousands of calls); the JVM is the Debian default.
// Usage: java -cp HikariCP.jar:mariadb-java-client.jar:slf4j-api.jar:slf4j-nop.jar:. HikariPeers
//        cycle|mariadb|tail <repetitions> <ms per repetition> <warmup_ms> [mariadb://user:password@host:port/db]
// Prints JSON.
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

public final class HikariPeers {
    interface Op {
        void run() throws Exception;
    }

    // A connection that answers every call at once: what HikariCP asks on setup and
    // validation gets a neutral answer (isValid: true).
    static Connection stubConnection() {
        return (Connection) Proxy.newProxyInstance(HikariPeers.class.getClassLoader(), new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
                switch (method.getName()) {
                    case "isValid": return true;
                    case "isWrapperFor": return false;
                    case "hashCode": return System.identityHashCode(proxy);
                    case "equals": return proxy == args[0];
                    case "toString": return "StubConnection";
                    default: break;
                }
                Class<?> r = method.getReturnType();
                if (r == boolean.class) return false;
                if (r == int.class) return 0;
                if (r == long.class) return 0L;
                return null;
            });
    }

    static final class StubDataSource implements DataSource {
        public Connection getConnection() { return stubConnection(); }
        public Connection getConnection(String user, String password) { return stubConnection(); }
        public PrintWriter getLogWriter() { return null; }
        public void setLogWriter(PrintWriter out) {}
        public void setLoginTimeout(int seconds) {}
        public int getLoginTimeout() { return 0; }
        public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
        public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
        public boolean isWrapperFor(Class<?> iface) { return false; }
    }

    static HikariDataSource stubPool(int size) {
        HikariConfig c = new HikariConfig();
        c.setDataSource(new StubDataSource());
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(size);
        c.setConnectionTimeout(60_000);
        c.setPoolName("stub");
        return new HikariDataSource(c);
    }

    static double median(List<Double> v) {
        Double[] a = v.toArray(new Double[0]);
        Arrays.sort(a);
        int n = a.length;
        return n == 0 ? 0 : n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    // ns of one operation for one thread, `threads` threads running it for `ms`.
    static double timed(int threads, int ms, Op op) throws Exception {
        AtomicBoolean go = new AtomicBoolean(false), stop = new AtomicBoolean(false);
        long[] counts = new long[threads];
        Exception[] failure = new Exception[1];
        List<Thread> pool = new ArrayList<>();
        for (int t = 0; t < threads; ++t) {
            final int me = t;
            Thread th = new Thread(() -> {
                while (!go.get()) Thread.onSpinWait();
                long n = 0;
                try {
                    while (!stop.get()) {
                        op.run();
                        ++n;
                    }
                } catch (Exception e) {
                    failure[0] = e;
                }
                counts[me] = n;
            });
            th.start();
            pool.add(th);
        }
        long start = System.nanoTime();
        go.set(true);
        Thread.sleep(ms);
        stop.set(true);
        for (Thread th : pool) th.join();
        if (failure[0] != null) throw failure[0];
        double elapsed = System.nanoTime() - start;
        long total = 0;
        for (long c : counts) total += c;
        return total > 0 ? elapsed * threads / total : 0;
    }

    static double repeated(int reps, int threads, int ms, int warmupMs, Op op) throws Exception {
        timed(threads, warmupMs, op);
        List<Double> v = new ArrayList<>();
        for (int r = 0; r < reps; ++r) v.add(timed(threads, ms, op));
        return median(v);
    }

    static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        String what = args[0];
        int reps = Integer.parseInt(args[1]), ms = Integer.parseInt(args[2]), warmup = Integer.parseInt(args[3]);
        StringBuilder out = new StringBuilder();
        if (what.equals("cycle")) {
            try (HikariDataSource ds = stubPool(4)) {
                double one = repeated(reps, 1, ms, warmup, () -> ds.getConnection().close());
                double two = repeated(reps, 2, ms, warmup, () -> ds.getConnection().close());
                out.append(String.format(Locale.ROOT, "{\"cycle_ns\": {\"hikaricp\": {\"1\": %.3f, \"2\": %.3f}}", one, two));
            }
        } else if (what.equals("mariadb")) {
            // lifeguard's URL (tools/throwaway_mariadb): percent-encoded user and password.
            java.net.URI u = new java.net.URI(args[4]);
            String[] who = u.getRawUserInfo().split(":", 2);
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl("jdbc:mariadb://" + u.getHost() + ":" + u.getPort() + decode(u.getRawPath()));
            c.setUsername(decode(who[0]));
            c.setPassword(who.length > 1 ? decode(who[1]) : "");
            c.setMaximumPoolSize(2);
            c.setMinimumIdle(2);
            c.setPoolName("mariadb");
            try (HikariDataSource ds = new HikariDataSource(c)) {
                Op select1 = () -> {
                    try (Connection conn = ds.getConnection(); Statement st = conn.createStatement();
                         ResultSet rs = st.executeQuery("SELECT 1")) {
                        if (!rs.next() || rs.getInt(1) != 1) throw new SQLException("SELECT 1 failed");
                    }
                };
                double one = repeated(reps, 1, ms, warmup, select1);
                double two = repeated(reps, 2, ms, warmup, select1);
                out.append(String.format(Locale.ROOT, "{\"mariadb_us\": {\"hikaricp\": {\"1\": %.3f, \"2\": %.3f}}",
                                         one / 1000, two / 1000));
            }
        } else if (what.equals("tail")) {
            out.append(tail(reps, ms, warmup));
        } else {
            throw new IllegalArgumentException("unknown benchmark " + what);
        }
        out.append(String.format(Locale.ROOT, ", \"warmup_ms\": %d, \"jvm\": \"%s\"}", warmup,
                                 System.getProperty("java.vm.name") + " " + System.getProperty("java.version")));
        System.out.println(out);
    }

    // 16 threads, 4 connections, 20 us busy holds: acquire waits and the threads' shares.
    static String tail(int reps, int ms, int warmupMs) throws Exception {
        final int threads = 16;
        final long holdNs = 20_000;
        List<Double> p50 = new ArrayList<>(), p99 = new ArrayList<>(), p999 = new ArrayList<>(), max = new ArrayList<>(),
                     share = new ArrayList<>();
        try (HikariDataSource ds = stubPool(4)) {
            for (int r = 0; r < reps + 1; ++r) {  // the first run is the warm-up
                final int runMs = r == 0 ? warmupMs : ms;
                long[][] waits = new long[threads][];
                int[] counts = new int[threads];
                AtomicBoolean go = new AtomicBoolean(false), stop = new AtomicBoolean(false);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; ++t) {
                    final int me = t;
                    waits[t] = new long[1 << 18];
                    Thread th = new Thread(() -> {
                        while (!go.get()) Thread.onSpinWait();
                        int n = 0;
                        try {
                            while (!stop.get()) {
                                long asked = System.nanoTime();
                                Connection c = ds.getConnection();
                                long got = System.nanoTime();
                                if (n < waits[me].length) waits[me][n] = got - asked;
                                ++n;
                                while (System.nanoTime() - got < holdNs) Thread.onSpinWait();
                                c.close();
                            }
                        } catch (SQLException e) {
                            throw new RuntimeException(e);
                        }
                        counts[me] = n;
                    });
                    th.start();
                    workers.add(th);
                }
                go.set(true);
                Thread.sleep(runMs);
                stop.set(true);
                for (Thread th : workers) th.join();
                if (r == 0) continue;
                int total = 0, lo = Integer.MAX_VALUE, hi = 0;
                for (int c : counts) {
                    total += Math.min(c, 1 << 18);
                    lo = Math.min(lo, c);
                    hi = Math.max(hi, c);
                }
                long[] all = new long[total];
                int k = 0;
                for (int t = 0; t < threads; ++t)
                    for (int i = 0; i < Math.min(counts[t], 1 << 18); ++i) all[k++] = waits[t][i];
                Arrays.sort(all);
                p50.add(all[Math.min(all.length - 1, (int) (0.5 * all.length))] / 1000.0);
                p99.add(all[Math.min(all.length - 1, (int) (0.99 * all.length))] / 1000.0);
                p999.add(all[Math.min(all.length - 1, (int) (0.999 * all.length))] / 1000.0);
                max.add(all[all.length - 1] / 1000.0);
                share.add(hi > 0 ? (double) lo / hi : 0);
            }
        }
        return String.format(Locale.ROOT, "{\"tail\": {\"threads\": %d, \"connections\": 4, \"hold_us\": 20, \"p50_us\": %.2f, "
                             + "\"p99_us\": %.2f, \"p999_us\": %.2f, \"max_us\": %.1f, \"min_max_share\": %.3f}",
                             threads, median(p50), median(p99), median(p999), median(max), median(share));
    }
}
