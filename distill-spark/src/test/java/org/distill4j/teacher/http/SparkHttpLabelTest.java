package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.distill4j.spark.LabelJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job with an HTTP teacher (a real Jetty server on loopback): every distinct item asked
 * once across all tasks, outputs equal to the server's answers, a rerun asks nothing again, usage
 * summed, and the key nowhere in Spark's event log.
 */
class SparkHttpLabelTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> LABELS = List.of("fruit", "code", "tree", "net");
    static final String KEY = "sk-spark-test-5f2a9c";

    @Test
    void httpTeacherOnSparkAsksEachItemOnceResumesFromJournalsAndKeepsTheKeyOutOfTheEventLog(@TempDir Path tmp)
            throws Exception {
        // 90 training rows over 30 distinct texts: each text appears three times, in different buckets' reach.
        Path data = Files.createDirectories(tmp.resolve("data"));
        List<String> texts = new ArrayList<>();
        for (String split : List.of("train", "test")) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < (split.equals("train") ? 90 : 8); i++) {
                String text = "item " + (i % 30) + " of " + split;
                if (split.equals("train")) {
                    texts.add(text);
                }
                b.append(JSON.writeValueAsString(Map.of("text", text, "label", LABELS.get(i % 4))))
                        .append('\n');
            }
            Files.writeString(data.resolve(split + ".jsonl"), b);
        }
        Path keyFile = tmp.resolve("key.txt");
        Files.writeString(keyFile, KEY + "\n");
        Path events = Files.createDirectories(tmp.resolve("events"));
        try (FakeTeacherServer server = new FakeTeacherServer(KEY, LABELS)) {
            server.fault(texts.get(4), FakeTeacherServer.Fault.ERROR_503); // retried by the collector
            Path recipe = tmp.resolve("http.yaml");
            Files.writeString(recipe, """
                    name: spark-http
                    seed: 3
                    data: {format: jsonl, dir: %s, features: {max_features: 16}, validation_fraction: 0}
                    teacher:
                      source: http
                      terms: mit
                      http: {protocol: v2, url: '%s', model: m, api_key_file: %s, requests_per_minute: 6000,
                             batch_size: 4, concurrency: 2}
                    student:
                      model: {type: mlp, hidden: [4]}
                      training: {epochs: 1, batch_size: 32}
                    """.formatted(data, server.baseUrl(), keyFile));

            SparkSession spark = SparkSession.builder()
                    .master("local[2,3]")
                    .appName("distill4j-http-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.eventLog.enabled", "true")
                    .config("spark.eventLog.dir", events.toUri().toString())
                    .getOrCreate();
            try {
                Path out = tmp.resolve("labels");
                LabelJob.Result r = LabelJob.run(
                        spark, LabelJob.Config.of(recipe, "train", out).withSizes(512, 30));
                assertThat(r.rows()).isEqualTo(90);
                assertThat(r.partitions()).isEqualTo(3);
                assertThat(r.failedRows()).isZero();

                // Each distinct text answered once in the whole job, though it occurs in three rows.
                for (String t : new LinkedHashSet<>(texts)) {
                    assertThat(server.successesFor(t)).as(t).isEqualTo(1);
                }
                assertThat(server.requestsFor(texts.get(4))).isEqualTo(2); // the 503, then the answer
                Map<Long, float[]> got = read(spark, out);
                assertThat(got.keySet()).hasSize(90);
                for (int i = 0; i < 90; i++) {
                    assertThat(got.get((long) i))
                            .as("row %d", i)
                            .containsExactly(FakeTeacherServer.logits(texts.get(i), LABELS.size()));
                }
                JsonNode m = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
                assertThat(m.at("/collection/usage/items_collected").asLong()).isEqualTo(30);
                assertThat(m.at("/collection/usage/retries").asLong()).isEqualTo(1);
                assertThat(m.at("/collection/concurrent_tasks").asInt()).isEqualTo(2);
                assertThat(m.at("/collection/requests_per_minute_per_task").asDouble())
                        .isEqualTo(3000.0);
                assertThat(m.at("/teacher/kind").asText()).isEqualTo("http-v2");

                // A rerun (the output removed, as after a killed job) asks the server nothing.
                int requests = server.requests();
                deleteTree(out);
                LabelJob.Result again = LabelJob.run(
                        spark, LabelJob.Config.of(recipe, "train", out).withSizes(512, 30));
                assertThat(server.requests()).isEqualTo(requests);
                assertThat(again.rows()).isEqualTo(90);
                JsonNode m2 = JSON.readTree(out.resolve(LabelJob.MANIFEST).toFile());
                assertThat(m2.at("/collection/usage/items_from_journal").asLong())
                        .isEqualTo(30);
                assertThat(m2.at("/collection/usage/requests_sent").asLong()).isZero();
                assertThat(read(spark, out).get(7L)).containsExactly(got.get(7L));
            } finally {
                spark.stop();
            }
        }
        // The key is in no event log, conf dump or output file.
        List<Path> files;
        try (Stream<Path> s = Files.walk(tmp)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> !p.equals(keyFile))
                    .toList();
        }
        assertThat(files).anyMatch(p -> p.startsWith(events));
        for (Path f : files) {
            assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .as(f.toString())
                    .doesNotContain(KEY);
        }
    }

    static Map<Long, float[]> read(SparkSession spark, Path out) {
        Map<Long, float[]> byKey = new HashMap<>();
        Set<Long> seen = new LinkedHashSet<>();
        for (Row r : spark.read().parquet(out.resolve(LabelJob.DATA).toString()).collectAsList()) {
            List<Float> l = r.getList(1);
            float[] f = new float[l.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = l.get(i);
            }
            assertThat(seen.add(r.getLong(0)))
                    .as("duplicate key %d", r.getLong(0))
                    .isTrue();
            byKey.put(r.getLong(0), f);
        }
        return byKey;
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
