package org.distill4j.teacher.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * When to try a failed request again: exponential backoff with full jitter, or the server's
 * {@code Retry-After} when it sends one.
 *
 * <p>After the n-th failed attempt of an item (n = 1, 2, ...) the wait is uniform in [0,
 * min(backoffCap, backoffBase * 2^(n-1))] ("full jitter": spreads retries of many clients so they
 * do not return in lock-step). If the response carried {@code Retry-After} (seconds or an
 * HTTP-date), that wait is used instead, capped at {@code retryAfterCap} so a misbehaving server
 * cannot park the run for hours. The random source is seeded per item from {@code seed}, so a
 * run's waits are reproducible.
 *
 * @param maxAttempts attempts per item including the first, in [1, 100]
 * @param backoffBase the first backoff bound, > 0
 * @param backoffCap the largest backoff bound, >= backoffBase
 * @param retryAfterCap the longest {@code Retry-After} honoured, >= 0
 * @param seed seed of the jitter
 */
public record RetryPolicy(
        int maxAttempts, Duration backoffBase, Duration backoffCap, Duration retryAfterCap, long seed) {

    /** 6 attempts, backoff 0.5 s doubling to 30 s, {@code Retry-After} honoured up to 120 s, seed 0. */
    public static final RetryPolicy DEFAULT =
            new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(120), 0);

    /** Validates the fields. */
    public RetryPolicy {
        Objects.requireNonNull(backoffBase, "backoffBase");
        Objects.requireNonNull(backoffCap, "backoffCap");
        Objects.requireNonNull(retryAfterCap, "retryAfterCap");
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("illegal maxAttempts value: " + maxAttempts + ", must be in [1, 100]");
        }
        if (backoffBase.isNegative() || backoffBase.isZero()) {
            throw new IllegalArgumentException("illegal backoffBase value: " + backoffBase + ", must be > 0");
        }
        if (backoffCap.compareTo(backoffBase) < 0) {
            throw new IllegalArgumentException(
                    "illegal backoffCap value: " + backoffCap + ", must be >= backoffBase " + backoffBase);
        }
        if (retryAfterCap.isNegative()) {
            throw new IllegalArgumentException("illegal retryAfterCap value: " + retryAfterCap + ", must be >= 0");
        }
    }

    /**
     * Returns the wait after the {@code failedAttempts}-th failure.
     *
     * @param failedAttempts failures so far, >= 1
     * @param retryAfter the server's {@code Retry-After}, if it sent one
     * @param rng the item's jitter source
     */
    public Duration delay(int failedAttempts, Optional<Duration> retryAfter, Random rng) {
        if (retryAfter.isPresent()) {
            Duration d = retryAfter.get();
            return d.compareTo(retryAfterCap) > 0 ? retryAfterCap : d;
        }
        long base = backoffBase.toNanos();
        int shift = Math.min(failedAttempts - 1, 40);
        long bound = base > (backoffCap.toNanos() >> shift) ? backoffCap.toNanos() : base << shift;
        return Duration.ofNanos((long) (rng.nextDouble() * bound));
    }

    /** Returns the jitter source of the item with this key: seeded from {@link #seed()} and the key. */
    public Random jitter(String itemKey) {
        return new Random(seed ^ itemKey.hashCode() * 0x9E3779B97F4A7C15L);
    }

    /**
     * Parses a {@code Retry-After} header: delta-seconds ({@code 120}) or an HTTP-date ({@code Wed,
     * 21 Oct 2015 07:28:00 GMT}). Returns empty for a missing or unparseable value; a date in the
     * past gives zero.
     */
    public static Optional<Duration> parseRetryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String h = header.strip();
        try {
            // Some servers send fractional seconds although RFC 9110 says integer.
            double seconds = Double.parseDouble(h);
            if (!Double.isFinite(seconds) || seconds < 0) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofMillis((long) Math.min(seconds * 1000, Long.MAX_VALUE / 2)));
        } catch (NumberFormatException e) {
            // Not a number: try the date form.
        }
        try {
            Instant at =
                    ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration d = Duration.between(now, at);
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
