package org.distill4j.data;

import java.util.List;

/** {@link TextExampleSet} against the {@link ExampleSetContract}. */
class TextExampleSetContractTest extends ExampleSetContract {
    @Override
    protected ExampleSet newSet() {
        return new TextExampleSet(
                "texts",
                List.of("the quick fox", "lazy dog sleeps", "quick quick dog", "fox"),
                null,
                new int[] {0, 1, 0, -1},
                List.of("a", "b"),
                TextFeatures.of(32, 2, 0, 0, true));
    }
}
