package org.distill4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.api.java.function.PairFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.InMemoryExampleSet;
import org.distill4j.data.TextExampleSet;
import org.distill4j.data.TextFeatures;
import org.distill4j.io.Hashing;
import org.distill4j.recipe.Recipe;
import org.distill4j.teacher.http.CollectionListener;
import org.distill4j.teacher.http.CollectionResult;
import org.distill4j.teacher.http.HttpTeacherConfig;
import org.distill4j.teacher.http.LabelCollector;
import org.distill4j.teacher.http.Protocol;
import scala.Tuple2;

/**
 * An HTTP teacher over Parquet inputs. Executors read the shards (Spark's reader), hash each row's
 * payload (what the protocol sends: the text, or the features, text featurised with the recipe's
 * {@code data.features}) into one of {@code n} buckets, and Spark's shuffle brings each bucket to
 * one partition, so rows that share a payload meet in one bucket and each distinct item is asked
 * once in the whole job, without the driver reading the rows. Each bucket is then collected exactly
 * as a recipe split's bucket ({@link HttpPartitions}): the single-machine {@link LabelCollector}
 * with its journal in {@code JOURNALS/bucket-<i>-of-<n>/}, so a retried task or a rerun job (same
 * inputs and bucket count) asks nothing twice; the rate limits are shared out across tasks; the key
 * is read on the executor. The functions hold only paths, names and numbers.
 */
final class HttpParquetPartitions {

    private HttpParquetPartitions() {}

    /**
     * One input row on its way to its bucket.
     *
     * @param key the row key
     * @param text the row's text, or null for a features column
     * @param features the row's features, or null when the protocol sends text
     */
    record Item(long key, String text, float[] features) implements Serializable {}

    /** Whether the teacher is sent text (else float features), as {@link LabelCollector} decides. */
    static boolean sendsText(HttpTeacherConfig config) {
        return config.protocol() == Protocol.OPENAI || config.v2Input() == HttpTeacherConfig.V2Input.TEXT;
    }

    /** Reads a row's key and payload and assigns its bucket by the payload's SHA-256. */
    static final class Bucketing implements PairFunction<Tuple2<Row, Long>, Integer, Item> {
        private static final long serialVersionUID = 1L;
        private final String column;
        private final boolean textColumn;
        private final int keyIndex;
        private final boolean sendsText;
        private final String recipeFile;
        private final List<String> overrides;
        private final int buckets;
        private transient TextFeatures features;

        Bucketing(
                String column,
                boolean textColumn,
                int keyIndex,
                boolean sendsText,
                Path recipeFile,
                List<String> overrides,
                int buckets) {
            this.column = column;
            this.textColumn = textColumn;
            this.keyIndex = keyIndex;
            this.sendsText = sendsText;
            this.recipeFile = recipeFile.toAbsolutePath().toString();
            this.overrides = List.copyOf(overrides);
            this.buckets = buckets;
        }

        @Override
        public Tuple2<Integer, Item> call(Tuple2<Row, Long> in) throws IOException {
            Row r = in._1();
            long key = keyIndex >= 0 ? ((Number) r.get(keyIndex)).longValue() : in._2();
            int at = r.fieldIndex(column);
            if (r.isNullAt(at)) {
                throw new IllegalArgumentException("row with key " + key + " has a null '" + column + "'");
            }
            Item item;
            byte[] payload;
            if (textColumn && sendsText) {
                String text = r.getString(at);
                item = new Item(key, text, null);
                payload = ("text\0" + text).getBytes(StandardCharsets.UTF_8);
            } else {
                float[] f = textColumn ? features().featurize(r.getString(at)) : toFloats(r.getList(at));
                item = new Item(key, textColumn ? r.getString(at) : null, f);
                ByteBuffer bb = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(f);
                payload = bb.array();
            }
            long h = Long.parseUnsignedLong(Hashing.sha256(payload).substring(0, 15), 16);
            return new Tuple2<>((int) (h % buckets), item);
        }

        private TextFeatures features() throws IOException {
            if (features == null) {
                features =
                        RecipeRows.load(Path.of(recipeFile), overrides).data().features();
                if (features == null) {
                    throw new IllegalArgumentException("column '" + column + "' holds text but the recipe " + recipeFile
                            + " declares no data.features to turn it into the teacher's inputs");
                }
            }
            return features;
        }
    }

    /** Collects one bucket (the partition of that index) with the single-machine collector. */
    static final class Collect implements Function2<Integer, Iterator<Tuple2<Integer, Item>>, Iterator<Row>> {
        private static final long serialVersionUID = 1L;
        private final String recipeFile;
        private final List<String> overrides;
        private final String journals;
        private final int buckets;
        private final int concurrentTasks;
        private final List<String> classNames;
        private final long[] featureShape;

        Collect(
                Path recipeFile,
                List<String> overrides,
                Path journals,
                int buckets,
                int concurrentTasks,
                List<String> classNames,
                long[] featureShape) {
            this.recipeFile = recipeFile.toAbsolutePath().toString();
            this.overrides = List.copyOf(overrides);
            this.journals = journals.toAbsolutePath().toString();
            this.buckets = buckets;
            this.concurrentTasks = concurrentTasks;
            this.classNames = List.copyOf(classNames);
            this.featureShape = featureShape == null ? null : featureShape.clone();
        }

        @Override
        public Iterator<Row> call(Integer bucket, Iterator<Tuple2<Integer, Item>> input) throws IOException {
            List<Item> items = new ArrayList<>();
            input.forEachRemaining(t -> items.add(t._2()));
            if (items.isEmpty()) {
                return java.util.Collections.emptyIterator();
            }
            // Row order does not matter to the journal (keyed by payload); sorting makes the set the same
            // on every attempt.
            items.sort(Comparator.comparingLong(Item::key));
            Recipe recipe = RecipeRows.load(Path.of(recipeFile), overrides);
            HttpTeacherConfig config = HttpPartitions.share(recipe, concurrentTasks);
            ExampleSet set = examples(recipe, items, "parquet/bucket-" + bucket + "-of-" + buckets);
            CollectionResult r = new LabelCollector(config)
                    .collect(
                            set,
                            HttpPartitions.journalDir(Path.of(journals), bucket, buckets),
                            CollectionListener.none());
            int classes = r.outputs().classes();
            String teacher = r.teacher().cacheKey();
            String version = config.modelVersion() == null ? "" : config.modelVersion();
            List<Row> out = new ArrayList<>();
            for (int i = 0; i < r.succeededRows().length; i++) {
                float[] values = new float[classes];
                System.arraycopy(r.outputs().logits(), i * classes, values, 0, classes);
                out.add(RowFactory.create(items.get(r.succeededRows()[i]).key(), values, teacher, version));
            }
            return out.iterator();
        }

        private ExampleSet examples(Recipe recipe, List<Item> items, String name) {
            int[] unlabelled = new int[items.size()];
            Arrays.fill(unlabelled, ExampleSet.UNLABELED);
            if (items.get(0).text() != null) {
                if (recipe.data().features() == null) {
                    throw new IllegalArgumentException("the Parquet input holds text but the recipe " + recipeFile
                            + " declares no data.features to turn it into the teacher's inputs");
                }
                List<String> texts = items.stream().map(Item::text).toList();
                return new TextExampleSet(
                        name, texts, null, unlabelled, classNames, recipe.data().features());
            }
            int width = items.get(0).features().length;
            float[] flat = new float[items.size() * width];
            for (int i = 0; i < items.size(); i++) {
                float[] f = items.get(i).features();
                if (f.length != width) {
                    throw new IllegalArgumentException(
                            "row with key " + items.get(i).key() + " has " + f.length + " features, expected " + width
                                    + " like the rows before it");
                }
                System.arraycopy(f, 0, flat, i * width, width);
            }
            long[] shape = featureShape != null && product(featureShape) == width ? featureShape : new long[] {width};
            return new InMemoryExampleSet(name, shape, flat, unlabelled, classNames);
        }

        private static long product(long[] shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    static float[] toFloats(List<Object> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = ((Number) values.get(i)).floatValue();
        }
        return f;
    }
}
