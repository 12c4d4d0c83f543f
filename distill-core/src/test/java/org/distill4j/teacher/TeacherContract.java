package org.distill4j.teacher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Teacher} contract, for every implementation (in the manner of Lucene's shared base
 * test cases): a subclass says how to make its teacher, and inherits every check. Add a subclass
 * for each new teacher (e.g. an ONNX one).
 */
public abstract class TeacherContract {

    /** Scratch directory for teachers that live in files. */
    @TempDir
    protected Path tmp;

    private NDManager manager;

    /** Makes the teacher under test (a fresh instance each call, of the same model content). */
    protected abstract Teacher newTeacher() throws Exception;

    /** Makes a teacher of other model content, or returns null when the implementation has none to offer. */
    protected abstract Teacher newOtherTeacher() throws Exception;

    /** The shape of one input row the teacher takes. */
    protected abstract long[] featureShape();

    /** The number of logits per row it returns. */
    protected abstract int classes();

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private NDArray inputs(int rows, long seed) {
        long[] shape = new long[featureShape().length + 1];
        shape[0] = rows;
        System.arraycopy(featureShape(), 0, shape, 1, featureShape().length);
        Shape s = new Shape(shape);
        float[] x = new float[Math.toIntExact(s.size())];
        Random rng = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return manager.create(x, s);
    }

    @Test
    void logitsAreFloat32OfShapeRowsByClassesOnTheInputsManager() throws Exception {
        try (Teacher t = newTeacher()) {
            for (int rows : new int[] {1, 5}) {
                NDArray x = inputs(rows, rows);
                NDArray y = t.logits(x);
                assertThat(y.getShape()).isEqualTo(new Shape(rows, classes()));
                assertThat(y.getDataType()).isEqualTo(DataType.FLOAT32);
                assertThat(y.getManager()).isSameAs(x.getManager());
                for (float v : y.toFloatArray()) {
                    assertThat(Float.isFinite(v)).isTrue();
                }
            }
        }
    }

    @Test
    void logitsAreDeterministicAndPerRow() throws Exception {
        try (Teacher t = newTeacher()) {
            NDArray x = inputs(4, 7);
            float[] batch = t.logits(x).toFloatArray();
            assertThat(t.logits(x).toFloatArray()).containsExactly(batch);
            // Inference mode: a row's logits do not depend on the other rows of its batch.
            float[] alone = t.logits(x.get("2:3")).toFloatArray();
            for (int c = 0; c < classes(); c++) {
                assertThat((double) alone[c]).isCloseTo(batch[2 * classes() + c], within(1e-5));
            }
        }
    }

    @Test
    void logitsCarryNoGradient() throws Exception {
        try (Teacher t = newTeacher()) {
            NDArray x = inputs(2, 3);
            x.setRequiresGradient(true);
            assertThat(t.logits(x).hasGradient()).isFalse();
        }
    }

    @Test
    void identityIsStableForTheSameContent() throws Exception {
        try (Teacher a = newTeacher();
                Teacher b = newTeacher()) {
            TeacherIdentity id = a.identity();
            assertThat(id.kind()).isNotBlank();
            assertThat(id.location()).isNotBlank();
            assertThat(id.contentHash()).matches("[0-9a-f]{64}");
            assertThat(b.identity().cacheKey()).isEqualTo(id.cacheKey());
            assertThat(a.identity()).isEqualTo(id);
        }
    }

    @Test
    void identityChangesWithTheContent() throws Exception {
        try (Teacher a = newTeacher();
                Teacher other = newOtherTeacher()) {
            Assumptions.assumeTrue(other != null, "no other model content for this implementation");
            assertThat(other.identity().cacheKey()).isNotEqualTo(a.identity().cacheKey());
        }
    }
}
