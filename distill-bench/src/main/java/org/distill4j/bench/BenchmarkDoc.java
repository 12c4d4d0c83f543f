package org.distill4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.io.AtomicFiles;

/**
 * The generated parts of a Markdown page such as {@code docs/benchmarks.md}: each benchmark owns
 * one section between {@code <!-- bench:NAME:begin -->} and {@code <!-- bench:NAME:end -->} and
 * replaces only that, so hand-written text around it and the other benchmark's section survive a
 * rerun. A page or section that does not exist yet is created (the section is appended).
 */
public final class BenchmarkDoc {

    private BenchmarkDoc() {}

    /**
     * Atomically replaces (or appends) section {@code name} of {@code page} with {@code markdown}.
     *
     * @param page the Markdown file (created with a title when missing)
     * @param name section name, e.g. {@code accuracy}
     * @param markdown the new content of the section
     */
    public static void replaceSection(Path page, String name, String markdown) throws IOException {
        String begin = "<!-- bench:" + name + ":begin -->";
        String end = "<!-- bench:" + name + ":end -->";
        String text = Files.isRegularFile(page) ? Files.readString(page, StandardCharsets.UTF_8) : "# Benchmarks\n\n";
        String block = begin + "\n" + markdown.strip() + "\n" + end;
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        String updated;
        if (b >= 0 && e > b) {
            updated = text.substring(0, b) + block + text.substring(e + end.length());
        } else {
            updated = text.stripTrailing() + "\n\n" + block + "\n";
        }
        AtomicFiles.writeString(page, updated);
    }
}
