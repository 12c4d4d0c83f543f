package org.distill4j.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.data.ExampleSet;
import org.distill4j.data.ExampleSets;
import org.distill4j.data.IdxDataset;
import org.distill4j.eval.Predictions;
import org.distill4j.eval.ServingCost;
import org.distill4j.model.SavedModel;
import org.distill4j.teacher.SavedModelTeacher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distill eval MODEL_DIR --data DIR}: test metrics of one saved model. */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = {
            "Evaluate a saved model on the test split of an IDX data directory.",
            "Exit codes: 2 bad options, 3 missing or invalid data or model, 6 signature check failed (--verify-key)."
        })
final class EvalCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A model directory written by distill4j.")
    Path modelDir;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "IDX data directory.")
    Path dataDir;

    @Option(names = "--teacher", paramLabel = "DIR", description = "Teacher model directory, for agreement.")
    Path teacherDir;

    @Option(names = "--test-limit", paramLabel = "N", description = "Use only the first N test rows.")
    int testLimit;

    @picocli.CommandLine.Mixin
    SignatureOptions signature;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        signature.check(spec.commandLine(), modelDir);
        ExampleSet test = IdxDataset.load(dataDir).test();
        if (testLimit > 0 && testLimit < test.size()) {
            test = ExampleSets.slice(test, 0, testLimit);
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
                SavedModel model = SavedModel.load(modelDir)) {
            Predictions p = Predictions.of(model, test, manager, 512);
            ServingCost cost = ServingCost.measure(model::logits, test, manager, 200, 256);
            System.out.printf(Locale.ROOT, "model:            %s%n", model.describe());
            System.out.printf(
                    Locale.ROOT,
                    "test accuracy:    %.2f%% (%d errors of %d)%n",
                    100 * p.accuracy(test),
                    p.errors(test),
                    test.size());
            System.out.printf(Locale.ROOT, "parameters:       %d%n", model.parameterCount());
            System.out.printf(
                    Locale.ROOT,
                    "latency (1 row):  p50 %.3f ms, p99 %.3f ms%n",
                    cost.latencyMsP50(),
                    cost.latencyMsP99());
            System.out.printf(
                    Locale.ROOT, "throughput:       %.0f rows/s at batch %d%n", cost.throughputPerS(), cost.batch());
            if (teacherDir != null) {
                try (SavedModelTeacher teacher = SavedModelTeacher.load(teacherDir)) {
                    Predictions t = Predictions.of(teacher, test, manager, 512);
                    System.out.printf(Locale.ROOT, "agreement:        %.2f%% with the teacher%n", 100 * p.agreement(t));
                }
            }
        }
        return ExitCodes.OK;
    }
}
