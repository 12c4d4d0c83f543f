package org.distill4j.lm.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The bundled Debian descriptions for tests, found from the working directory. */
public final class DebianCorpus {

    private DebianCorpus() {}

    /** Returns {@code ../shared/data/debian-descriptions/<split>.jsonl.gz} from the repository root. */
    public static Path file(String split) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("distill-core"))) {
                return p.resolve("../shared/data/debian-descriptions/" + split + ".jsonl.gz")
                        .normalize();
            }
        }
        return Path.of("../shared/data/debian-descriptions/" + split + ".jsonl.gz");
    }

    /** Returns the training file. */
    public static Path trainFile() {
        return file("train");
    }

    /** Reads about {@code bytes} bytes of documents from the start of {@code split}. */
    public static TextCorpus read(String split, long bytes) throws IOException {
        return TextCorpus.read(
                List.of(file(split)), TextCorpus.Options.defaults().withMaxBytes(bytes));
    }
}
