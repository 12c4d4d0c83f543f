package org.distill4j.testutil;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small labelled text corpus in the JSONL format of the Debian descriptions: each text's label
 * (games, libs, editors) is told by which of three word families it mostly uses, among common
 * words, so bag-of-words models learn it in a few epochs.
 */
public final class TextCorpus {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TextCorpus() {}

    /** Writes {@code rows} lines {@code {"id", "text", "label"}} to {@code file}, deterministic in {@code seed}. */
    public static void writeSplit(Path file, int rows, long seed) throws IOException {
        String[][] signal = {
            {"chess", "puzzle", "arcade", "game", "play", "board"},
            {"library", "header", "shared", "runtime", "symbols", "development"},
            {"editor", "syntax", "vim", "emacs", "text", "highlighting"},
        };
        String[] labels = {"games", "libs", "editors"};
        String[] common = {"package", "this", "provides", "the", "for", "debian", "tool", "version", "and", "of"};
        Random rng = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int y = rng.nextInt(3);
            StringBuilder sb = new StringBuilder();
            for (int w = 0, n = 5 + rng.nextInt(10); w < n; w++) {
                sb.append(rng.nextInt(3) == 0 ? signal[y][rng.nextInt(6)] : common[rng.nextInt(10)])
                        .append(' ');
            }
            lines.add(JSON.writeValueAsString(
                    Map.of("id", "pkg" + i, "text", sb.toString().trim(), "label", labels[y])));
        }
        Files.createDirectories(file.getParent());
        Files.write(file, lines);
    }

    /** Writes {@code train.jsonl} (600 rows), {@code validation.jsonl} (150) and {@code test.jsonl} (300) into {@code dir}. */
    public static void writeSplits(Path dir) throws IOException {
        writeSplit(dir.resolve("train.jsonl"), 600, 1);
        writeSplit(dir.resolve("validation.jsonl"), 150, 2);
        writeSplit(dir.resolve("test.jsonl"), 300, 3);
    }
}
