package org.distill4j.cli;

/** The exit codes of {@code distill}, documented in the README. */
final class ExitCodes {

    /** Success. */
    static final int OK = 0;
    /** An unexpected failure (a bug, or an I/O error not covered below). */
    static final int SOFTWARE = 1;
    /** Bad command line or recipe. */
    static final int USAGE = 2;
    /** Missing or corrupt data or model files. */
    static final int DATA = 3;
    /** Training diverged (non-finite loss). */
    static final int DIVERGED = 4;
    /** The teacher's terms do not allow this distillation (no permission recorded). */
    static final int REFUSED = 5;
    /**
     * {@code provenance verify} found files that differ from the manifest or the signature, or a
     * model failed signature verification ({@code --verify-key}, {@code --require-signed}).
     */
    static final int TAMPERED = 6;
    /** An HTTP teacher rejected the API key, or some items failed for good (rerun to retry them). */
    static final int TEACHER_API = 7;
    /** {@code check --strict} found something to warn about in the recipe's data. */
    static final int CHECK_WARNINGS = 8;

    private ExitCodes() {}
}
