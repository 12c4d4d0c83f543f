package org.distill4j.terms;

import java.io.ByteArrayInputStream;
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
import org.distill4j.io.Hashing;

/**
 * Immutable set of {@link TermsEntry terms entries}: the built-in registry shipped in {@value
 * #BUILT_IN_RESOURCE}, then any user files of the same schema, applied in the order given.
 *
 * <p>Override semantics: a later file may add new ids, and an entry whose id already exists
 * <em>replaces</em> the earlier entry as a whole (fields are not merged, so a replacement must be
 * complete). Replacing a <em>built-in</em> entry needs {@code override_built_in: true} on the
 * user's entry; without it the file is refused, so a terms file next to a recipe cannot silently
 * turn a vendor's prohibition into a permission. Within one file ids must be unique. {@link
 * #originOf(String)} says where every entry came from (built-in, or file path and SHA-256, and
 * whether it overrides), for {@code terms show}, the provenance and the model card.
 *
 * <p>Every file is validated on load; a violation throws {@link TermsException} naming the file,
 * entry, field and allowed values.
 */
public final class TermsRegistry {

    /** Classpath location of the built-in registry. */
    public static final String BUILT_IN_RESOURCE = "/org/distill4j/terms/registry.yaml";

    /** The {@link #origin(String)} of entries from the built-in registry. */
    public static final String BUILT_IN_ORIGIN = "built-in registry";

    /** The largest terms file read, in bytes (a registry of a few hundred entries is far smaller). */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /**
     * Where an entry came from: the built-in registry, or a user file named by path and the
     * SHA-256 of its bytes as read, and whether it explicitly replaced a built-in entry.
     *
     * @param file the user file's path, or null for the built-in registry
     * @param sha256 hex SHA-256 of the user file, or null for the built-in registry
     * @param overridesBuiltIn whether the entry replaced a built-in one ({@code override_built_in: true})
     */
    public record Origin(String file, String sha256, boolean overridesBuiltIn) {

        static final Origin BUILT_IN = new Origin(null, null, false);

        /** Whether the entry is the built-in one. */
        public boolean builtIn() {
            return file == null;
        }

        /** In words: {@link #BUILT_IN_ORIGIN}, or {@code user file PATH (sha256 HEX)[, overrides ...]}. */
        public String describe() {
            return builtIn()
                    ? BUILT_IN_ORIGIN
                    : "user file " + file + " (sha256 " + sha256 + ")"
                            + (overridesBuiltIn ? ", which overrides the built-in entry of the same id" : "");
        }

        /** JSON-friendly form, for provenance: {@code kind}, and for a file its path, hash and override. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", builtIn() ? "built-in" : "user-file");
            if (!builtIn()) {
                m.put("file", file);
                m.put("sha256", sha256);
                m.put("overrides_built_in", overridesBuiltIn);
            }
            return m;
        }
    }

    private final Map<String, TermsEntry> entries;
    private final Map<String, Origin> origins;

    private TermsRegistry(Map<String, TermsEntry> entries, Map<String, Origin> origins) {
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
        Map<String, Origin> origins = new LinkedHashMap<>();
        for (TermsEntry e : readBuiltIn()) {
            entries.put(e.id(), e);
            origins.put(e.id(), Origin.BUILT_IN);
        }
        java.util.Set<String> builtInIds = java.util.Set.copyOf(entries.keySet());
        for (Path file : userFiles) {
            String label = file.toString();
            byte[] bytes;
            try {
                long size = Files.size(file);
                if (size > MAX_FILE_BYTES) {
                    throw new TermsException(
                            label,
                            null,
                            null,
                            size + " bytes, expected at most " + MAX_FILE_BYTES + " for a terms file");
                }
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new TermsException(label, null, null, "cannot read the file: " + e, e);
            }
            String sha256 = Hashing.sha256(bytes);
            List<TermsFileParser.Parsed> parsed = TermsFileParser.parseEntries(label, new ByteArrayInputStream(bytes));
            for (int i = 0; i < parsed.size(); i++) {
                TermsFileParser.Parsed p = parsed.get(i);
                String id = p.entry().id();
                boolean builtIn = builtInIds.contains(id);
                String ref = "entries[" + i + "] (id '" + id + "')";
                // A user file must not silently redefine a built-in entry (e.g. declare a vendor's
                // terms 'allowed' under the vendor's id and source URL): replacing one is explicit
                // and recorded in the provenance and model card.
                if (builtIn && !p.overridesBuiltIn()) {
                    throw new TermsException(
                            label,
                            ref,
                            "id",
                            "redefines the built-in entry '" + id + "'; give the "
                                    + "entry a new id (e.g. " + id + "-local) and use that id in the recipe, or set "
                                    + "override_built_in: true to replace the built-in entry, which is then recorded in the "
                                    + "provenance and the model card");
                }
                if (!builtIn && p.overridesBuiltIn()) {
                    throw new TermsException(
                            label,
                            ref,
                            "override_built_in",
                            "is true but there is no built-in entry " + "with id '" + id
                                    + "' to override; remove override_built_in");
                }
                entries.put(id, p.entry());
                origins.put(id, new Origin(label, sha256, p.overridesBuiltIn()));
            }
        }
        // Unmodifiable views over private copies: Map.copyOf would lose the file order.
        return new TermsRegistry(Collections.unmodifiableMap(entries), Collections.unmodifiableMap(origins));
    }

    private static List<TermsEntry> readBuiltIn() {
        try (InputStream in = TermsRegistry.class.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (in == null) {
                throw new TermsException(
                        BUILT_IN_ORIGIN,
                        null,
                        null,
                        "resource " + BUILT_IN_RESOURCE + " is missing from the classpath");
            }
            return TermsFileParser.parse(BUILT_IN_ORIGIN, in);
        } catch (IOException e) {
            throw new TermsException(BUILT_IN_ORIGIN, null, null, "cannot read: " + e, e);
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

    /**
     * Where the entry with this id was loaded from, in words: {@link #BUILT_IN_ORIGIN} or {@code
     * user file PATH (sha256 HEX)}, noting an override of a built-in entry (see {@link Origin#describe()}).
     */
    public Optional<String> origin(String id) {
        return Optional.ofNullable(origins.get(id)).map(Origin::describe);
    }

    /**
     * Where the entry with this id was loaded from.
     *
     * @throws UnknownTermsIdException when no file declares it
     */
    public Origin originOf(String id) {
        get(id);
        return origins.get(id);
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
