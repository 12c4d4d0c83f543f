package org.distill4j.testutil;

import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.data.JsonlTextDataset;

/** Where the data sets in {@code ../shared/data} are, from any module's working directory. */
public final class SharedData {

    private SharedData() {}

    /** Returns the bundled Debian descriptions directory (it may be absent: tests then skip). */
    public static Path debianDescriptions() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("distill-core"))) {
                return p.resolve(JsonlTextDataset.BUNDLED).normalize();
            }
        }
        return Path.of(JsonlTextDataset.BUNDLED);
    }
}
