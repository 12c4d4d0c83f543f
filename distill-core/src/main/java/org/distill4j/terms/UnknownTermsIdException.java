package org.distill4j.terms;

import java.util.List;

/**
 * A terms id was looked up that no loaded file declares. The message lists close ids (by edit
 * distance or shared prefix) so a typo such as {@code llama3.1} points at {@code llama-3.1}.
 */
public class UnknownTermsIdException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String id;
    private final List<String> closeIds;

    UnknownTermsIdException(String id, List<String> closeIds, int knownCount) {
        super(message(id, closeIds, knownCount));
        this.id = id;
        this.closeIds = List.copyOf(closeIds);
    }

    private static String message(String id, List<String> closeIds, int knownCount) {
        String base = "unknown terms id '" + org.distill4j.io.Snippets.clip(id) + "'";
        if (closeIds.isEmpty()) {
            return base + "; none of the " + knownCount
                    + " known ids is close. List them with TermsRegistry.ids() or see docs/terms.md";
        }
        return base + "; did you mean: " + String.join(", ", closeIds) + "?";
    }

    /** The id that was asked for. */
    public String id() {
        return id;
    }

    /** Known ids close to {@link #id()}, closest first. */
    public List<String> closeIds() {
        return closeIds;
    }
}
