package org.distill4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.distill4j.data.ExampleSet;
import org.distill4j.loss.KdParameters;
import org.distill4j.model.InferenceThreads;
import org.distill4j.model.SavedModel;
import org.distill4j.terms.GateApproval;
import org.distill4j.train.ClassifierTrainer;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.SoftTargets;
import org.distill4j.train.TrainingConfig;
import org.distill4j.train.TrainingListener;

/**
 * The cost of cached distillation per training step, measured side by side: the student alone
 * and the student distilled from cached teacher outputs train at the same time, each with its own
 * {@link ClassifierTrainer} on its own thread, but only one of them runs at any moment; they hand
 * a baton to each other every {@code blockBatches} batches, so the two alternate in blocks of a
 * few milliseconds and a change of machine load (other jobs, a host taking a vCPU away) hits both
 * alike. Epoch medians cannot resolve a few percent on a shared VM (identical epochs vary 2x);
 * these per-block ratios can.
 *
 * <p>Each cached block is compared with the mean of the alone blocks just before and after it
 * (cancelling a linear drift); the first {@code warmUpBlocks} pairs are dropped (JIT, caches).
 * Wall time and the training thread's CPU time are both recorded (the latter is less disturbed by
 * other jobs but misses the work of PyTorch's other intra-op threads; the process's CPU time is
 * counted in 10 ms ticks, too coarse for blocks of a few milliseconds). Everything else is the real trainer, batch order, epoch
 * boundaries and all, so a change to the trainer shows here as it shows in training.
 */
public final class InterleavedSteps {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private InterleavedSteps() {}

    /**
     * One round: fresh students, alone and cached trained for {@code config.epochs()} epochs in
     * alternating blocks.
     *
     * @param student makes a fresh student (called twice; both are closed here)
     * @param config training configuration (epochs, batch size, ...)
     * @param kd distillation parameters of the cached run
     * @param targets the cached teacher outputs
     * @param approval the gate's approval for the teacher
     * @param train training rows
     * @param blockBatches batches per block, at least 1
     * @param warmUpBlocks leading (alone, cached) pairs to drop, at least 0
     * @param prefetch whether the trainers prepare the next batch on a second thread ({@link
     *     ClassifierTrainer.Builder#optPrefetch}; the default is true)
     * @return per-block microseconds per step of both modes and the per-block ratios (cached
     *     over alone), wall and the training thread's CPU
     * @throws IOException if a training fails
     */
    public static Map<String, Object> round(
            Supplier<SavedModel> student,
            TrainingConfig config,
            KdParameters kd,
            SoftTargets targets,
            GateApproval approval,
            ExampleSet train,
            int blockBatches,
            int warmUpBlocks,
            boolean prefetch)
            throws IOException {
        Map<String, Object> m = pair(
                student,
                config,
                b -> b.optPrefetch(prefetch),
                b -> b.optDistillation(kd, targets, approval).optPrefetch(prefetch),
                train,
                blockBatches,
                warmUpBlocks);
        m.put("prefetch", prefetch);
        return m;
    }

    /**
     * The general form of {@link #round}: any two trainings of the same data side by side, e.g. the
     * student alone with and without prefetching; in the result "alone" names the first and
     * "cached" the second.
     *
     * @param student makes a fresh student (called twice; both are closed here)
     * @param config training configuration
     * @param first configures the first training's builder
     * @param second configures the second training's builder
     * @param train training rows
     * @param blockBatches batches per block, at least 1
     * @param warmUpBlocks leading pairs to drop, at least 0
     * @return as {@link #round}
     * @throws IOException if a training fails
     */
    public static Map<String, Object> pair(
            Supplier<SavedModel> student,
            TrainingConfig config,
            UnaryOperator<ClassifierTrainer.Builder> first,
            UnaryOperator<ClassifierTrainer.Builder> second,
            ExampleSet train,
            int blockBatches,
            int warmUpBlocks)
            throws IOException {
        if (blockBatches < 1 || warmUpBlocks < 0) {
            throw new IllegalArgumentException(
                    "blockBatches must be >= 1 and warmUpBlocks >= 0, got " + blockBatches + ", " + warmUpBlocks);
        }
        Baton baton = new Baton();
        Lane[] lanes = {new Lane(0, baton, blockBatches), new Lane(1, baton, blockBatches)};
        Throwable[] failures = new Throwable[2];
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int lane = i;
            threads[i] = new Thread(
                    () -> {
                        // As on the engine's thread: grad mode off outside the trainer's collector
                        // (on a new thread PyTorch starts with it on; docs/engine.md).
                        InferenceThreads.prepare();
                        try (SavedModel m = student.get()) {
                            ClassifierTrainer.Builder b =
                                    ClassifierTrainer.builder(config).optListener(lanes[lane]);
                            (lane == 0 ? first : second).apply(b).build().fit(m, train, null);
                        } catch (Throwable t) {
                            failures[lane] = t;
                        } finally {
                            baton.finish(lane);
                        }
                    },
                    lane == 0 ? "interleaved-alone" : "interleaved-cached");
            threads[i].start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                for (Thread u : threads) {
                    u.interrupt();
                }
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while measuring interleaved steps", e);
            }
        }
        for (Throwable t : failures) {
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
        }
        List<Double> aloneWall = lanes[0].wall;
        List<Double> cachedWall = lanes[1].wall;
        List<Double> wallRatios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        // Alone runs first in every pair: cached block i lies between alone blocks i and i + 1.
        for (int i = warmUpBlocks; i < cachedWall.size() && i + 1 < aloneWall.size(); i++) {
            wallRatios.add(cachedWall.get(i) / ((aloneWall.get(i) + aloneWall.get(i + 1)) / 2));
            cpuRatios.add(lanes[1].cpu.get(i) / ((lanes[0].cpu.get(i) + lanes[0].cpu.get(i + 1)) / 2));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("block_batches", blockBatches);
        m.put("warm_up_blocks", warmUpBlocks);
        m.put("blocks", wallRatios.size());
        m.put("alone_us_per_step", drop(aloneWall, warmUpBlocks));
        m.put("cached_us_per_step", drop(cachedWall, warmUpBlocks));
        m.put("wall_ratios", wallRatios);
        m.put("cpu_ratios", cpuRatios);
        m.put("batches_out_of_turn", lanes[0].outOfTurn + lanes[1].outOfTurn);
        m.put("load_after", Machine.loadAverageLine());
        return m;
    }

    /**
     * Summarises rounds of {@link #round}: median, 25th and 75th percentile of all per-block
     * ratios pooled, each round's median, and the median microseconds per step of both modes.
     */
    public static Map<String, Object> summary(List<Map<String, Object>> rounds) {
        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> alone = new ArrayList<>();
        List<Double> cached = new ArrayList<>();
        List<Double> roundMedians = new ArrayList<>();
        for (Map<String, Object> r : rounds) {
            List<Double> w = doubles(r.get("wall_ratios"));
            wall.addAll(w);
            cpu.addAll(doubles(r.get("cpu_ratios")));
            alone.addAll(doubles(r.get("alone_us_per_step")));
            cached.addAll(doubles(r.get("cached_us_per_step")));
            roundMedians.add(w.isEmpty() ? Double.NaN : quantile(w, 0.5));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", rounds.size());
        m.put("blocks", wall.size());
        m.put("wall_ratio_median", quantile(wall, 0.5));
        m.put("wall_ratio_p25", quantile(wall, 0.25));
        m.put("wall_ratio_p75", quantile(wall, 0.75));
        m.put("wall_ratio_round_medians", roundMedians);
        m.put("cpu_ratio_median", quantile(cpu, 0.5));
        m.put("cpu_ratio_p25", quantile(cpu, 0.25));
        m.put("cpu_ratio_p75", quantile(cpu, 0.75));
        m.put("alone_us_per_step_median", quantile(alone, 0.5));
        m.put("cached_us_per_step_median", quantile(cached, 0.5));
        m.put("per_round", rounds);
        return m;
    }

    /** The q-quantile by nearest rank (NaN when empty). */
    static double quantile(List<Double> values, double q) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(values);
        s.sort(null);
        return s.get((int) Math.min(s.size() - 1, Math.round(q * (s.size() - 1))));
    }

    @SuppressWarnings("unchecked")
    private static List<Double> doubles(Object o) {
        return ((List<Number>) Objects.requireNonNull(o))
                .stream().map(Number::doubleValue).toList();
    }

    private static List<Double> drop(List<Double> values, int n) {
        return List.copyOf(values.subList(Math.min(n, values.size()), values.size()));
    }

    /** Whose turn it is; a lane that has finished never blocks the other. */
    private static final class Baton {
        private int turn;
        private final boolean[] done = new boolean[2];

        synchronized void await(int lane) {
            boolean interrupted = false;
            while (turn != lane && !done[1 - lane]) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interleaved measurement interrupted");
            }
        }

        /** Whether {@code lane} may run now: its turn, or the other lane has finished. */
        synchronized boolean mayRun(int lane) {
            return turn == lane || done[1 - lane];
        }

        synchronized void pass(int lane) {
            turn = 1 - lane;
            notifyAll();
        }

        synchronized void finish(int lane) {
            done[lane] = true;
            turn = 1 - lane;
            notifyAll();
        }
    }

    /** One mode's listener: times its blocks and hands the baton over after each. */
    private static final class Lane implements TrainingListener {
        final List<Double> wall = new ArrayList<>();
        final List<Double> cpu = new ArrayList<>();
        private final int lane;
        private final Baton baton;
        private final int blockBatches;
        private int batches;
        private int outOfTurn;
        private boolean started;
        private long wall0;
        private long cpu0;

        Lane(int lane, Baton baton, int blockBatches) {
            this.lane = lane;
            this.baton = baton;
            this.blockBatches = blockBatches;
        }

        @Override
        public void onEpochStart(int epoch, int epochs, int rows) {
            if (!started) {
                // The trainer's setup (the teacher's table for the cached run) is not timed.
                started = true;
                baton.await(lane);
                restart();
            }
        }

        @Override
        public void onBatch(int rowsDone, double meanLoss) {
            if (!baton.mayRun(lane)) {
                // Checked by the tests: a batch trained while the other lane had the baton.
                outOfTurn++;
            }
            if (++batches % blockBatches != 0) {
                return;
            }
            wall.add((System.nanoTime() - wall0) / 1e3 / blockBatches);
            cpu.add((THREADS.getCurrentThreadCpuTime() - cpu0) / 1e3 / blockBatches);
            baton.pass(lane);
            baton.await(lane);
            restart();
        }

        @Override
        public void onEpochEnd(EpochRecord record) {}

        private void restart() {
            wall0 = System.nanoTime();
            cpu0 = THREADS.getCurrentThreadCpuTime();
        }
    }
}
