package org.distill4j.lm.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenSampler#descending} orders indices exactly as the stable sort of boxed indices by
 * {@link Float#compare} that it replaced (so seeded sampling gives the same tokens as before): on
 * random logits, on many ties, and on the values where float order is subtle (-0.0 and 0.0,
 * infinities, the smallest and largest floats, NaN).
 */
class TokenSamplerOrderTest {

    /** The order as it was computed before: a stable sort of boxed indices. */
    private static int[] boxedSort(float[] logits) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void theOrderIsTheStableBoxedSortsOnRandomTiedAndSpecialValues() {
        Random r = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = new float[258];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = switch (trial % 3) {
                    case 0 -> (float) r.nextGaussian() * 4;
                    case 1 -> r.nextInt(5) - 2; // many ties
                    default -> (float) (r.nextGaussian() * 1e-3);
                };
            }
            assertThat(TokenSampler.descending(logits)).as("trial %d", trial).containsExactly(boxedSort(logits));
        }
        float[] special = {
            0.0f,
            -0.0f,
            Float.NaN,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE,
            -Float.MIN_VALUE,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            1f,
            -1f,
            0.0f,
            -0.0f,
            Float.NaN,
            1f
        };
        assertThat(TokenSampler.descending(special)).containsExactly(boxedSort(special));
    }
}
