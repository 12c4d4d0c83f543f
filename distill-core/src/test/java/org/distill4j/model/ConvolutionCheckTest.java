package org.distill4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConvolutionCheckTest {

    /**
     * The suite runs capped at SSE4.1 (pom.xml), where every shape's logits and gradient equal the
     * float64 reference to rounding. Uncapped on this project's AVX-512 VM padded shapes were off
     * by 15-57% or NaN ({@code mvn test -pl distill-core -Donednn.isa=ALL
     * -Dtest=ConvolutionCheckTest} failed there), which is what the check exists to show.
     */
    @Test
    void everyShapesLogitsAndGradientMatchTheFloat64ReferenceUnderTheSuitesCap() {
        for (List<Integer> channels : ConvolutionCheck.SHAPES) {
            ConvolutionCheck.Result r = ConvolutionCheck.check(channels);
            assertThat(r.channels()).isEqualTo(channels);
            assertThat(r.logitsError()).as("logits error for %s", channels).isLessThan(ConvolutionCheck.TOLERANCE);
            assertThat(r.gradientError()).as("gradient error for %s", channels).isLessThan(ConvolutionCheck.TOLERANCE);
            assertThat(r.right()).isTrue();
        }
    }

    @Test
    void aResultFarFromTheReferenceIsWrong() {
        assertThat(new ConvolutionCheck.Result(List.of(4, 8), 2e-7, 0.03).right())
                .isFalse();
        assertThat(new ConvolutionCheck.Result(List.of(4, 8), 0.15, 2e-7).right())
                .isFalse();
        assertThat(new ConvolutionCheck.Result(List.of(4, 8), 2e-7, Double.NaN).right())
                .isFalse();
        assertThat(new ConvolutionCheck.Result(List.of(4, 8), 2e-7, 3e-7).right())
                .isTrue();
    }

    @Test
    void largerImagesAreCheckedToo() {
        ConvolutionCheck.Result r = ConvolutionCheck.check(List.of(4, 8), 16);
        assertThat(r.right()).as("%s", r).isTrue();
        assertThatThrownBy(() -> ConvolutionCheck.check(List.of(4, 8, 16), 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("size 4")
                .hasMessageContaining("at least 8 pixels");
    }

    @Test
    void noConvolutionIsRefused() {
        assertThatThrownBy(() -> ConvolutionCheck.check(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[]")
                .hasMessageContaining("at least one");
    }
}
