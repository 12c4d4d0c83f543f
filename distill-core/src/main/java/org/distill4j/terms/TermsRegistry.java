package org.distill4j.terms;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Immutable set of {@link TermsEntry terms entries}: the built-in registry shipped in {@value
 * #BUILT_IN_RESOURCE}, then any user files of the same schema, applied in the order given.
 *
 * <p>Override semantics: a later file may add new ids, and an entry whose id already exists
 * <em>replaces</em> the earlier entry as a whole (fields are not merged, so a replacement must be
 * complete). Within one file ids must be unique. {@link #origin(String)} says which file an entry
 * came from, so a provenance manifest can show that a built-in entry was overridden.
 *
 * <p>Every file is validated on load; a violation throws {@link TermsException} naming the file,
 * entry, field and allowed values.
 */
public final class TermsRegistry {

    /** Classpath location of the built-in registry. */
    public static final String BUILT_IN_RESOURCE = "/org/distill4j/terms/registry.yaml";

    /** The {@link #origin(String)} of entries from the built-in registry. */
    public static final String BUILT_IN_ORIGIN = "built-in registry";

    private final Map<String, TermsEntry> entries;
    private final Map<String, String> origins;

    private TermsRegistry(Map<String, TermsEntry> entries, Map<String, String> origins) {
        this.entries = entries;
        this.origins = origins;
    }

    /** The built-in registry alone. */
    public static TermsRegistry builtIn() {
        return load(List.of());
    }

    /**
     * The built-in registry followed by {@code userFiles}, in order; later files override earlier
     * entries with the same id.
     *
     * @throws TermsException when a file cannot be read or breaks the schema
     */
    public static TermsRegistry load(List<Path> userFiles) {
        Map<String, TermsEntry> entries = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        addAll(entries, origins, BUILT_IN_ORIGIN, readBuiltIn());
        for (Path file : userFiles) {
            String label = file.toString();
            List<TermsEntry> parsed;
            try (InputStream in = Files.newInputStream(file)) {
                parsed = TermsFileParser.parse(label, in);
            } catch (IOException e) {
                throw new TermsException(label, null, null, "cannot read the file: " + e, e);
            }
            addAll(entries, origins, label, parsed);
        }
        // Unmodifiable views over private copies: Map.copyOf would lose the file order.
        return new TermsRegistry(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(origins));
    }

    private static List<TermsEntry> readBuiltIn() {
        try (InputStream in = TermsRegistry.class.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (in == null) {
                throw new TermsException(BUILT_IN_ORIGIN, null, null,
                        "resource " + BUILT_IN_RESOURCE + " is missing from the classpath");
            }
            return TermsFileParser.parse(BUILT_IN_ORIGIN, in);
        } catch (IOException e) {
            throw new TermsException(BUILT_IN_ORIGIN, null, null, "cannot read: " + e, e);
        }
    }

    private static void addAll(Map<String, TermsEntry> entries, Map<String, String> origins, String origin,
                               List<TermsEntry> parsed) {
        for (TermsEntry e : parsed) {
            entries.put(e.id(), e);
            origins.put(e.id(), origin);
        }
    }

    /** All entries: built-in order first, then ids added by later files; overrides keep their slot. */
    public List<TermsEntry> entries() {
        return List.copyOf(entries.values());
    }

    /** All known ids, in {@link #entries()} order. */
    public List<String> ids() {
        return List.copyOf(entries.keySet());
    }

    /** The entry with this id, if any. */
    public Optional<TermsEntry> find(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /**
     * The entry with this id.
     *
     * @throws UnknownTermsIdException when no file declares it; the message lists close ids
     */
    public TermsEntry get(String id) {
        TermsEntry e = entries.get(id);
        if (e == null) {
            throw new UnknownTermsIdException(id, closeIds(id), entries.size());
        }
        return e;
    }

    /** Where the entry with this id was loaded from: {@link #BUILT_IN_ORIGIN} or a file path. */
    public Optional<String> origin(String id) {
        return Optional.ofNullable(origins.get(id));
    }

    private List<String> closeIds(String id) {
        String wanted = normalise(id);
        record Scored(String id, int distance) {}
        List<Scored> scored = new ArrayList<>();
        for (String known : entries.keySet()) {
            String k = normalise(known);
            int d = levenshtein(wanted, k);
            boolean related = wanted.length() >= 3 && (k.startsWith(wanted) || wanted.startsWith(k));
            if (d <= Math.max(2, wanted.length() / 3) || related) {
                scored.add(new Scored(known, related ? Math.min(d, 1) : d));
            }
        }
        scored.sort(Comparator.comparingInt(Scored::distance).thenComparing(Scored::id));
        return scored.stream().limit(5).map(Scored::id).toList();
    }

    /** Drops case and separators so "Llama3.1" is compared as "llama31" with "llama-3.1". */
    private static String normalise(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }

    private static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
