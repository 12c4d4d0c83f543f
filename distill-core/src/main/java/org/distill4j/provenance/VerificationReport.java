package org.distill4j.provenance;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The result of {@link Provenance#verify(Path)}: how a model directory differs from what its
 * manifest recorded. Immutable; lists are sorted by file name.
 *
 * @param modelDir the directory verified
 * @param recordedFiles how many files the manifest recorded
 * @param changed recorded files whose content hash differs
 * @param missing recorded files no longer present
 * @param unrecorded files present that the manifest does not record
 */
public record VerificationReport(
        Path modelDir, int recordedFiles, List<ChangedFile> changed, List<String> missing, List<String> unrecorded) {

    /** Makes defensive copies. */
    public VerificationReport {
        Objects.requireNonNull(modelDir, "modelDir");
        changed = List.copyOf(changed);
        missing = List.copyOf(missing);
        unrecorded = List.copyOf(unrecorded);
    }

    /**
     * A recorded file whose content changed.
     *
     * @param name file name relative to the model directory
     * @param expectedSha256 the hash the manifest recorded
     * @param actualSha256 the hash of the file now
     */
    public record ChangedFile(String name, String expectedSha256, String actualSha256) {

        /** Requires all three. */
        public ChangedFile {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(expectedSha256, "expectedSha256");
            Objects.requireNonNull(actualSha256, "actualSha256");
        }
    }

    /** True when every recorded file is present and unchanged and no file was added. */
    public boolean ok() {
        return changed.isEmpty() && missing.isEmpty() && unrecorded.isEmpty();
    }

    /** A multi-line, human-readable account, suitable for a command's output. */
    public String describe() {
        if (ok()) {
            return "OK: " + modelDir + " matches its " + Provenance.FILE_NAME + " (" + recordedFiles + " recorded file"
                    + (recordedFiles == 1 ? "" : "s") + " unchanged)";
        }
        StringBuilder sb = new StringBuilder("FAILED: ")
                .append(modelDir)
                .append(" does not match its ")
                .append(Provenance.FILE_NAME)
                .append('\n');
        for (ChangedFile c : changed) {
            sb.append("  changed:    ")
                    .append(c.name())
                    .append('\n')
                    .append("    expected sha256 ")
                    .append(c.expectedSha256())
                    .append('\n')
                    .append("    actual   sha256 ")
                    .append(c.actualSha256())
                    .append('\n');
        }
        missing.forEach(m -> sb.append("  missing:    ").append(m).append('\n'));
        unrecorded.forEach(u -> sb.append("  unrecorded: ").append(u).append(" (not in the manifest)\n"));
        return sb.toString().stripTrailing();
    }
}
