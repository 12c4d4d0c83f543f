package org.distill4j.train;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * Learning-rate schedules, as a function of the update step. All start with a linear warm-up over
 * the configured number of warm-up steps (0 = none).
 */
public enum Schedule {
    /** The base rate throughout. */
    CONSTANT,
    /** Cosine decay from the base rate to 0 over all steps. */
    COSINE,
    /** The base rate times 0.1 after each third of the steps. */
    STEP;

    /**
     * Returns the learning rate at a step.
     *
     * @param base base learning rate
     * @param step 1-based update step
     * @param totalSteps number of steps of the whole training
     * @param warmupSteps steps of linear warm-up, &gt;= 0
     */
    public double rate(double base, long step, long totalSteps, long warmupSteps) {
        if (step <= warmupSteps) {
            return base * step / Math.max(1, warmupSteps);
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
        return switch (this) {
            case CONSTANT -> base;
            case COSINE -> base * 0.5 * (1 + Math.cos(Math.PI * progress));
            case STEP -> base * Math.pow(0.1, Math.min(2, (int) Math.floor(progress * 3)));
        };
    }

    /** The recipe spelling: lower case. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the recipe spelling, naming the allowed values when it is unknown. */
    @JsonCreator
    public static Schedule of(String id) {
        for (Schedule s : values()) {
            if (s.id().equalsIgnoreCase(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown schedule '" + id + "', allowed: "
                + Arrays.stream(values()).map(Schedule::id).toList());
    }
}
