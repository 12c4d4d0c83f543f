package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.distill4j.spark.LabelJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark task of the HTTP path killed mid-partition ({@code SparkContext.killTaskAttempt}, which
 * interrupts the task thread and reschedules it) after its collector has journaled some answers:
 * the retried attempt resumes from the bucket's journal, so no answered item is asked again (the
 * loopback server counts every answer per item), and the output holds every row once.
 */
class SparkHttpKillTest {

    static final List<String> LABELS = List.of("fruit", "code", "tree", "net");
    static final String KEY = "sk-spark-kill-7c1d";

    @Test
    void aKilledTaskIsRetriedFromItsJournalAndAsksNoAnsweredItemTwice(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        for (String split : List.of("train", "test")) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < (split.equals("train") ? 60 : 8); i++) {
                b.append(SparkHttpLabelTest.JSON.writeValueAsString(
                                Map.of("text", "kill item " + i + " of " + split, "label", LABELS.get(i % 4))))
                        .append('\n');
            }
            Files.writeString(data.resolve(split + ".jsonl"), b);
        }
        Path keyFile = Files.writeString(tmp.resolve("key.txt"), KEY + "\n");
        // One item a request, one request in flight a task (concurrency 2 shared by 2 tasks), 60 ms a request.
        try (FakeTeacherServer server = new FakeTeacherServer(KEY, LABELS).latencyMillis(60)) {
            Path recipe = tmp.resolve("http.yaml");
            Files.writeString(recipe, """
                    name: spark-http-kill
                    seed: 3
                    data: {format: jsonl, dir: %s, features: {max_features: 16}, validation_fraction: 0}
                    teacher:
                      source: http
                      terms: mit
                      http: {protocol: v2, url: '%s', model: m, api_key_file: %s, requests_per_minute: 60000,
                             batch_size: 1, concurrency: 2}
                    student:
                      model: {type: mlp, hidden: [4]}
                      training: {epochs: 1, batch_size: 32}
                    """.formatted(data, server.baseUrl(), keyFile));

            SparkSession spark = SparkSession.builder()
                    .master("local[2,3]")
                    .appName("distill4j-http-kill-test")
                    .config("spark.ui.enabled", "false")
                    .getOrCreate();
            Map<Integer, Long> running = new ConcurrentHashMap<>(); // partition -> task id of its attempt
            Map<Long, String> ended = new ConcurrentHashMap<>();
            AtomicInteger killed = new AtomicInteger();
            spark.sparkContext().addSparkListener(new SparkListener() {
                @Override
                public void onTaskStart(SparkListenerTaskStart start) {
                    running.put(start.taskInfo().index(), start.taskInfo().taskId());
                }

                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    ended.put(end.taskInfo().taskId(), end.reason().toString());
                    if (end.reason() instanceof TaskKilled) {
                        killed.incrementAndGet();
                    }
                }
            });
            try {
                Path out = tmp.resolve("labels");
                CompletableFuture<LabelJob.Result> job = CompletableFuture.supplyAsync(() -> {
                    try {
                        return LabelJob.run(
                                spark, LabelJob.Config.of(recipe, "train", out).withSizes(512, 30));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                // Wait until bucket 0's journal holds some answers (header + 5 lines), then kill its task.
                Path journal = tmp.resolve("labels.journals")
                        .resolve("bucket-00000-of-00002")
                        .resolve(CollectionJournal.FILE);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (lines(journal) < 6 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(lines(journal)).as("journal lines before the kill").isBetween(6L, 25L);
                long victim = running.get(0);
                spark.sparkContext().killTaskAttempt(victim, true, "test: killed mid-partition");
                LabelJob.Result r = job.get(120, TimeUnit.SECONDS);

                assertThat(killed.get())
                        .as("task attempts killed; ended: %s", ended)
                        .isEqualTo(1);
                assertThat(ended.get(victim)).startsWith("TaskKilled");
                assertThat(r.rows()).isEqualTo(60);
                assertThat(r.failedRows()).isZero();
                Map<Long, float[]> got = SparkHttpLabelTest.read(spark, out);
                for (int i = 0; i < 60; i++) {
                    assertThat(got.get((long) i))
                            .as("row %d", i)
                            .containsExactly(FakeTeacherServer.logits("kill item " + i + " of train", LABELS.size()));
                }
                // Nothing answered was asked again: at most the one request in flight when the task
                // was killed (answered by the server, never journaled by the dead attempt) is repeated.
                Map<String, Integer> answers = server.successes();
                assertThat(answers).hasSize(60);
                assertThat(answers.values().stream().filter(n -> n > 1).count())
                        .as("items answered twice: %s", answers)
                        .isLessThanOrEqualTo(1);
                assertThat(answers.values()).allMatch(n -> n <= 2);
                // The retried attempt found its bucket's answers in the journal.
                UsageReport bucket0 = UsageReport.read(journal.getParent());
                assertThat(bucket0.itemsFromJournal()).isGreaterThanOrEqualTo(5);
            } finally {
                spark.stop();
            }
        }
    }

    private static long lines(Path file) throws java.io.IOException {
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        try (var s = Files.lines(file)) {
            return s.count();
        }
    }
}
