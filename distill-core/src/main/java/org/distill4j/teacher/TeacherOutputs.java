package org.distill4j.teacher;

/**
 * A teacher's logits for every row of one data set, in row order, held in memory.
 *
 * @param teacherKey the teacher's {@link TeacherIdentity#cacheKey()}
 * @param dataHash the data set's content hash
 * @param rows number of rows
 * @param classes logits per row
 * @param logits row-major float32 logits, {@code rows * classes} of them (not copied: do not
 *     modify)
 */
public record TeacherOutputs(String teacherKey, String dataHash, int rows, int classes, float[] logits) {

    /** Checks that the array matches the declared size. */
    public TeacherOutputs {
        if ((long) rows * classes != logits.length) {
            throw new IllegalArgumentException("teacher outputs hold " + logits.length
                    + " floats, expected rows*classes = " + rows + "*" + classes);
        }
    }

    /**
     * Copies the logits of the given rows into {@code dst}, row after row.
     *
     * @param rowIds row indices in [0, rows)
     * @param dst destination of at least {@code rowIds.length * classes} floats
     */
    public void copyRows(int[] rowIds, float[] dst) {
        for (int i = 0; i < rowIds.length; i++) {
            System.arraycopy(logits, rowIds[i] * classes, dst, i * classes, classes);
        }
    }
}
