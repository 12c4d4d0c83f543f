package org.distill4j.data;

import org.distill4j.testutil.SyntheticData;

/** A view of chosen rows ({@link ExampleSets#subset}, a {@code RowView}) against the {@link ExampleSetContract}. */
class RowViewContractTest extends ExampleSetContract {
    @Override
    protected ExampleSet newSet() {
        return ExampleSets.subset(SyntheticData.blobs("blobs", 40, 3, 5, 1.0, 3), new int[] {5, 1, 9, 30, 2}, "chosen");
    }
}
