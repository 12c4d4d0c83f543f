package org.distill4j.data;

import org.distill4j.testutil.SyntheticData;

/** {@link InMemoryExampleSet} against the {@link ExampleSetContract}. */
class InMemoryExampleSetContractTest extends ExampleSetContract {
    @Override
    protected ExampleSet newSet() {
        return SyntheticData.blobs("blobs", 40, 3, 5, 1.0, 3);
    }
}
