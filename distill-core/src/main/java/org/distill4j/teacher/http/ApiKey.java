package org.distill4j.teacher.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A secret API key, read from an environment variable or a file, sent as {@code Authorization:
 * Bearer <key>}.
 *
 * <p>Contract: the key's value never leaves this class except through {@link #authorization()},
 * which only the HTTP client calls. {@link #toString()} and {@link #source()} name where the key
 * came from (the variable's name or the file's path), never the key; {@link #scrub(String)}
 * removes the key from text a server sent back (some servers echo the header in error bodies)
 * before that text reaches a message, log or file. The key is read once, when the instance is
 * made; surrounding whitespace and a trailing newline in a key file are removed.
 */
public final class ApiKey {

    private static final String REDACTED = "[REDACTED]";
    private static final ApiKey NONE = new ApiKey(null, "no key");

    private final String value;
    private final String source;

    private ApiKey(String value, String source) {
        this.value = value;
        this.source = source;
    }

    /** Returns the absence of a key: no {@code Authorization} header is sent. */
    public static ApiKey none() {
        return NONE;
    }

    /**
     * Reads the key from an environment variable.
     *
     * @param name the variable's name, e.g. {@code OPENAI_API_KEY}
     * @throws IllegalArgumentException if the variable is unset or blank (the message names it)
     */
    public static ApiKey fromEnv(String name) {
        return fromEnv(name, System.getenv());
    }

    /** Reads the key from {@code name} in {@code env} (for tests and embedding programs). */
    static ApiKey fromEnv(String name, java.util.Map<String, String> env) {
        Objects.requireNonNull(name, "name");
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("API key environment variable " + name
                    + " is not set or is blank; export it, or give the key in a file instead");
        }
        return new ApiKey(v.strip(), "environment variable " + name);
    }

    /**
     * Reads the key from a file (its whole content, stripped of surrounding whitespace).
     *
     * @param file a file holding the key and nothing else
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if the file is empty (the message names it)
     */
    public static ApiKey fromFile(Path file) throws IOException {
        String v = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("API key file " + file + " is empty; put the key in it");
        }
        return new ApiKey(v, "file " + file.toAbsolutePath());
    }

    /** Returns true if there is a key to send. */
    public boolean isPresent() {
        return value != null;
    }

    /** Returns where the key came from, e.g. {@code environment variable OPENAI_API_KEY}; never the key. */
    public String source() {
        return source;
    }

    /**
     * Returns the {@code Authorization} header value; only for HTTP clients (this package's and
     * {@code teacher.http.lm}'s), never for output.
     */
    public String authorization() {
        if (value == null) {
            throw new IllegalStateException("no API key");
        }
        return "Bearer " + value;
    }

    /**
     * Returns the bare key, for APIs that take it in their own header (Anthropic's {@code x-api-key});
     * only for this package's HTTP client, never for output.
     */
    String headerValue() {
        if (value == null) {
            throw new IllegalStateException("no API key");
        }
        return value;
    }

    /**
     * Returns {@code text} with every occurrence of the key replaced by {@code [REDACTED]}: apply
     * it to anything a server sent before it goes into a message.
     */
    public String scrub(String text) {
        if (text == null || value == null || value.isEmpty()) {
            return text;
        }
        return text.replace(value, REDACTED);
    }

    @Override
    public String toString() {
        return value == null ? "ApiKey(none)" : "ApiKey(" + source + ", " + REDACTED + ")";
    }
}
