package org.distill4j.terms;

import java.net.URI;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The declared terms of one model family or API, as read from its source on a date. Immutable and
 * validated on construction: a conditional verdict needs at least one condition, the clause must
 * be quoted, the source must be an http(s) URL.
 *
 * <p>An entry records what a licence or terms page says; it is not legal advice.
 *
 * @param id stable lower-case id, e.g. {@code llama-3.1} (letters, digits, '.', '-')
 * @param name display name, e.g. "Meta Llama 3.1"
 * @param outputsForTraining the verdict on training another model from the teacher's outputs
 * @param conditions typed conditions, in file order (may be empty unless conditional)
 * @param clause the clause quoted exactly as read (see {@code notes} when exactness is unverified)
 * @param source where the clause was read, an http(s) URL
 * @param readOn the date the clause was read
 * @param notes free-text caveats; empty when none
 */
public record TermsEntry(
        String id,
        String name,
        OutputsForTraining outputsForTraining,
        List<Condition> conditions,
        String clause,
        URI source,
        LocalDate readOn,
        String notes) {

    /** The id syntax: lower-case words of letters and digits joined by '.' or '-'. */
    public static final Pattern ID_PATTERN = Pattern.compile("[a-z0-9]+(?:[.-][a-z0-9]+)*");

    public TermsEntry {
        id = Texts.requireNonBlank(id, "id");
        if (!ID_PATTERN.matcher(id).matches()) {
            throw new IllegalArgumentException(
                    "id '" + id + "' must be lower-case letters and digits joined by '.' or '-', e.g. llama-3.1");
        }
        name = Texts.requireNonBlank(name, "name");
        Objects.requireNonNull(outputsForTraining, "outputs_for_training must not be null");
        conditions = List.copyOf(Objects.requireNonNull(conditions, "conditions must not be null"));
        if (outputsForTraining == OutputsForTraining.CONDITIONAL && conditions.isEmpty()) {
            throw new IllegalArgumentException("a conditional entry needs at least one condition");
        }
        clause = Texts.requireNonBlank(clause, "clause");
        Objects.requireNonNull(source, "source must not be null");
        String scheme = source.getScheme() == null ? "" : source.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || source.getHost() == null) {
            throw new IllegalArgumentException("source '" + source + "' must be an http(s) URL");
        }
        Objects.requireNonNull(readOn, "read_on must not be null");
        notes = Texts.orEmpty(notes);
    }

    /** JSON-friendly form using the registry's field names. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", id);
        map.put("name", name);
        map.put("outputs_for_training", outputsForTraining.yamlValue());
        List<Map<String, Object>> conds = new ArrayList<>();
        conditions.forEach(c -> conds.add(c.toMap()));
        map.put("conditions", conds);
        map.put("clause", clause);
        map.put("source", source.toString());
        map.put("read_on", readOn.toString());
        Texts.putIfPresent(map, "notes", notes);
        return map;
    }
}
