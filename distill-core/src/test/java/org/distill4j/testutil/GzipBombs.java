package org.distill4j.testutil;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/** Writes gzip bombs for tests, streaming: only one small compressed member is ever in memory. */
public final class GzipBombs {

    private GzipBombs() {}

    /**
     * Writes a gzip file: one member holding {@code prefix}, then {@code members} concatenated
     * members of {@code chunk} bytes of {@code 'a'} each, with no newline (gzip readers treat
     * concatenated members as one stream). 64 members of 32 MiB make one 2 GiB line in about 2 MB.
     */
    public static void write(Path file, String prefix, int chunk, int members) throws IOException {
        write(file, prefix.getBytes(StandardCharsets.UTF_8), chunk, members);
    }

    /** As {@link #write(Path, String, int, int)} with a binary prefix (e.g. a file header). */
    public static void write(Path file, byte[] prefix, int chunk, int members) throws IOException {
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(one)) {
            byte[] a = new byte[1 << 16];
            Arrays.fill(a, (byte) 'a');
            for (int done = 0; done < chunk; done += a.length) {
                gz.write(a, 0, Math.min(a.length, chunk - done));
            }
        }
        byte[] member = one.toByteArray();
        try (OutputStream out = Files.newOutputStream(file)) {
            try (GZIPOutputStream head = new GZIPOutputStream(new NonClosing(out))) {
                head.write(prefix);
            }
            for (int i = 0; i < members; i++) {
                out.write(member);
            }
        }
    }

    /** Lets a GZIPOutputStream finish its member without closing the file. */
    private static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
