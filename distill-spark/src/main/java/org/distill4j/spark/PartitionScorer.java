package org.distill4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.TextFeatures;
import org.distill4j.model.InferenceThreads;
import org.distill4j.teacher.SavedModelTeacher;
import org.distill4j.teacher.Teacher;
import org.distill4j.teacher.TeacherOutputCache;
import org.distill4j.teacher.TeacherOutputs;
import scala.Tuple2;

/**
 * What an executor does with one partition: borrow the JVM's teacher ({@link TeacherPool}), score
 * the partition's rows in batches, give the teacher back. Output rows follow {@link
 * LabelJob#OUTPUT_SCHEMA}. The functions hold only paths, the teacher spec and sizes (no secret),
 * and decide nothing: the driver planned the rows.
 */
final class PartitionScorer {

    private PartitionScorer() {}

    /** Scores row ranges [from, to) of a recipe split, as {@link TeacherOutputCache#compute} does. */
    static final class Ranges implements FlatMapFunction<Iterator<long[]>, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String recipeFile;
        private final List<String> overrides;
        private final String split;
        private final TeacherSpec teacher;
        private final TeacherLoader loader;
        private final int batchSize;

        Ranges(
                Path recipeFile,
                List<String> overrides,
                String split,
                TeacherSpec teacher,
                TeacherLoader loader,
                int batchSize) {
            this.recipeFile = recipeFile.toAbsolutePath().toString();
            this.overrides = List.copyOf(overrides);
            this.split = split;
            this.teacher = teacher;
            this.loader = loader;
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<Row> call(Iterator<long[]> ranges) throws Exception {
            ExampleSet rows = RecipeRows.of(Path.of(recipeFile), overrides, split);
            List<Row> out = new ArrayList<>();
            Teacher t = TeacherPool.borrow(teacher, loader);
            InferenceThreads.prepare(); // grad mode and thread count are per thread (docs/engine.md)
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                while (ranges.hasNext()) {
                    long[] range = ranges.next();
                    int from = Math.toIntExact(range[0]);
                    int to = Math.toIntExact(range[1]);
                    // The planner aligned ranges to whole batches, so every batch holds the same rows
                    // as the single-JVM run's: same inputs to the engine, same bits out.
                    TeacherOutputs o = TeacherOutputCache.compute(
                            t, ExampleSets.slice(rows, from, to), manager, batchSize, done -> {});
                    for (int i = 0; i < o.rows(); i++) {
                        float[] logits = new float[o.classes()];
                        System.arraycopy(o.logits(), i * o.classes(), logits, 0, o.classes());
                        out.add(RowFactory.create((long) from + i, logits, teacher.cacheKey(), teacher.contentHash()));
                    }
                }
            } catch (RuntimeException | Error e) {
                // An instance that failed mid-batch may hold broken native state: do not reuse it.
                t.close();
                throw e;
            }
            TeacherPool.giveBack(teacher, loader, t);
            return out.iterator();
        }
    }

    /** Scores Parquet rows (key, features or text) in batches of {@code batchSize}. */
    static final class Features implements FlatMapFunction<Iterator<Tuple2<Row, Long>>, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String column;
        private final boolean text;
        private final int keyIndex;
        private final String recipeFile;
        private final List<String> overrides;
        private final TeacherSpec teacher;
        private final TeacherLoader loader;
        private final int batchSize;

        Features(
                String column,
                boolean text,
                int keyIndex,
                Path recipeFile,
                List<String> overrides,
                TeacherSpec teacher,
                TeacherLoader loader,
                int batchSize) {
            this.column = column;
            this.text = text;
            this.keyIndex = keyIndex;
            this.recipeFile = recipeFile.toAbsolutePath().toString();
            this.overrides = List.copyOf(overrides);
            this.teacher = teacher;
            this.loader = loader;
            this.batchSize = batchSize;
        }

        @Override
        public Iterator<Row> call(Iterator<Tuple2<Row, Long>> input) throws Exception {
            TextFeatures features = text
                    ? RecipeRows.load(Path.of(recipeFile), overrides).data().features()
                    : null;
            if (text && features == null) {
                throw new IllegalArgumentException("column '" + column + "' holds text but the recipe " + recipeFile
                        + " declares no data.features to turn it into the teacher's inputs");
            }
            List<Row> out = new ArrayList<>();
            Teacher t = TeacherPool.borrow(teacher, loader);
            InferenceThreads.prepare(); // grad mode and thread count are per thread (docs/engine.md)
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                List<Long> keys = new ArrayList<>(batchSize);
                List<float[]> batch = new ArrayList<>(batchSize);
                while (input.hasNext()) {
                    Tuple2<Row, Long> next = input.next();
                    Row r = next._1();
                    keys.add(keyIndex >= 0 ? ((Number) r.get(keyIndex)).longValue() : next._2());
                    int at = r.fieldIndex(column);
                    if (r.isNullAt(at)) {
                        throw new IllegalArgumentException(
                                "row with key " + keys.get(keys.size() - 1) + " has a null '" + column + "'");
                    }
                    batch.add(text ? features.featurize(r.getString(at)) : toFloats(r.getList(at)));
                    if (batch.size() == batchSize || !input.hasNext()) {
                        score(t, manager, keys, batch, out);
                        keys.clear();
                        batch.clear();
                    }
                }
            } catch (RuntimeException | Error e) {
                t.close();
                throw e;
            }
            TeacherPool.giveBack(teacher, loader, t);
            return out.iterator();
        }

        private void score(Teacher t, NDManager manager, List<Long> keys, List<float[]> batch, List<Row> out) {
            int n = batch.size();
            int width = batch.get(0).length;
            float[] flat = new float[n * width];
            for (int i = 0; i < n; i++) {
                if (batch.get(i).length != width) {
                    throw new IllegalArgumentException("row with key " + keys.get(i) + " has " + batch.get(i).length
                            + " values in '" + column + "', expected " + width + " like the rows before it");
                }
                System.arraycopy(batch.get(i), 0, flat, i * width, width);
            }
            Shape shape = t instanceof SavedModelTeacher s ? s.model().inputShape(n) : new Shape(n, width);
            if (shape.size() != flat.length) {
                throw new IllegalArgumentException("'" + column + "' holds " + width + " values a row but teacher "
                        + teacher.path() + " takes " + shape.size() / n + " (" + shape + ")");
            }
            try (NDManager sub = manager.newSubManager()) {
                NDArray y = t.logits(sub.create(flat, shape)).toType(DataType.FLOAT32, false);
                int classes = Math.toIntExact(y.getShape().get(1));
                float[] all = y.toFloatArray();
                for (int i = 0; i < n; i++) {
                    float[] logits = new float[classes];
                    System.arraycopy(all, i * classes, logits, 0, classes);
                    out.add(RowFactory.create(keys.get(i), logits, teacher.cacheKey(), teacher.contentHash()));
                }
            }
        }

        private static float[] toFloats(List<Object> values) {
            float[] f = new float[values.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = ((Number) values.get(i)).floatValue();
            }
            return f;
        }
    }
}
