package org.distill4j.recipe;

/**
 * A recipe is invalid. The message names the recipe, the key (dotted path such as {@code
 * student.training.learning_rate}), the offending value and what is allowed.
 */
public final class RecipeException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String key;

    /**
     * Creates the exception.
     *
     * @param key the dotted key at fault, or empty when the whole recipe is at fault
     * @param message the full message
     */
    public RecipeException(String key, String message) {
        super(message);
        this.key = key;
    }

    /**
     * Creates the exception with a cause.
     *
     * @param key the dotted key at fault
     * @param message the full message
     * @param cause what was thrown underneath
     */
    public RecipeException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** Returns the dotted key at fault (empty for the recipe as a whole). */
    public String key() {
        return key;
    }
}
