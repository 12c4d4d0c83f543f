package org.distill4j.teacher.http;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A collection in its own JVM, for the kill-and-resume test: {@code CollectorMain <baseUrl>
 * <journalDir> <keyFile> <rows>} labels {@link TextSet#cycling} rows with {@link #config}.
 */
public final class CollectorMain {

    private CollectorMain() {}

    /** The configuration both the child and the resuming test use. */
    static HttpTeacherConfig config(String baseUrl, ApiKey key) {
        return HttpTeacherConfig.builder(Protocol.OPENAI, baseUrl, "fake-chat")
                .optApiKey(key)
                .optConcurrency(2)
                .optRetry(LabelCollectorTest.FAST)
                .optTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** The data both use. */
    static TextSet data(int rows) {
        return TextSet.cycling(rows, rows, List.of("positive", "negative", "neutral", "mixed"));
    }

    /** Runs the collection. */
    public static void main(String[] args) throws Exception {
        ApiKey key = ApiKey.fromFile(Path.of(args[2]));
        new LabelCollector(config(args[0], key))
                .collect(
                        data(Integer.parseInt(args[3])),
                        Path.of(args[1]),
                        (total, done, failed) -> System.err.println("progress " + done + "/" + total + " with " + key));
    }
}
