package org.distill4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and stalled clients on loopback (issue 14.1): 200 connections that trickle their headers or
 * body must not take the worker threads, so health and inference still answer within 1 s at p99;
 * bodies slower than the minimum rate or past the deadline are cut off with a JSON 408, headers
 * past the header timeout by closing the connection. Bounded: at most 300 sockets and 100 measured
 * requests per test, each test well under 20 s.
 */
class SlowClientTest {

    static final int SLOW = 200;
    static final int ROUNDS = 50;

    @TempDir
    static Path tmp;

    static Path denseDir;

    @BeforeAll
    static void model() throws Exception {
        denseDir = TestModels.dense(tmp.resolve("dense"), new long[] {4}, TestModels.DENSE_CLASSES, 3);
    }

    static final String INFER =
            "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\"," + "\"data\":[0.1,0.2,0.3,0.4]}]}";

    @Test
    @Timeout(60)
    void healthAndInferAnswerWithin1sAtP99While200ClientsTrickle() throws Exception {
        // Limits loose enough that no trickler is cut off while we measure (5 bytes/s each).
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("dense", denseDir))
                .optMinRequestDataRate(1)
                .optRequestBodyTimeout(Duration.ofSeconds(60))
                .optHeaderTimeout(Duration.ofSeconds(60))
                .build()
                .start()) {
            // Warm up (first inference, JIT) before the slow clients arrive: the test measures them.
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(2))
                    .build();
            timed(
                    client,
                    HttpRequest.newBuilder(server.baseUri().resolve("/v2/models/dense/infer"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(INFER)),
                    200);
            measureWhileTrickling(server, client);
        }
    }

    private static void measureWhileTrickling(ModelServer server, HttpClient client) throws Exception {
        try (Trickle trickle = new Trickle(server.port(), SLOW)) {
            trickle.awaitOpened();
            Thread.sleep(500); // let the server dispatch every slow request
            List<Long> millis = new ArrayList<>();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            for (int i = 0; i < ROUNDS && System.nanoTime() < giveUp; i++) {
                millis.add(timed(
                        client,
                        HttpRequest.newBuilder(server.baseUri().resolve("/v2/health/live"))
                                .GET(),
                        200));
                millis.add(timed(
                        client,
                        HttpRequest.newBuilder(server.baseUri().resolve("/v2/models/dense/infer"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(INFER)),
                        200));
            }
            long p99 = percentile(millis, 0.99);
            System.out.printf(
                    "slow clients: %d open, %d requests, p50 %d ms, p99 %d ms, max %d ms%n",
                    trickle.open(), millis.size(), percentile(millis, 0.5), p99, percentile(millis, 1.0));
            assertThat(trickle.open())
                    .as("slow connections still open while measuring")
                    .isGreaterThan(SLOW * 9 / 10);
            assertThat(p99)
                    .as("p99 latency in ms of health + infer with %d slow clients", SLOW)
                    .isLessThan(1000);
        }
    }

    @Test
    @Timeout(30)
    void stalledAndTooSlowBodiesGetAJson408AndTheDeadlineCutsTheRest() throws Exception {
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("dense", denseDir))
                .optMinRequestDataRate(100)
                .optRequestBodyTimeout(Duration.ofSeconds(4))
                .build()
                .start()) {
            long t0 = System.nanoTime();
            // Stalled: headers and 10 bytes, then nothing.
            try (Socket stalled = open(server.port(), 10_000, "{\"inputs\":");
                    // Too slow: 20 bytes/s against a minimum of 100.
                    Socket slow = open(server.port(), 10_000, "");
                    // Fast enough (500 bytes/s) but the body never ends before the 4 s deadline.
                    Socket steady = open(server.port(), 100_000, "")) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                String stalledAnswer = null;
                String slowAnswer = null;
                String steadyAnswer = null;
                while (System.nanoTime() < end
                        && (stalledAnswer == null || slowAnswer == null || steadyAnswer == null)) {
                    write(slow, " ".repeat(2));
                    write(steady, " ".repeat(50));
                    Thread.sleep(100);
                    stalledAnswer = stalledAnswer != null ? stalledAnswer : poll(stalled);
                    slowAnswer = slowAnswer != null ? slowAnswer : poll(slow);
                    steadyAnswer = steadyAnswer != null ? steadyAnswer : poll(steady);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertThat(stalledAnswer)
                        .as("stalled body")
                        .startsWith("HTTP/1.1 408")
                        .contains("application/json")
                        .contains("{\"error\":\"request body")
                        .contains("bytes/s");
                assertThat(slowAnswer)
                        .as("slow body")
                        .startsWith("HTTP/1.1 408")
                        .contains("minimum");
                assertThat(steadyAnswer)
                        .as("steady body past the deadline")
                        .startsWith("HTTP/1.1 408")
                        .contains("4 s");
                assertThat(seconds)
                        .as("all cut off within the deadline plus slack")
                        .isLessThan(7);
            }
            // The server is unharmed.
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(server.baseUri().resolve("/v2/models/dense/infer"))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(INFER))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
    }

    @Test
    @Timeout(30)
    void headersTrickledPastTheHeaderTimeoutAreCutOffAndTheConnectionLimitRecovers() throws Exception {
        try (ModelServer server = ModelServer.builder()
                        .optPort(0)
                        .addModel(ServedSavedModel.load("dense", denseDir))
                        .optHeaderTimeout(Duration.ofSeconds(2))
                        .optMaxConnections(20)
                        .build()
                        .start();
                Trickle trickle = new Trickle(server.port(), 20, true)) {
            // 20 header tricklers hold every connection slot: a new request waits to be accepted...
            long t0 = System.nanoTime();
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(8))
                    .build();
            HttpResponse<String> r = client.send(
                    HttpRequest.newBuilder(server.baseUri().resolve("/v2/health/live"))
                            .timeout(Duration.ofSeconds(8))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(r.statusCode()).isEqualTo(200);
            // ...until the header deadline closes the tricklers (2 s, swept every 250 ms).
            assertThat(seconds).as("seconds until health answered").isBetween(1.5, 4.0);
            Thread.sleep(1000); // a write or two to notice the close
            assertThat(trickle.open())
                    .as("tricklers still open after the header timeout")
                    .isZero();
        }
    }

    @Test
    @Timeout(30)
    void aFloodOfIdleConnectionsLeavesHealthAnsweringAndIsClosedByTheIdleTimeout() throws Exception {
        int flood = 300;
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .addModel(ServedSavedModel.load("dense", denseDir))
                .optIdleTimeout(Duration.ofSeconds(2))
                .build()
                .start()) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < flood; i++) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
                    sockets.add(s);
                }
                HttpClient client = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(2))
                        .build();
                List<Long> millis = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    millis.add(timed(
                            client,
                            HttpRequest.newBuilder(server.baseUri().resolve("/v2/health/ready"))
                                    .GET(),
                            200));
                }
                assertThat(percentile(millis, 0.99))
                        .as("health p99 ms under a flood of %d idle connections", flood)
                        .isLessThan(1000);
                // Idle connections are closed by the server: every socket reads end-of-stream.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                int closed = 0;
                for (Socket s : sockets) {
                    s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    try {
                        if (s.getInputStream().read() == -1) {
                            closed++;
                        }
                    } catch (SocketTimeoutException e) {
                        break;
                    } catch (IOException e) {
                        closed++; // reset by the server: also closed
                    }
                }
                assertThat(closed)
                        .as("idle connections closed by the server's idle timeout")
                        .isEqualTo(flood);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    // ---- helpers ----

    static long timed(HttpClient client, HttpRequest.Builder request, int status) throws Exception {
        long t = System.nanoTime();
        try {
            HttpResponse<String> r =
                    client.send(request.timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        } catch (HttpTimeoutException e) {
            return 3000; // counted as a slow answer, so the assertion shows the latency
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    static long percentile(List<Long> values, double q) {
        long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int i = (int) Math.ceil(q * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, i))];
    }

    static Socket open(int port, int contentLength, String firstBytes) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        write(
                s,
                "POST /v2/models/dense/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + contentLength + "\r\n\r\n" + firstBytes);
        return s;
    }

    static void write(Socket s, String text) {
        try {
            OutputStream out = s.getOutputStream();
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // The server closed it: the answer (if any) is read by poll.
        }
    }

    /** Whatever the server has answered so far, or null if nothing yet. */
    static String poll(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        if (in.available() == 0) {
            return null;
        }
        s.setSoTimeout(500);
        byte[] buf = new byte[8192];
        StringBuilder out = new StringBuilder();
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (out.indexOf("\r\n\r\n") >= 0 && out.indexOf("}") > 0) {
                    break;
                }
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // What arrived is the answer.
        }
        return out.toString();
    }

    /**
     * {@code count} connections, half trickling a body after complete headers, half trickling the
     * headers themselves, one byte each per 200 ms from one thread.
     */
    static final class Trickle implements AutoCloseable {
        private final List<Socket> sockets = new ArrayList<>();
        private final boolean headersOnly;
        private final java.util.concurrent.atomic.AtomicIntegerArray dead;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        Trickle(int port, int count) throws IOException {
            this(port, count, false);
        }

        Trickle(int port, int count, boolean headersOnly) throws IOException {
            this.headersOnly = headersOnly;
            dead = new java.util.concurrent.atomic.AtomicIntegerArray(count);
            for (int i = 0; i < count; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                if (i % 2 == 0 && !headersOnly) {
                    write(
                            s,
                            "POST /v2/models/dense/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"inputs\":");
                } else {
                    write(s, "POST /v2/models/dense/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
                }
                sockets.add(s);
            }
            timer.scheduleAtFixedRate(this::tick, 200, 200, TimeUnit.MILLISECONDS);
        }

        private void tick() {
            for (int i = 0; i < sockets.size(); i++) {
                if (dead.get(i) == 0) {
                    try {
                        sockets.get(i).getOutputStream().write(i % 2 == 0 && !headersOnly ? ' ' : 'a');
                    } catch (IOException e) {
                        dead.set(i, 1);
                    }
                }
            }
        }

        void awaitOpened() {
            assertThat(sockets).hasSize(dead.length());
        }

        int open() {
            int n = 0;
            for (int i = 0; i < dead.length(); i++) {
                n += dead.get(i) == 0 ? 1 : 0;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            timer.shutdownNow();
            for (Socket s : sockets) {
                s.close();
            }
            System.out.println("slow clients closed; " + Arrays.toString(new int[] {open()}) + " were open");
        }
    }
}
