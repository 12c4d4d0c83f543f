package org.distill4j.spark;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.distill4j.lm.corpus.TokenWindows;
import org.distill4j.lm.teacher.LmTeacher;
import org.distill4j.model.InferenceThreads;

/**
 * What an executor does with one partition of a language-model corpus: borrow the JVM's teacher
 * ({@link TeacherPool}), run it over the partition's windows in batches and keep each real
 * position's top-k next-token log-probabilities, exactly as {@link
 * org.distill4j.lm.cache.TopKCache#build} computes them (same batches, same operations), so the
 * values are the single-JVM collection's bit for bit. Output rows follow {@link
 * LmTopKJob#OUTPUT_SCHEMA}. Holds only paths, the teacher spec and sizes.
 */
final class LmTopKScorer implements FlatMapFunction<Iterator<long[]>, Row>, Serializable {

    private static final long serialVersionUID = 1L;
    private final LmWindows.Source corpus;
    private final TeacherSpec teacher;
    private final LmTeacherLoader loader;
    private final int k;
    private final int batchSize;

    LmTopKScorer(LmWindows.Source corpus, TeacherSpec teacher, LmTeacherLoader loader, int k, int batchSize) {
        this.corpus = corpus;
        this.teacher = teacher;
        this.loader = loader;
        this.k = k;
        this.batchSize = batchSize;
    }

    @Override
    public Iterator<Row> call(Iterator<long[]> ranges) throws Exception {
        LmWindows.Loaded loaded = LmWindows.load(corpus);
        TokenWindows windows = loaded.train();
        LmTeacher t = TeacherPool.borrowLm(teacher, loader);
        try {
            checkVocabulary(t, loaded);
        } catch (TeacherLoadException e) {
            TeacherPool.giveBackLm(teacher, loader, t);
            throw e;
        }
        InferenceThreads.prepare(); // grad mode and thread count are per thread (docs/engine.md)
        List<Row> out = new ArrayList<>();
        try (NDManager root = NDManager.newBaseManager("PyTorch")) {
            while (ranges.hasNext()) {
                long[] range = ranges.next();
                // The planner cut ranges at whole batches from window 0, as TopKCache.build batches.
                for (long from = range[0]; from < range[1]; from += batchSize) {
                    int n = (int) Math.min(batchSize, range[1] - from);
                    score(t, root, windows, (int) from, n, out);
                }
            }
        } catch (RuntimeException | Error e) {
            // An instance that failed mid-batch may hold broken native state: do not reuse it.
            t.close();
            throw e;
        }
        TeacherPool.giveBackLm(teacher, loader, t);
        return out.iterator();
    }

    /** The refusals {@code distill run} applies before collecting top-k (one vocabulary, context long enough). */
    private static void checkVocabulary(LmTeacher t, LmWindows.Loaded corpus) {
        TokenWindows windows = corpus.train();
        if (!t.tokenizer().equals(corpus.tokenizer().identity())) {
            throw new TeacherLoadException(
                    "teacher " + t.identity().location() + " uses tokenizer " + t.tokenizer() + " but the corpus is "
                            + "tokenized with " + corpus.tokenizer().identity()
                            + " (data.tokenizer); token-level top-k needs one vocabulary",
                    null);
        }
        if (t.contextLength() < windows.contextLength()) {
            throw new TeacherLoadException(
                    "teacher " + t.identity().location() + " has context " + t.contextLength()
                            + ", shorter than the recipe's window " + windows.contextLength()
                            + "; set data.context to at most " + t.contextLength(),
                    null);
        }
    }

    private void score(LmTeacher t, NDManager root, TokenWindows windows, int from, int n, List<Row> out) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = from + i;
        }
        try (NDManager m = root.newSubManager()) {
            NDList b = windows.batch(m, idx);
            NDList top = t.logits(b.get(0)).logSoftmax(2).topK(k, 2, true, true);
            float[] lp = top.get(0).toFloatArray();
            long[] id = top.get(1).toType(DataType.INT64, false).toLongArray();
            addRows(windows, from, n, k, lp, id, teacher.cacheKey(), teacher.contentHash(), out);
        }
    }

    /**
     * Appends the output rows ({@link LmTopKJob#OUTPUT_SCHEMA}) of windows {@code from .. from + n - 1}
     * from their top-k, laid out (n, T, k) as a top-k over the vocabulary gives it: each window's real
     * positions, its real stream tokens and the mass outside the top k.
     */
    static void addRows(
            TokenWindows windows,
            int from,
            int n,
            int k,
            float[] lp,
            long[] id,
            String teacherKey,
            String version,
            List<Row> out) {
        int len = windows.contextLength();
        long positions = windows.targetTokens();
        for (int w = 0; w < n; w++) {
            long first = (long) (from + w) * len;
            int real = (int) Math.max(0, Math.min(len, positions - first));
            // The window's real stream tokens: its inputs, then the last target.
            int[] tokens = new int[real + 1];
            System.arraycopy(windows.input(from + w), 0, tokens, 0, real);
            tokens[real] = windows.target(from + w)[real - 1];
            int[] ids = new int[real * k];
            float[] logProbs = new float[real * k];
            float[] rest = new float[real];
            for (int p = 0; p < real; p++) {
                double mass = 0;
                for (int j = 0; j < k; j++) {
                    int src = (w * len + p) * k + j;
                    ids[p * k + j] = (int) id[src];
                    logProbs[p * k + j] = lp[src];
                    mass += Math.exp(lp[src]);
                }
                rest[p] = (float) Math.max(0, 1 - mass);
            }
            out.add(RowFactory.create((long) from + w, tokens, ids, logProbs, rest, teacherKey, version));
        }
    }
}
