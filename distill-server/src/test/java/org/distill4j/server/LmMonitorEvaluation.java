package org.distill4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.distill4j.guard.ExtractionMonitor;
import org.distill4j.io.AtomicFiles;
import org.distill4j.lm.corpus.Document;
import org.distill4j.teacher.http.lm.HttpTopKCollector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor's evaluation on the LM routes (run by {@code tools/monitor-eval.sh}; off unless
 * {@code -Dmonitor.eval=true}): on the Debian descriptions, the project's top-k collector walks the
 * training split in 128-token windows while, on the same server with the default monitor (policy
 * log, 10,000 items per hour), benign clients send the same number of requests: two chat users and
 * two completion users on the test split in natural order, and one perplexity scorer (echo +
 * logprobs of each test item, the evaluation-harness pattern). Writes {@code monitor.eval.out}.
 */
@EnabledIfSystemProperty(named = "monitor.eval", matches = "true")
class LmMonitorEvaluation {

    @TempDir
    static Path tmp;

    @Test
    void evaluate() throws Exception {
        Path data = data();
        List<Document> train = read(data.resolve("train.jsonl.gz"), 400);
        List<String> test = new ArrayList<>();
        read(data.resolve("test.jsonl.gz"), 2000).forEach(d -> test.add(d.text()));
        Path model = LmTraffic.model(tmp.resolve("lm"));
        Map<String, String> keys = new LinkedHashMap<>();
        for (String role : List.of(
                "collector",
                "chat user 1",
                "chat user 2",
                "completion user 1",
                "completion user 2",
                "perplexity scorer")) {
            keys.put(role, "sk-" + Integer.toHexString(role.hashCode()) + "-" + System.nanoTime());
        }
        String admin = "adm-" + System.nanoTime();
        ServingGuard guard = new ServingGuard(
                null,
                new ExtractionMonitor(ExtractionMonitor.Config.defaults(ExtractionMonitor.Policy.LOG)),
                Duration.ofSeconds(1),
                Clock.systemUTC());
        ObjectNode out = Http.JSON.createObjectNode();
        long t0 = System.nanoTime();
        try (ModelServer server = ModelServer.builder()
                .optPort(0)
                .optApiKeys(List.copyOf(keys.values()))
                .optAdminKey(admin)
                .optRequestObserver(guard)
                .optOutputFilter(guard)
                .optMonitorStatus(guard::statusDocument)
                .addLanguageModel(ServedLanguageModel.load("lm", model))
                .build()
                .start()) {
            Http http = new Http(server.baseUri());
            Path keyFile = tmp.resolve("collector.key");
            Files.writeString(keyFile, keys.get("collector"));
            // About 300 windows of 128 tokens.
            List<Document> corpus = new ArrayList<>();
            long bytes = 0;
            for (Document d : train) {
                if (bytes > 300L * 128) {
                    break;
                }
                corpus.add(d);
                bytes += d.text().getBytes(StandardCharsets.UTF_8).length + 2;
            }
            HttpTopKCollector.Result r = LmTraffic.collect(
                    LmTraffic.collector(server, "lm", keyFile, 20), corpus, 128, 20, tmp.resolve("c.topk"));
            int n = r.windows();
            LmTraffic.chat(http, "lm", keys.get("chat user 1"), test, n);
            LmTraffic.chat(http, "lm", keys.get("chat user 2"), test.subList(1000, test.size()), n);
            LmTraffic.complete(http, "lm", keys.get("completion user 1"), test, n);
            LmTraffic.complete(http, "lm", keys.get("completion user 2"), test.subList(1000, test.size()), n);
            for (int i = 0; i < n; i++) {
                Http.Reply s = LmTraffic.score(
                        http, "lm", keys.get("perplexity scorer"), LmTraffic.abbreviate(test.get(i), 250), 5);
                if (s.status() != 200) {
                    throw new IllegalStateException("scoring " + i + ": HTTP " + s.status() + " " + s.error());
                }
            }
            JsonNode status = http.get("/admin/monitor", "Authorization", "Bearer " + admin)
                    .body();
            out.put("windows", n);
            out.put("window_tokens", 128);
            out.put("k", 20);
            out.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
            out.set("settings", ((ObjectNode) status.deepCopy()).without("clients"));
            ArrayNode clients = out.putArray("clients");
            for (Map.Entry<String, String> e : keys.entrySet()) {
                String id = ApiKey.fingerprint(e.getValue().getBytes(StandardCharsets.UTF_8));
                ObjectNode c = MonitorStatusTest.client(status, id).deepCopy();
                c.remove(List.of("client", "spread", "median_min_distance", "shapiro_wilk_w"));
                clients.addObject().put("role", e.getKey()).setAll(c);
            }
        }
        String json = out.toPrettyString();
        for (String k : keys.values()) {
            if (json.contains(k)) {
                throw new AssertionError("a key appears in the evaluation's output");
            }
        }
        System.out.println(json);
        Path target = Path.of(
                System.getProperty("monitor.eval.out", tmp.resolve("lm.json").toString()));
        AtomicFiles.writeString(target, json + "\n");
    }

    static Path data() {
        String given = System.getProperty("monitor.eval.data");
        if (given != null) {
            return Path.of(given);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared/data/debian-descriptions");
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        throw new IllegalStateException("no shared/data/debian-descriptions above "
                + Path.of("").toAbsolutePath() + "; give -Dmonitor.eval.data=DIR");
    }

    static List<Document> read(Path file, int max) throws Exception {
        List<Document> docs = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && docs.size() < max) {
                JsonNode j = Http.JSON.readTree(line);
                docs.add(new Document(j.get("id").asText(), j.get("text").asText()));
            }
        }
        return docs;
    }
}
