package org.distill4j.teacher.http.lm;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.distill4j.teacher.http.ApiKey;
import org.distill4j.teacher.http.RateLimiter;
import org.distill4j.teacher.http.RetryPolicy;

/** A top-k collection in a child JVM, for {@link HttpTopKResumeTest} to kill: args URL CACHE_FILE. */
public final class TopKCollectMain {

    private TopKCollectMain() {}

    public static void main(String[] args) throws Exception {
        CompletionsTopKClient client = new CompletionsTopKClient(
                URI.create(args[0]),
                "teacher",
                ApiKey.none(),
                HttpTopKResumeTest.K,
                new RateLimiter(0, 0),
                RetryPolicy.DEFAULT,
                Duration.ofSeconds(10));
        HttpTopKCollector.collect(
                Path.of(args[1]),
                client,
                HttpTopKResumeTest.K,
                HttpTopKResumeTest.windows(),
                2,
                HttpTopKResumeTest.KEY);
        System.out.println("finished");
    }
}
