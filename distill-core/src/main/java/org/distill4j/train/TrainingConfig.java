package org.distill4j.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How to train one model. Immutable; validated on construction with messages naming the field.
 *
 * @param epochs passes over the training data, in [1, 10000]
 * @param batchSize rows per update, in [1, 65536]
 * @param optimizer adam, adamw or sgd
 * @param learningRate base learning rate, finite and &gt; 0
 * @param momentum SGD momentum in [0, 1) (ignored by Adam)
 * @param weightDecay L2 (adam, sgd) or decoupled (adamw) weight decay, finite and &gt;= 0
 * @param schedule learning-rate schedule over all steps
 * @param warmupEpochs epochs of linear learning-rate warm-up, in [0, epochs)
 * @param augment random augmentation of training batches
 */
public record TrainingConfig(
        int epochs,
        @JsonProperty("batch_size") int batchSize,
        OptimizerKind optimizer,
        @JsonProperty("learning_rate") double learningRate,
        double momentum,
        @JsonProperty("weight_decay") double weightDecay,
        Schedule schedule,
        @JsonProperty("warmup_epochs") int warmupEpochs,
        Augmentation augment) {

    /** Validates every field and fills defaults (adam, constant schedule, no augmentation). */
    public TrainingConfig {
        check(epochs >= 1 && epochs <= 10_000, "epochs", epochs, "an integer in [1, 10000]");
        check(batchSize >= 1 && batchSize <= 65_536, "batch_size", batchSize, "an integer in [1, 65536]");
        optimizer = optimizer == null ? OptimizerKind.ADAM : optimizer;
        check(learningRate > 0 && Double.isFinite(learningRate), "learning_rate", learningRate, "a finite value > 0");
        check(momentum >= 0 && momentum < 1, "momentum", momentum, "in [0, 1)");
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "weight_decay", weightDecay, "a finite value >= 0");
        schedule = schedule == null ? Schedule.CONSTANT : schedule;
        check(warmupEpochs >= 0 && warmupEpochs < epochs, "warmup_epochs", warmupEpochs, "in [0, epochs)");
        augment = augment == null ? Augmentation.NONE : augment;
    }

    /**
     * Builds a configuration from recipe values, filling defaults for what is absent: batch_size
     * 128, optimizer adam, learning_rate 0.001, momentum 0.9 for sgd (else 0), weight_decay 0,
     * schedule constant, warmup_epochs 0, no augmentation. {@code epochs} is required.
     */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static TrainingConfig of(
            @JsonProperty(value = "epochs", required = true) Integer epochs,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("optimizer") OptimizerKind optimizer,
            @JsonProperty("learning_rate") Double learningRate,
            @JsonProperty("momentum") Double momentum,
            @JsonProperty("weight_decay") Double weightDecay,
            @JsonProperty("schedule") Schedule schedule,
            @JsonProperty("warmup_epochs") Integer warmupEpochs,
            @JsonProperty("augment") Augmentation augment) {
        OptimizerKind opt = optimizer == null ? OptimizerKind.ADAM : optimizer;
        return new TrainingConfig(epochs, batchSize == null ? 128 : batchSize, opt,
                learningRate == null ? 0.001 : learningRate,
                momentum == null ? (opt == OptimizerKind.SGD ? 0.9 : 0) : momentum,
                weightDecay == null ? 0 : weightDecay, schedule, warmupEpochs == null ? 0 : warmupEpochs, augment);
    }

    private static void check(boolean ok, String field, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("illegal " + field + " value: " + value + ", must be " + allowed);
        }
    }

    /** Returns a copy with another number of epochs. */
    public TrainingConfig withEpochs(int newEpochs) {
        return new TrainingConfig(newEpochs, batchSize, optimizer, learningRate, momentum, weightDecay, schedule,
                Math.min(warmupEpochs, newEpochs - 1), augment);
    }
}
