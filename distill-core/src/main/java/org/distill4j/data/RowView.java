package org.distill4j.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Selected rows of a base set, optionally with every label hidden. Views of views are flattened
 * onto the base, so a chain of views costs one index look-up, and two views that select the same
 * base rows the same way have the same hash however they were composed.
 *
 * <p>The hash is the SHA-256 of the base's hash, the masking flag and the row indices: it changes
 * with the base content, the rows, their order and the masking, and needs no pass over the
 * features. Computed on first use and cached.
 */
final class RowView implements ExampleSet {

    private final ExampleSet base;
    private final int[] rows;
    private final boolean unlabeled;
    private final String name;
    private volatile String contentHash;

    private RowView(ExampleSet base, int[] rows, boolean unlabeled, String name) {
        this.base = base;
        this.rows = rows;
        this.unlabeled = unlabeled;
        this.name = Objects.requireNonNull(name, "name");
    }

    /**
     * Returns a view of {@code parent}'s rows {@code rows} (owned by the view, not copied; each
     * checked to be in [0, parent.size())), hiding labels if {@code unlabel} or the parent hides
     * them.
     */
    static RowView of(ExampleSet parent, int[] rows, boolean unlabel, String name) {
        int size = parent.size();
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] < 0 || rows[i] >= size) {
                throw new IndexOutOfBoundsException(
                        "row " + rows[i] + " at position " + i + " is out of [0, " + size + ") in " + parent.name());
            }
        }
        if (parent instanceof RowView view) {
            int[] baseRows = new int[rows.length];
            for (int i = 0; i < rows.length; i++) {
                baseRows[i] = view.rows[rows[i]];
            }
            return new RowView(view.base, baseRows, unlabel || view.unlabeled, name);
        }
        return new RowView(parent, rows, unlabel, name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int size() {
        return rows.length;
    }

    @Override
    public long[] featureShape() {
        return base.featureShape();
    }

    @Override
    public int featureSize() {
        return base.featureSize();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }

    @Override
    public int label(int i) {
        Objects.checkIndex(i, rows.length);
        return unlabeled ? UNLABELED : base.label(rows[i]);
    }

    @Override
    public String text(int i) {
        Objects.checkIndex(i, rows.length);
        return base.text(rows[i]);
    }

    @Override
    public void copyFeatures(int[] viewRows, float[] dst) {
        int[] baseRows = new int[viewRows.length];
        for (int k = 0; k < viewRows.length; k++) {
            baseRows[k] = rows[Objects.checkIndex(viewRows[k], rows.length)];
        }
        base.copyFeatures(baseRows, dst);
    }

    @Override
    public String contentHash() {
        String h = contentHash;
        if (h == null) {
            h = computeHash();
            contentHash = h;
        }
        return h;
    }

    private String computeHash() {
        MessageDigest sha = DigestFields.sha256();
        sha.update("distill4j/RowView/v1\0".getBytes(StandardCharsets.UTF_8));
        sha.update(base.contentHash().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) (unlabeled ? 1 : 0));
        DigestFields.updateInt(sha, rows.length);
        byte[] buf = new byte[4 * 4096];
        for (int from = 0; from < rows.length; from += 4096) {
            int n = Math.min(4096, rows.length - from);
            for (int k = 0; k < n; k++) {
                int r = rows[from + k];
                buf[4 * k] = (byte) (r >>> 24);
                buf[4 * k + 1] = (byte) (r >>> 16);
                buf[4 * k + 2] = (byte) (r >>> 8);
                buf[4 * k + 3] = (byte) r;
            }
            sha.update(buf, 0, 4 * n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Override
    public String toString() {
        return name + " (" + size() + " rows of " + base.name()
                + (unlabeled ? ", unlabeled" : "") + ", shape " + Arrays.toString(featureShape())
                + ")";
    }
}
