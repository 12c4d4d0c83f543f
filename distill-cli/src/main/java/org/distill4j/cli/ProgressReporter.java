package org.distill4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.IntConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.distill4j.experiment.ExperimentListener;
import org.distill4j.teacher.http.CollectionListener;
import org.distill4j.train.EpochRecord;
import org.distill4j.train.TrainingListener;

/**
 * Shows an experiment's progress on stderr (stdout stays clean for results): a progress bar per
 * epoch with loss, rows/s and ETA on a terminal, and one summary line per epoch always.
 */
final class ProgressReporter implements ExperimentListener {

    private final boolean bars;
    private final PrintStream err = System.err;

    ProgressReporter(boolean bars) {
        this.bars = bars;
    }

    @Override
    public void info(String message) {
        err.println(message);
    }

    @Override
    public IntConsumer teacherOutputs(int rows) {
        if (!bars) {
            return done -> {};
        }
        ProgressBar bar = bar("teacher outputs", rows);
        return done -> {
            bar.stepTo(done);
            if (done >= rows) {
                bar.close();
            }
        };
    }

    @Override
    public CollectionListener collection(String split) {
        if (!bars) {
            return CollectionListener.none();
        }
        return new CollectionListener() {
            private ProgressBar bar;

            @Override
            public synchronized void progress(long total, long done, long failed) {
                if (bar == null) {
                    bar = bar("teacher API " + split, total);
                }
                bar.stepTo(done + failed);
                if (failed > 0) {
                    bar.setExtraMessage("failed " + failed);
                }
                if (done + failed >= total) {
                    bar.close();
                }
            }
        };
    }

    @Override
    public TrainingListener training(String role) {
        return new TrainingListener() {
            private ProgressBar bar;
            private int epochs;

            @Override
            public void onEpochStart(int epoch, int totalEpochs, int rows) {
                epochs = totalEpochs;
                if (bars) {
                    bar = bar(String.format(Locale.ROOT, "%s %d/%d", role, epoch, totalEpochs), rows);
                }
            }

            @Override
            public void onBatch(int rowsDone, double meanLoss) {
                if (bar != null) {
                    bar.stepTo(rowsDone);
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", meanLoss));
                }
            }

            @Override
            public void onEpochEnd(EpochRecord r) {
                if (bar != null) {
                    bar.close();
                    bar = null;
                }
                err.printf(
                        Locale.ROOT,
                        "[%s] epoch %d/%d  loss %.4f  train acc %.2f%%  val acc %s  %.1f s  %.0f rows/s%n",
                        role,
                        r.epoch(),
                        epochs,
                        r.trainLoss(),
                        100 * r.trainAccuracy(),
                        Double.isNaN(r.valAccuracy())
                                ? "-"
                                : String.format(Locale.ROOT, "%.2f%%", 100 * r.valAccuracy()),
                        r.seconds(),
                        r.samplesPerSecond());
            }

            @Override
            public void onResume(int epoch) {
                err.printf(Locale.ROOT, "[%s] resuming after epoch %d from its checkpoint%n", role, epoch);
            }
        };
    }

    private ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" rows", 1)
                .showSpeed()
                .setUpdateIntervalMillis(250)
                .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(err))
                .build();
    }
}
