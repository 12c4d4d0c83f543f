package org.distill4j.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.distill4j.lm.model.Decoder;
import org.distill4j.lm.model.Generator;
import org.distill4j.lm.model.JvmDecoder;
import org.distill4j.lm.model.KvCache;
import org.distill4j.lm.model.LanguageModel;
import org.distill4j.lm.model.SlotKvCache;
import org.distill4j.model.InferenceThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching of generation for one served language model. Every generation in progress
 * holds a slot of one {@link SlotKvCache}; one thread runs step after step, each feeding the next
 * token of every generation in one forward pass, whatever their prompt lengths and however far
 * each has got, and then samples each one's next token ({@link LmGeneration#advance}). Under
 * the JVM or AUTO engine some generations instead decode on a {@link JvmDecoder} session of their
 * own, fed in turn within the same step: one sequence costs its arithmetic there, not a native call
 * per operator, which is faster until enough sequences share a batched pass. A
 * generation joins with its prompt prefilled in a one-row {@link KvCache} and its first token
 * sampled (on its request thread), and leaves when it ends or is cancelled: requests join and
 * leave between steps, not between batches, and no step waits for a request thread (sampling is
 * part of the step, as in vLLM's engine loop).
 *
 * <p>At most {@code slots} generations hold a slot; further ones wait for one in {@link #join}.
 * Slots are taken lowest first, so that a step's slots are mostly 0..n-1 and read as a view. A
 * row's logits equal, to float rounding, those of the generation decoded alone (see {@link
 * Decoder#forward(ParameterStore, NDArray, SlotKvCache, int[])}).
 */
final class GenerationBatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationBatcher.class);

    /**
     * A generation in the batch: its slot (which counts it against the limit, and holds its keys
     * and values unless it runs on the JVM), its prefix until loaded, its JVM session if it has one,
     * and the token to feed.
     */
    private static final class Row {
        final LmGeneration gen;
        final int slot;
        /** Whether it decodes on the JVM; only the batcher's thread changes it (to false, once). */
        boolean onJvm;

        KvCache prefix;
        JvmDecoder.Session session;
        int id;

        Row(LmGeneration gen, int slot, boolean onJvm, KvCache prefix, int id) {
            this.gen = gen;
            this.slot = slot;
            this.onJvm = onJvm;
            this.prefix = prefix;
            this.id = id;
        }
    }

    private final String name;
    private final LanguageModel lm;
    private final NDManager manager;
    private final SlotKvCache cache;
    private final ParameterStore ps;
    private final JvmDecoder jvm;
    /** Most generations on the JVM at once: 0 under DJL, every slot under JVM, measured under AUTO. */
    private final int jvmRows;
    /** Whether the JVM's share follows the load (AUTO) rather than being fixed (JVM). */
    private final boolean adaptive;
    /** Generations on the JVM, and in the batched pass, now; under the lock. */
    private int onJvm;

    private int onDjl;
    /** Set when a generation joins the batched pass while others are on the JVM; under the lock. */
    private boolean drainJvm;
    /**
     * Generations per step, averaged over about the last 20 steps (an exponential average, kept
     * through idle time); under the lock. The JVM takes new generations only while it is below
     * {@link #jvmRows}: a burst that follows a gap (clients that send their next request together)
     * goes straight to the batched pass instead of filling the JVM and moving.
     */
    private double recentRows;

    private final AtomicLong migrations = new AtomicLong();
    private final AtomicLong jvmJoins = new AtomicLong();
    /** How generations are split between the engines, for the start-up banner. */
    private final String engineDescription;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a generation joins or is cancelled, a slot frees, or the batcher closes. */
    private final Condition changed = lock.newCondition();
    /** Free slots, lowest first. */
    private final TreeSet<Integer> free = new TreeSet<>();

    private final List<Row> joining = new ArrayList<>();
    private final Map<LmGeneration, Boolean> cancelled = new IdentityHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong largest = new AtomicLong();

    /**
     * How generations are split between the engines.
     *
     * @param jvmRows the most generations decoded on a {@link JvmDecoder} at once: 0 puts every
     *     generation in the batched DJL pass
     * @param adaptive whether a generation joins the JVM only while none is in the batched pass and
     *     recent steps held fewer than {@code jvmRows} (else whenever fewer are on the JVM)
     * @param description what the start-up banner says about it
     */
    record Split(int jvmRows, boolean adaptive, String description) {

        /**
         * The split {@code engine} gives {@code slots} generations: none on the JVM under {@link
         * Generator.Engine#DJL}, all under {@link Generator.Engine#JVM}, and under {@link
         * Generator.Engine#AUTO} as many as one DJL step costs JVM tokens ({@link
         * EngineCalibration}, timed now).
         */
        static Split of(Generator.Engine engine, LanguageModel lm, int slots) {
            return switch (engine) {
                case DJL -> new Split(0, false, "all in one batched DJL pass per step (--lm-engine djl)");
                case JVM -> new Split(slots, false, "each on the plain-Java decoder, in turn (--lm-engine jvm)");
                case AUTO -> {
                    EngineCalibration c = EngineCalibration.measure(lm);
                    int rows = Math.min(slots, c.jvmRows());
                    yield new Split(
                            rows,
                            true,
                            String.format(
                                    java.util.Locale.ROOT,
                                    "up to %d on the plain-Java decoder while recent steps held fewer and none is in the"
                                            + " batched DJL pass, else batched (--lm-engine auto: a token costs %.2f ms on the JVM, a DJL"
                                            + " step %.2f ms)",
                                    rows,
                                    c.jvmMillis(),
                                    c.djlMillis()));
                }
            };
        }
    }

    /**
     * @param slots the most generations decoded together (and holding a slot at once)
     * @param split how many of them may decode on the JVM, in [0, slots]
     */
    GenerationBatcher(String name, LanguageModel lm, int slots, Split split) {
        int jvmRows = split.jvmRows();
        if (jvmRows < 0 || jvmRows > slots) {
            throw new IllegalArgumentException("JVM rows " + jvmRows + " must be in [0, " + slots + "]");
        }
        this.name = name;
        this.lm = lm;
        this.manager = lm.model().getNDManager().newSubManager();
        this.cache = lm.decoder().newSlotCache(manager, slots);
        this.ps = new ParameterStore(manager, false);
        for (int s = 0; s < slots; s++) {
            free.add(s);
        }
        this.jvm = jvmRows == 0 ? null : JvmDecoder.of(lm.decoder());
        this.jvmRows = jvmRows;
        this.adaptive = split.adaptive();
        this.engineDescription = split.description();
        this.thread = new Thread(this::loop, "distill-lm-generation-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Adds {@code gen}, whose prompt is prefilled in {@code prefix} (one row, owned by the batcher
     * from now on) and whose next token to feed is {@code firstId}, waiting up to {@code
     * timeoutSeconds} for a free slot.
     *
     * @throws RejectedExecutionException if no slot freed in time or the batcher is shutting down
     *     ({@code prefix} is closed then)
     */
    void join(LmGeneration gen, KvCache prefix, int firstId, long timeoutSeconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        lock.lock();
        try {
            while (free.isEmpty() && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new RejectedExecutionException("model '" + name + "' has all " + cache.slots()
                            + " generation slots busy for " + timeoutSeconds + " s; try again later");
                }
                changed.awaitNanos(left);
            }
            if (closed) {
                throw new RejectedExecutionException("model '" + name + "' is shutting down");
            }
            // The JVM only while nothing is in the batched pass: a step that has both pays the JVM
            // rows' sum and the pass's fixed cost, more than either alone. Once one more than the
            // JVM takes arrives, it starts the pass ...
            boolean toJvm = onJvm < jvmRows && (!adaptive || onDjl == 0 && recentRows < jvmRows);
            onJvm += toJvm ? 1 : 0;
            onDjl += toJvm ? 0 : 1;
            jvmJoins.addAndGet(toJvm ? 1 : 0);
            // and the JVM ones follow it there at the next step
            drainJvm |= !toJvm && onJvm > 0;
            joining.add(new Row(gen, free.pollFirst(), toJvm, prefix, firstId));
            changed.signalAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            prefix.close();
            throw new RejectedExecutionException("interrupted while waiting for a generation slot");
        } catch (RejectedExecutionException e) {
            prefix.close();
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /** Drops {@code gen} from the batch at the next step (its client went away). */
    void cancel(LmGeneration gen) {
        lock.lock();
        try {
            cancelled.put(gen, Boolean.TRUE);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Counters since start: requests and rows = tokens fed, batches = steps (each feeds every
     * generation in progress one token), largest = most tokens in one step.
     */
    DynamicBatcher.Stats stats() {
        long r = rows.get();
        return new DynamicBatcher.Stats(r, r, batches.get(), largest.get());
    }

    /** The most generations decoded on the JVM at once. */
    int jvmRows() {
        return jvmRows;
    }

    /** How generations are split between the engines, in words. */
    String engineDescription() {
        return engineDescription;
    }

    boolean isRunning() {
        return thread.isAlive() && !closed;
    }

    boolean stopped() {
        return !thread.isAlive();
    }

    private void loop() {
        InferenceThreads.prepare();
        List<Row> active = new ArrayList<>();
        try {
            while (true) {
                boolean drain;
                lock.lock();
                try {
                    while (!closed && active.isEmpty() && joining.isEmpty()) {
                        changed.await();
                    }
                    if (closed) {
                        break;
                    }
                    active.addAll(joining);
                    joining.clear();
                    recentRows += 0.05 * (active.size() - recentRows);
                    drain = drainJvm;
                    drainJvm = false;
                    if (!cancelled.isEmpty()) {
                        active.removeIf(r -> {
                            if (cancelled.containsKey(r.gen)) {
                                release(r);
                                return true;
                            }
                            return false;
                        });
                        cancelled.clear();
                    }
                } finally {
                    lock.unlock();
                }
                if (!active.isEmpty()) {
                    step(active, drain);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            RejectedExecutionException stopped =
                    new RejectedExecutionException("model '" + name + "' is shutting down");
            lock.lock();
            try {
                closed = true; // also when the thread dies of an error: nobody may join a dead batch
                changed.signalAll();
                active.addAll(joining);
                joining.clear();
                for (Row r : active) {
                    r.gen.fail(stopped);
                    release(r);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Frees a row's slot and its prefix if never loaded; under the lock. */
    private void release(Row r) {
        if (r.prefix != null) {
            r.prefix.close();
            r.prefix = null;
        }
        onJvm -= r.onJvm ? 1 : 0;
        onDjl -= r.onJvm ? 0 : 1;
        r.session = null;
        free.add(r.slot);
        changed.signalAll();
    }

    /**
     * Feeds every active row its next token, the JVM rows one after another and the others in one
     * forward pass, and samples each one's next token; removes the rows that ended. With {@code
     * drain}, the JVM rows first move into the batched pass (their keys and values into their slots).
     */
    private void step(List<Row> active, boolean drain) {
        active.sort(Comparator.comparingInt(r -> r.slot));
        List<Row> ended = new ArrayList<>();
        List<Row> ready = new ArrayList<>(active.size());
        for (Row r : active) {
            try {
                if (r.prefix != null) {
                    try (KvCache p = r.prefix) {
                        r.prefix = null;
                        if (r.onJvm) {
                            r.session = jvm.newSession();
                            r.session.load(p);
                        } else {
                            cache.load(r.slot, p);
                        }
                    }
                }
                int length = r.onJvm ? r.session.length() : cache.length(r.slot);
                if (length >= cache.capacity()) {
                    throw new IllegalStateException(
                            "generation reached the context length " + cache.capacity() + " of model '" + name + "'");
                }
                ready.add(r);
            } catch (RuntimeException e) {
                r.gen.fail(e);
                ended.add(r);
            }
        }
        if (drain) {
            migrate(ready, ended);
        }
        List<Row> batched = new ArrayList<>(ready.size());
        for (Row r : ready) {
            if (!r.onJvm) {
                batched.add(r);
                continue;
            }
            float[] logits;
            try {
                logits = r.session.next(r.id);
            } catch (RuntimeException e) {
                LOG.warn("a JVM generation step of model '{}' failed: {}", name, e.toString());
                r.gen.fail(e);
                ended.add(r);
                continue;
            }
            sample(r, logits, ended);
        }
        int n = batched.size();
        if (n > 0) {
            int[] ids = new int[n];
            int[] slots = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = batched.get(i).id;
                slots[i] = batched.get(i).slot;
            }
            int v = lm.config().vocabSize();
            float[] out = null;
            try (NDManager step = manager.newSubManager()) {
                out = lm.decoder()
                        .forward(ps, step.create(ids, new Shape(n, 1)), cache, slots)
                        .toFloatArray();
            } catch (RuntimeException e) {
                LOG.warn("a generation step of {} sequences of model '{}' failed: {}", n, name, e.toString());
                for (Row r : batched) {
                    r.gen.fail(e);
                    ended.add(r);
                }
            }
            if (out != null) {
                for (int i = 0; i < n; i++) {
                    float[] row = new float[v];
                    System.arraycopy(out, i * v, row, 0, v);
                    sample(batched.get(i), row, ended);
                }
            }
        }
        if (!ready.isEmpty()) {
            rows.addAndGet(ready.size());
            batches.incrementAndGet();
            largest.accumulateAndGet(ready.size(), Math::max);
        }
        if (!ended.isEmpty()) {
            active.removeAll(ended);
            lock.lock();
            try {
                for (Row r : ended) {
                    release(r);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Moves the JVM rows of {@code ready} into the slot cache; a row that fails moves to {@code ended}. */
    private void migrate(List<Row> ready, List<Row> ended) {
        int moved = 0;
        for (java.util.Iterator<Row> it = ready.iterator(); it.hasNext(); ) {
            Row r = it.next();
            if (!r.onJvm) {
                continue;
            }
            try (KvCache kv = r.session.toKvCache(manager)) {
                cache.load(r.slot, kv);
                r.session = null;
                r.onJvm = false;
                moved++;
            } catch (RuntimeException e) {
                r.gen.fail(e);
                ended.add(r);
                it.remove();
            }
        }
        migrations.addAndGet(moved);
        lock.lock();
        try {
            onJvm -= moved;
            onDjl += moved;
        } finally {
            lock.unlock();
        }
    }

    /** Generations that joined on the JVM since start. */
    long jvmJoins() {
        return jvmJoins.get();
    }

    /** Generations moved from the JVM into the batched pass since start. */
    long migrations() {
        return migrations.get();
    }

    /** Hands a row its logits and samples the token it feeds next; adds it to {@code ended} when done. */
    private static void sample(Row r, float[] logits, List<Row> ended) {
        try {
            r.gen.accept(logits);
            r.id = r.gen.advance();
            if (r.id < 0) {
                ended.add(r);
            }
        } catch (RuntimeException e) {
            r.gen.fail(e);
            ended.add(r);
        }
    }

    /**
     * Stops the thread after its current step (failing the generations in progress with a
     * shutdown error), then frees the slot cache once it has stopped (else the process exit
     * does). Does not close the model.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            manager.close();
        }
    }
}
