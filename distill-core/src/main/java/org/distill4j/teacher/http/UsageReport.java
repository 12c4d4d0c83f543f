package org.distill4j.teacher.http;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.distill4j.io.AtomicFiles;

/**
 * What one collection run cost and did, written as {@value #FILE} next to the journal. Counts are of
 * this run only; items read from the journal cost nothing.
 *
 * @param requestsSent HTTP requests sent, retries included
 * @param responsesByStatus complete HTTP responses by status code (requests that timed out or
 *     lost their connection have none)
 * @param retries requests that were retries of an earlier attempt
 * @param errorsByKind failed attempts by {@link ErrorKind#wireName()}
 * @param promptTokens prompt tokens the server reported (OpenAI {@code usage})
 * @param completionTokens completion tokens the server reported
 * @param itemsTotal rows of the data set
 * @param itemsUnique distinct payloads among them (one request item each)
 * @param itemsDeduplicated rows that shared a payload with an earlier row ({@code total - unique})
 * @param itemsFromJournal unique items already completed in the journal
 * @param itemsCollected unique items completed in this run
 * @param itemsFailed unique items that failed for good in this run
 * @param itemsMostlyOutside items collected in this run whose answer put more than half its
 *     probability outside the label set (OpenAI; renormalised away, so worth a look at the prompt)
 * @param wallSeconds wall-clock seconds of the run
 * @param itemsPerSecond items collected in this run per wall-clock second
 * @param itemsByLabelSource OpenAI: items collected in this run by where their label came from
 *     ({@code logprobs}, {@code text}, {@code samples}); empty for v2
 * @param answersUnmappable OpenAI: completions (a hard label's answer, or one sample) that named
 *     no class: counted, never labelled
 * @param logprobsUnsupported OpenAI: true if the server answered without the log-probabilities
 *     asked for (the run then stopped or switched to hard labels, per {@code on_missing_logprobs})
 */
public record UsageReport(
        long requestsSent,
        Map<String, Long> responsesByStatus,
        long retries,
        Map<String, Long> errorsByKind,
        long promptTokens,
        long completionTokens,
        long itemsTotal,
        long itemsUnique,
        long itemsDeduplicated,
        long itemsFromJournal,
        long itemsCollected,
        long itemsFailed,
        long itemsMostlyOutside,
        double wallSeconds,
        double itemsPerSecond,
        Map<String, Long> itemsByLabelSource,
        long answersUnmappable,
        boolean logprobsUnsupported) {

    /** The report's file name, next to the journal. */
    public static final String FILE = "usage.json";

    /** Copies the maps into sorted, unmodifiable ones. */
    public UsageReport {
        responsesByStatus = java.util.Collections.unmodifiableMap(new TreeMap<>(responsesByStatus));
        errorsByKind = java.util.Collections.unmodifiableMap(new TreeMap<>(errorsByKind));
        itemsByLabelSource = java.util.Collections.unmodifiableMap(
                itemsByLabelSource == null ? new TreeMap<>() : new TreeMap<>(itemsByLabelSource));
    }

    /** Writes this report as pretty JSON to {@code dir/usage.json}, atomically. */
    public void write(Path dir) throws IOException {
        AtomicFiles.write(
                dir.resolve(FILE),
                JournalJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    }

    /** Reads a report written by {@link #write}. */
    public static UsageReport read(Path dir) throws IOException {
        return JournalJson.MAPPER.readValue(dir.resolve(FILE).toFile(), UsageReport.class);
    }
}
