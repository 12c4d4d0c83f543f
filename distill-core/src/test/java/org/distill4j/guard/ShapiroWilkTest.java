package org.distill4j.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link ShapiroWilk}, the extraction monitor's normality test, against SciPy's {@code
 * stats.shapiro} (Royston's AS R94, as R's {@code shapiro.test}) on seven samples from 12 to 1,000
 * values (golden file from {@code tools/golden/shapiro_wilk_golden.py}). SciPy computes in single
 * precision, hence the tolerances: W to 1e-5, the p-value to 0.2% of itself.
 */
class ShapiroWilkTest {

    @Test
    void wAndThePValueAreScipys() throws Exception {
        JsonNode golden;
        try (InputStream in = getClass().getResourceAsStream("/golden/shapiro_wilk_golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        assertThat(golden.get("cases")).hasSize(7);
        for (JsonNode c : golden.get("cases")) {
            double[] x = new double[c.get("values").size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = c.get("values").get(i).asDouble();
            }
            ShapiroWilk.Result r = ShapiroWilk.test(x);
            double p = c.get("p_value").asDouble();
            assertThat(r.w()).as(c.get("name").asText()).isCloseTo(c.get("w").asDouble(), within(1e-5));
            assertThat(r.pValue()).as(c.get("name").asText()).isCloseTo(p, within(2e-3 * p));
        }
    }

    @Test
    void constantValuesAreNotNormalAndTooFewOrTooManyAreRefused() {
        assertThat(ShapiroWilk.test(new double[12])).isEqualTo(new ShapiroWilk.Result(0, 0));
        assertThatThrownBy(() -> ShapiroWilk.test(new double[11]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12 to 5000 values, got 11");
        double[] most = new double[5000];
        for (int i = 0; i < most.length; i++) {
            most[i] = i % 7;
        }
        assertThat(ShapiroWilk.test(most).w()).as("5,000 values are accepted").isBetween(0.0, 1.0);
        assertThatThrownBy(() -> ShapiroWilk.test(new double[5001]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 5001");
    }
}
