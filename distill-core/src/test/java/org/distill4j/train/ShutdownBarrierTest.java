package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.distill4j.model.SavedModel;
import org.junit.jupiter.api.Test;

/**
 * The barrier the shutdown hook closes: it waits for the step in progress, then keeps the next one
 * from starting (a thread parked in Java is outside libtorch when the JVM tears it down). Each test
 * uses a barrier of its own; the workers left parked on a closed one are daemon threads.
 */
@SuppressWarnings("try") // the holds are the point, not their names
class ShutdownBarrierTest {

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(printed, true, StandardCharsets.UTF_8);

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "barrier-test-worker");
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Test
    void closingWaitsForTheStepInProgressThenNoStepStarts() throws Exception {
        ShutdownBarrier barrier = new ShutdownBarrier();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicBoolean secondStep = new AtomicBoolean();
        Thread worker = daemon(() -> {
            try (ShutdownBarrier.Step s = barrier.enter()) {
                inside.countDown();
                finish.await();
            } catch (InterruptedException e) {
                return;
            }
            try (ShutdownBarrier.Step s = barrier.enter()) {
                secondStep.set(true);
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> closed =
                CompletableFuture.supplyAsync(() -> barrier.close(Duration.ofSeconds(30), err, "stopping"));
        Thread.sleep(200);
        assertThat(closed).as("waits while the step runs").isNotDone();
        finish.countDown();
        assertThat(closed.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("stopping" + System.lineSeparator());
        // The worker finished its step and now waits in Java for a step that never starts.
        for (int i = 0; i < 100 && worker.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(20);
        }
        assertThat(worker.getState()).isEqualTo(Thread.State.WAITING);
        assertThat(secondStep).isFalse();
    }

    @Test
    void withNoStepHeldItClosesAtOnceAndSaysNothing() {
        ShutdownBarrier barrier = new ShutdownBarrier();
        try (ShutdownBarrier.Step s = barrier.enter()) {
            assertThat(barrier.held()).isTrue();
        }
        assertThat(barrier.held()).isFalse();
        long t0 = System.nanoTime();
        assertThat(barrier.close(Duration.ofSeconds(30), err, "stopping")).isTrue();
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aStepThatDoesNotEndIsWaitedForOnlyUntilTheTimeout() throws Exception {
        ShutdownBarrier barrier = new ShutdownBarrier();
        CountDownLatch inside = new CountDownLatch(1);
        daemon(() -> {
            ShutdownBarrier.Step s = barrier.enter();
            inside.countDown();
            // Never closed: a step stuck in native code.
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        assertThat(barrier.close(Duration.ofMillis(300), err, "stopping")).isFalse();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("stopping");
    }

    @Test
    void aStepMayNestInsideAnotherWhileTheHookWaits() throws Exception {
        ShutdownBarrier barrier = new ShutdownBarrier();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch nest = new CountDownLatch(1);
        CompletableFuture<Boolean> nested = new CompletableFuture<>();
        daemon(() -> {
            try (ShutdownBarrier.Step outer = barrier.enter()) {
                inside.countDown();
                nest.await();
                // Validation inside a training step, say: the hook is already waiting.
                try (ShutdownBarrier.Step inner = barrier.enter()) {
                    nested.complete(true);
                }
            } catch (InterruptedException e) {
                nested.complete(false);
            }
        });
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Boolean> closed =
                CompletableFuture.supplyAsync(() -> barrier.close(Duration.ofSeconds(30), err, "stopping"));
        Thread.sleep(100);
        nest.countDown();
        assertThat(nested.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(closed.get(10, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * The classifier trainer holds the JVM's barrier through every forward pass it makes after
     * initialisation: each batch, and the epoch's validation (a student whose first block records
     * whether a step is held when it runs).
     */
    @Test
    void theClassifierTrainerHoldsTheBarrierThroughEveryBatchAndValidation() throws Exception {
        List<Boolean> held = new ArrayList<>();
        SequentialBlock block = new SequentialBlock()
                .add(new LambdaBlock(list -> {
                    held.add(ShutdownBarrier.heldInJvm());
                    return list;
                }))
                .add(Linear.builder().setUnits(4).build());
        try (SavedModel model = SavedModel.builder()
                .setBlock(block)
                .setFeatureShape(ClassifierTrainerTest.TRAIN.featureShape())
                .setClassNames(ClassifierTrainerTest.TRAIN.classNames())
                .build()) {
            ClassifierTrainer.builder(TrainingConfig.builder()
                            .setEpochs(2)
                            .optBatchSize(100)
                            .optLearningRate(0.01)
                            .build())
                    .optSeed(5)
                    .build()
                    .fit(model, ClassifierTrainerTest.TRAIN, ClassifierTrainerTest.VAL);
        }
        // DJL's LambdaBlock runs once on zeros when the trainer initialises, outside any step.
        List<Boolean> steps = held.subList(1, held.size());
        // 2 epochs of 6 training batches, and validation after each.
        assertThat(steps.size()).isGreaterThan(12);
        assertThat(steps).containsOnly(true);
        assertThat(ShutdownBarrier.heldInJvm()).isFalse();
    }

    @Test
    void aStepReleasesOnceAndInstallRefusesANonPositiveTimeout() {
        ShutdownBarrier barrier = new ShutdownBarrier();
        ShutdownBarrier.Step s = barrier.enter();
        s.close();
        s.close();
        assertThat(barrier.held()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ShutdownBarrier.install(Duration.ZERO, err, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout must be positive");
    }
}
