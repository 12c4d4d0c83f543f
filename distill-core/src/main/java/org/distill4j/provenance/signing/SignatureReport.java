package org.distill4j.provenance.signing;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link SignatureVerifier} found: whether the signature is genuine for the key given and
 * which files differ from what was signed. Immutable; file lists are in path order, paths relative
 * to the model directory with '/' separators.
 *
 * @param modelDir the directory verified
 * @param signatureFile the signature file read
 * @param status the outcome
 * @param problem why the signature itself was rejected ({@link Status#BAD_SIGNATURE}); {@code
 *     null} otherwise
 * @param signedFiles how many files the signature covers (0 unless the signature was genuine)
 * @param changed signed files whose content differs now
 * @param missing signed files no longer present
 * @param added files present that were not signed (hidden files and sub-directories included)
 * @param refused symbolic links and special files present, with why
 */
public record SignatureReport(
        Path modelDir,
        Path signatureFile,
        Status status,
        String problem,
        int signedFiles,
        List<String> changed,
        List<String> missing,
        List<String> added,
        List<String> refused) {

    /** The outcome of a verification. */
    public enum Status {
        /** Genuine signature for this key, and every file matches it. */
        VERIFIED,
        /** No signature file. */
        UNSIGNED,
        /** The signature is malformed, made with another key, or does not cover its statement. */
        BAD_SIGNATURE,
        /** Genuine signature, but files were changed, removed, added, or are links. */
        FILES_DIFFER
    }

    /** Makes defensive copies. */
    public SignatureReport {
        Objects.requireNonNull(modelDir, "modelDir");
        Objects.requireNonNull(signatureFile, "signatureFile");
        Objects.requireNonNull(status, "status");
        changed = List.copyOf(changed);
        missing = List.copyOf(missing);
        added = List.copyOf(added);
        refused = List.copyOf(refused);
    }

    static SignatureReport rejected(Path modelDir, Path signatureFile, Status status, String problem) {
        return new SignatureReport(
                modelDir, signatureFile, status, problem, 0, List.of(), List.of(), List.of(), List.of());
    }

    /** True only when the signature is genuine and every file matches it. */
    public boolean ok() {
        return status == Status.VERIFIED;
    }

    /** A multi-line, human-readable account naming every file concerned. */
    public String describe() {
        return switch (status) {
            case VERIFIED ->
                "OK: " + modelDir + " matches its signature " + signatureFile + " (" + signedFiles + " signed file"
                        + (signedFiles == 1 ? "" : "s") + " unchanged, nothing added)";
            case UNSIGNED -> "UNSIGNED: " + modelDir + " has no signature (" + signatureFile + " does not exist)";
            case BAD_SIGNATURE -> "FAILED: the signature " + signatureFile + " is not valid for this key: " + problem;
            case FILES_DIFFER -> {
                StringBuilder sb = new StringBuilder("FAILED: ")
                        .append(modelDir)
                        .append(" does not match its signature (genuine, over ")
                        .append(signedFiles)
                        .append(" files)\n");
                changed.forEach(f -> sb.append("  changed:  ").append(f).append('\n'));
                missing.forEach(f -> sb.append("  missing:  ").append(f).append('\n'));
                added.forEach(f -> sb.append("  added:    ").append(f).append(" (not signed)\n"));
                refused.forEach(f -> sb.append("  refused:  ").append(f).append('\n'));
                yield sb.toString().stripTrailing();
            }
        };
    }
}
