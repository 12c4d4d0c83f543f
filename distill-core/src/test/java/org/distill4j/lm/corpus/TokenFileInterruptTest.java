package org.distill4j.lm.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.distill4j.lm.token.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One token file is shared by the threads that read it (a Spark executor's tasks): an interrupted
 * reader must stop only itself, although the JDK closes an interrupted thread's file channel for
 * every thread.
 */
class TokenFileInterruptTest {

    @TempDir
    Path tmp;

    @Test
    void anInterruptedReaderDoesNotEndTheOtherReadersOfTheFile() throws Exception {
        Path file = tmp.resolve("train.tokens");
        int[] ids = new int[1000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7) % 258;
        }
        try (TokenFile.Writer w = new TokenFile.Writer(file, ByteTokenizer.INSTANCE)) {
            w.append(ids, ids.length);
            w.commit(ids.length);
        }
        try (TokenFile tokens = TokenFile.open(file, ByteTokenizer.INSTANCE)) {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Thread cancelled = new Thread(() -> {
                // A read on an interrupted thread closes the channel (as a cancelled Spark task's does).
                Thread.currentThread().interrupt();
                try {
                    tokens.copy(0, new int[10], 0, 10);
                } catch (RuntimeException e) {
                    seen.set(e);
                }
            });
            cancelled.start();
            cancelled.join();
            assertThat(seen.get()).isInstanceOf(UncheckedIOException.class);
            assertThat(seen.get().getCause()).isInstanceOf(ClosedByInterruptException.class);

            int[] out = new int[ids.length];
            tokens.copy(0, out, 0, ids.length);
            assertThat(out).containsExactly(ids);

            tokens.close();
            assertThatThrownBy(() -> tokens.copy(0, new int[1], 0, 1)).hasCauseInstanceOf(ClosedChannelException.class);
        }
    }
}
