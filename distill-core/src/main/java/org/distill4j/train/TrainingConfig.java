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
     * Starts a builder: {@link Builder#setEpochs} is required, everything else has the recipe's
     * defaults (batch size 128, adam, learning rate 0.001, momentum 0.9 for sgd else 0, weight
     * decay 0, constant schedule, no warm-up, no augmentation).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder holding this configuration's values, to change some of them. */
    public Builder toBuilder() {
        return new Builder()
                .setEpochs(epochs)
                .optBatchSize(batchSize)
                .optOptimizer(optimizer)
                .optLearningRate(learningRate)
                .optMomentum(momentum)
                .optWeightDecay(weightDecay)
                .optSchedule(schedule)
                .optWarmupEpochs(warmupEpochs)
                .optAugmentation(augment);
    }

    /**
     * Positional form, kept so code written against 0.1 still compiles.
     *
     * @deprecated use {@link #builder()}: named options cannot be swapped by mistake
     */
    @Deprecated(since = "0.2", forRemoval = true)
    public static TrainingConfig of(
            Integer epochs,
            Integer batchSize,
            OptimizerKind optimizer,
            Double learningRate,
            Double momentum,
            Double weightDecay,
            Schedule schedule,
            Integer warmupEpochs,
            Augmentation augment) {
        return fromJson(
                epochs, batchSize, optimizer, learningRate, momentum, weightDecay, schedule, warmupEpochs, augment);
    }

    /** Reads recipe (and provenance) values; absent ones take the {@link #builder()} defaults. */
    @com.fasterxml.jackson.annotation.JsonCreator
    static TrainingConfig fromJson(
            @JsonProperty(value = "epochs", required = true) Integer epochs,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("optimizer") OptimizerKind optimizer,
            @JsonProperty("learning_rate") Double learningRate,
            @JsonProperty("momentum") Double momentum,
            @JsonProperty("weight_decay") Double weightDecay,
            @JsonProperty("schedule") Schedule schedule,
            @JsonProperty("warmup_epochs") Integer warmupEpochs,
            @JsonProperty("augment") Augmentation augment) {
        Builder b = builder()
                .setEpochs(epochs)
                .optOptimizer(optimizer)
                .optSchedule(schedule)
                .optAugmentation(augment);
        if (batchSize != null) {
            b.optBatchSize(batchSize);
        }
        if (learningRate != null) {
            b.optLearningRate(learningRate);
        }
        if (momentum != null) {
            b.optMomentum(momentum);
        }
        if (weightDecay != null) {
            b.optWeightDecay(weightDecay);
        }
        if (warmupEpochs != null) {
            b.optWarmupEpochs(warmupEpochs);
        }
        return b.build();
    }

    /**
     * Rebuilds a configuration from its JSON form, e.g. the {@code training} section of a
     * model's {@code provenance.json} (as {@code ModelWriter} and the CLI write it).
     *
     * @throws IllegalArgumentException naming the field when a value is missing or invalid
     */
    public static TrainingConfig fromMap(java.util.Map<String, ?> values) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().convertValue(values, TrainingConfig.class);
        } catch (IllegalArgumentException e) {
            Throwable cause =
                    e.getCause() != null && e.getCause().getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException("training configuration " + values + ": " + cause.getMessage(), e);
        }
    }

    private static void check(boolean ok, String field, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException("illegal " + field + " value: " + value + ", must be " + allowed);
        }
    }

    /** Returns a copy with another number of epochs. */
    public TrainingConfig withEpochs(int newEpochs) {
        return new TrainingConfig(
                newEpochs,
                batchSize,
                optimizer,
                learningRate,
                momentum,
                weightDecay,
                schedule,
                Math.min(warmupEpochs, newEpochs - 1),
                augment);
    }

    /**
     * Builds a {@link TrainingConfig} by name, in DJL's manner: {@code setX} for what is required
     * (the number of epochs), {@code optX} for what has a default. Validation happens in {@link
     * #build()}, with messages naming the recipe field.
     */
    public static final class Builder {
        private Integer epochs;
        private int batchSize = 128;
        private OptimizerKind optimizer = OptimizerKind.ADAM;
        private double learningRate = 0.001;
        private Double momentum;
        private double weightDecay;
        private Schedule schedule = Schedule.CONSTANT;
        private int warmupEpochs;
        private Augmentation augment = Augmentation.NONE;

        private Builder() {}

        /** Sets the number of passes over the training data, in [1, 10000] (required). */
        public Builder setEpochs(Integer value) {
            this.epochs = value;
            return this;
        }

        /** Sets the rows per update, in [1, 65536] (default 128). */
        public Builder optBatchSize(int value) {
            this.batchSize = value;
            return this;
        }

        /** Sets the optimiser (default adam); null keeps the default. */
        public Builder optOptimizer(OptimizerKind value) {
            this.optimizer = value == null ? OptimizerKind.ADAM : value;
            return this;
        }

        /** Sets the base learning rate, finite and &gt; 0 (default 0.001). */
        public Builder optLearningRate(double value) {
            this.learningRate = value;
            return this;
        }

        /** Sets the SGD momentum in [0, 1) (default 0.9 for sgd, else 0). */
        public Builder optMomentum(double value) {
            this.momentum = value;
            return this;
        }

        /** Sets the weight decay, finite and &gt;= 0 (default 0). */
        public Builder optWeightDecay(double value) {
            this.weightDecay = value;
            return this;
        }

        /** Sets the learning-rate schedule (default constant); null keeps the default. */
        public Builder optSchedule(Schedule value) {
            this.schedule = value == null ? Schedule.CONSTANT : value;
            return this;
        }

        /** Sets the epochs of linear warm-up, in [0, epochs) (default 0). */
        public Builder optWarmupEpochs(int value) {
            this.warmupEpochs = value;
            return this;
        }

        /** Sets the augmentation of training batches (default none); null keeps the default. */
        public Builder optAugmentation(Augmentation value) {
            this.augment = value == null ? Augmentation.NONE : value;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException if epochs is not set or a value is out of range; the
         *     message names the field
         */
        public TrainingConfig build() {
            if (epochs == null) {
                throw new IllegalArgumentException("epochs is required: an integer in [1, 10000]");
            }
            double m = momentum != null ? momentum : optimizer == OptimizerKind.SGD ? 0.9 : 0;
            return new TrainingConfig(
                    epochs, batchSize, optimizer, learningRate, m, weightDecay, schedule, warmupEpochs, augment);
        }
    }
}
