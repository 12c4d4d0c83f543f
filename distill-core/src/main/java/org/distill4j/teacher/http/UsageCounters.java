package org.distill4j.teacher.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one collection run, summed into its {@link UsageReport}; thread-safe. */
final class UsageCounters {
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final LongAdder promptTokens = new LongAdder();
    final LongAdder completionTokens = new LongAdder();
    final LongAdder collected = new LongAdder();
    final LongAdder mostlyOutside = new LongAdder();
    final Map<String, LongAdder> labelSources = new ConcurrentHashMap<>();
    final LongAdder unmappable = new LongAdder();
    volatile boolean logprobsUnsupported;

    void status(int code) {
        statuses.computeIfAbsent(Integer.toString(code), k -> new LongAdder()).increment();
    }

    void error(ErrorKind kind) {
        errors.computeIfAbsent(kind.wireName(), k -> new LongAdder()).increment();
    }

    void labelSource(String source) {
        if (!source.isEmpty()) {
            labelSources.computeIfAbsent(source, k -> new LongAdder()).increment();
        }
    }

    UsageReport report(long total, long unique, long fromJournal, long collected, long failed, double wall) {
        Map<String, Long> s = new LinkedHashMap<>();
        statuses.forEach((k, v) -> s.put(k, v.sum()));
        Map<String, Long> e = new LinkedHashMap<>();
        errors.forEach((k, v) -> e.put(k, v.sum()));
        Map<String, Long> sources = new LinkedHashMap<>();
        labelSources.forEach((k, v) -> sources.put(k, v.sum()));
        return new UsageReport(
                requests.get(),
                s,
                retries.get(),
                e,
                promptTokens.sum(),
                completionTokens.sum(),
                total,
                unique,
                total - unique,
                fromJournal,
                collected,
                failed,
                mostlyOutside.sum(),
                wall,
                wall > 0 ? collected / wall : 0,
                sources,
                unmappable.sum(),
                logprobsUnsupported);
    }
}
