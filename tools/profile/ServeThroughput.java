import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;

/**
 * Generation throughput of a running {@code distill serve} (docs/lm-benchmarks.md, "Serving:
 * continuous batching"): C clients at once, each sending R {@code /v1/completions} requests one
 * after another (prompt: the first 8 to 56 characters of a corpus document, varying per request;
 * max_tokens N; temperature 1 with a per-request seed), for each C in a list. Prints per C the
 * completion tokens (from usage), the wall time, tokens/s and the median request latency. With
 * max_tokens 0 it scores instead, as a top-k collector does (echo, logprobs 20, prompts of 8 to
 * 120 characters), and counts prompt tokens.
 *
 * <pre>
 *   java -cp distill-cli/target/distill.jar tools/profile/ServeThroughput.java \
 *     http://127.0.0.1:8080 MODEL CORPUS.jsonl.gz [clients=1,8,32] [requests per client=4] [max_tokens=64]
 * </pre>
 */
public class ServeThroughput {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        String base = args[0];
        String model = args[1];
        List<String> prompts = prompts(Path.of(args[2]), 512);
        String[] clientCounts = (args.length > 3 ? args[3] : "1,8,32").split(",");
        int perClient = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        int maxTokens = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String cs : clientCounts) {
            int c = Integer.parseInt(cs);
            ExecutorService pool = Executors.newFixedThreadPool(c);
            List<Future<long[]>> results = new ArrayList<>();
            long start = System.nanoTime();
            for (int k = 0; k < c; k++) {
                int client = k;
                results.add(pool.submit(() -> {
                    long tokens = 0;
                    long[] out = new long[1 + perClient];
                    for (int r = 0; r < perClient; r++) {
                        int i = client * perClient + r;
                        String prompt = prompts.get(i % prompts.size());
                        int chars = maxTokens == 0 ? 8 + (i * 13) % 113 : 8 + (i * 13) % 49;
                        prompt = prompt.substring(0, Math.min(prompt.length(), chars));
                        ObjectNode req = JSON.createObjectNode()
                                .put("model", model)
                                .put("prompt", prompt)
                                .put("max_tokens", maxTokens)
                                .put("temperature", 1.0)
                                .put("seed", i);
                        if (maxTokens == 0) { // scoring, as a top-k collector asks
                            req.put("echo", true).put("logprobs", 20);
                        }
                        long t0 = System.nanoTime();
                        HttpResponse<String> resp = http.send(
                                HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                                        .header("Content-Type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (resp.statusCode() != 200) {
                            throw new IllegalStateException(resp.statusCode() + ": " + resp.body());
                        }
                        JsonNode body = JSON.readTree(resp.body());
                        tokens += body.at(maxTokens == 0 ? "/usage/prompt_tokens" : "/usage/completion_tokens")
                                .asLong();
                        out[1 + r] = System.nanoTime() - t0;
                    }
                    out[0] = tokens;
                    return out;
                }));
            }
            long tokens = 0;
            List<Long> latencies = new ArrayList<>();
            for (Future<long[]> f : results) {
                long[] r = f.get();
                tokens += r[0];
                for (int i = 1; i < r.length; i++) {
                    latencies.add(r[i]);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            pool.shutdown();
            latencies.sort(null);
            System.out.printf(
                    Locale.ROOT,
                    "clients %d: %d tokens in %.2f s, %.1f tokens/s, median request %.0f ms%n",
                    c,
                    tokens,
                    seconds,
                    tokens / seconds,
                    latencies.get(latencies.size() / 2) / 1e6);
        }
    }

    /** The text of the first {@code n} documents with at least 64 characters. */
    private static List<String> prompts(Path corpus, int n) throws Exception {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
            for (String line; out.size() < n && (line = r.readLine()) != null; ) {
                String text = JSON.readTree(line).path("text").asText();
                if (text.length() >= 64) {
                    out.add(text);
                }
            }
        }
        return out;
    }
}
