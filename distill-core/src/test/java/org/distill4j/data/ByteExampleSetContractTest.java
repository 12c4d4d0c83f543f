package org.distill4j.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@link ByteExampleSet} (IDX files on disk) against the {@link ExampleSetContract}. */
class ByteExampleSetContractTest extends ExampleSetContract {

    private static Path dir;

    @Override
    protected ExampleSet newSet() throws Exception {
        if (dir == null) {
            dir = IdxTestFiles.writeDataset(
                    Files.createTempDirectory("idx-contract"),
                    IdxTestFiles.Part.random(30, 6, 6, 10, 1),
                    IdxTestFiles.Part.random(10, 6, 6, 10, 2),
                    true);
        }
        return IdxDataset.load(dir).train();
    }
}
