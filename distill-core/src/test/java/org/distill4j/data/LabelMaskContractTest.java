package org.distill4j.data;

import org.distill4j.testutil.SyntheticData;

/** A partly labelled set ({@link ExampleSets#labelledShare}'s transfer set, a {@code LabelMask}) against the {@link ExampleSetContract}. */
class LabelMaskContractTest extends ExampleSetContract {
    @Override
    protected ExampleSet newSet() {
        return ExampleSets.labelledShare(SyntheticData.blobs("blobs", 40, 3, 5, 1.0, 3), 0.3, 7)
                .transfer();
    }
}
