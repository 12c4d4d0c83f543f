package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code distill serve}'s monitor options: {@code --monitor-budget} needs {@code --monitor}; a
 * language model is monitored; {@code --api-keys-file} and {@code --admin-key-file} open {@code GET
 * /admin/monitor} to the admin key only, and no key is ever printed.
 */
class ServeMonitorCommandTest {

    static final String KEY_A = "sk-alpha-31c7e0";
    static final String KEY_B = "sk-beta-8d02f4";
    static final String ADMIN = "adm-root-5a9b17";

    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the check it would serve forever
    void aBudgetWithoutAMonitorIsAnError(@TempDir Path tmp) throws Exception {
        Path dir = ServeCommandTest.model(tmp.resolve("m"));
        CliTest.Run r = CliTest.distill("serve", dir.toString(), "--port", "0", "--monitor-budget", "500");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--monitor-budget 500 has no effect without --monitor");
    }

    @Test
    void badKeyFilesAreRefusedWithoutShowingAKey(@TempDir Path tmp) throws Exception {
        Path dir = ServeCommandTest.model(tmp.resolve("m"));
        Path keys = Files.writeString(tmp.resolve("keys"), "# clients\n" + KEY_A + "\n\n" + KEY_B + "\n");
        Path same = Files.writeString(tmp.resolve("same"), KEY_B + "\n");
        CliTest.Run r = CliTest.distill(
                "serve",
                dir.toString(),
                "--port",
                "0",
                "--api-keys-file",
                keys.toString(),
                "--admin-key-file",
                same.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("also a client API key").doesNotContain(KEY_B);
        Path twice = Files.writeString(tmp.resolve("twice"), KEY_A + "\n" + KEY_A + "\n");
        r = CliTest.distill("serve", dir.toString(), "--port", "0", "--api-keys-file", twice.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("line 2 repeats a key").doesNotContain(KEY_A);
        r = CliTest.distill(
                "serve",
                dir.toString(),
                "--port",
                "0",
                "--admin-key-file",
                tmp.resolve("none").toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--admin-key-file", "no such file");
    }

    @Test
    void aLanguageModelIsMonitoredAndItsStatusIsForTheAdmin(@TempDir Path tmp) throws Exception {
        Path dir = ServeCommandTest.tinyLanguageModel(tmp.resolve("lm")); // context 32: the prompt is 25 tokens
        Path keys = Files.writeString(tmp.resolve("keys"), KEY_A + "\n" + KEY_B + "\n");
        Path admin = Files.writeString(tmp.resolve("admin"), ADMIN + "\n");
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synchronized (CliTest.class) {
            try {
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                Thread serve = new Thread(() -> DistillCommand.execute(
                        "serve",
                        dir.toString(),
                        "--port",
                        "0",
                        "--monitor",
                        "log",
                        "--monitor-budget",
                        "20",
                        "--api-keys-file",
                        keys.toString(),
                        "--admin-key-file",
                        admin.toString()));
                serve.start();
                Pattern url = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)");
                Matcher m;
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (!(m = url.matcher(out.toString(StandardCharsets.UTF_8))).find()) {
                    assertThat(System.nanoTime())
                            .as("no URL printed; stderr: %s", err)
                            .isLessThan(deadline);
                    assertThat(serve.isAlive())
                            .as("serve exited; stderr: %s", err)
                            .isTrue();
                    Thread.sleep(50);
                }
                URI base = URI.create(m.group(1));
                HttpClient client = HttpClient.newHttpClient();
                StringBuilder replies = new StringBuilder();
                // 25 scored positions (BOS + 24 bytes) > budget 20: key A is flagged by volume.
                HttpResponse<String> scored = client.send(
                        HttpRequest.newBuilder(base.resolve("/v1/completions"))
                                .header("Content-Type", "application/json")
                                .header("Authorization", "Bearer " + KEY_A)
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"lm\", \"prompt\": "
                                        + "\"twenty-four bytes of it.\", \"max_tokens\": 0, \"echo\": true, "
                                        + "\"logprobs\": 2}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
                replies.append(scored.body());
                int[] codes = new int[3];
                String[] auth = {ADMIN, KEY_A, KEY_B};
                String status = null;
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(base.resolve("/admin/monitor"))
                                    .header("Authorization", "Bearer " + auth[i])
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    codes[i] = r.statusCode();
                    replies.append(r.body()).append(r.headers());
                    status = i == 0 ? r.body() : status;
                }
                assertThat(codes).containsExactly(200, 401, 401);
                assertThat(status)
                        .contains("\"flagged\":true", "\"items\":25", "volume: 25 items")
                        .contains("\"client\":\"key:");
                serve.interrupt();
                serve.join(30_000);
                String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8) + replies;
                assertThat(all).contains("extraction monitor on, policy log", "GET /admin/monitor");
                assertThat(all).doesNotContain(KEY_A).doesNotContain(KEY_B).doesNotContain(ADMIN);
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
        }
    }
}
