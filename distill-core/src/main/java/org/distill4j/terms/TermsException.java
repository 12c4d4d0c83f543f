package org.distill4j.terms;

import java.util.Optional;

/**
 * A terms file could not be read or does not follow the registry schema. The message names the
 * file, the entry (index and id when known), the field, the bad value and what is allowed, so a
 * user can fix the file without reading code.
 */
public class TermsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String file;
    private final String entry;
    private final String field;
    private final String problem;

    /**
     * @param file the file label (path, or "built-in registry")
     * @param entry the entry reference, e.g. {@code entries[3] (id 'llama-3.1')}; null for the file
     * @param field the field path, e.g. {@code conditions[0].type}; null when not field-specific
     * @param problem what is wrong and what is allowed
     */
    public TermsException(String file, String entry, String field, String problem) {
        this(file, entry, field, problem, null);
    }

    /** As {@link #TermsException(String, String, String, String)}, with a cause. */
    public TermsException(String file, String entry, String field, String problem, Throwable cause) {
        super(format(file, entry, field, problem), cause);
        this.file = file;
        this.entry = entry;
        this.field = field;
        this.problem = problem;
    }

    private static String format(String file, String entry, String field, String problem) {
        StringBuilder sb = new StringBuilder(String.valueOf(file));
        if (entry != null) {
            sb.append(": ").append(entry);
        }
        if (field != null) {
            sb.append(entry == null ? ": " : ", ")
                    .append("field '")
                    .append(field)
                    .append('\'');
        }
        return sb.append(": ").append(problem).toString();
    }

    /** The file the problem is in. */
    public String file() {
        return file;
    }

    /** The entry reference, when the problem is inside an entry. */
    public Optional<String> entry() {
        return Optional.ofNullable(entry);
    }

    /** The field path, when the problem is about one field. */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /** What is wrong, without the location prefix. */
    public String problem() {
        return problem;
    }
}
