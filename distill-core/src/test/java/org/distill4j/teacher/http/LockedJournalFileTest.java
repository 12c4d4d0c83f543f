package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.distill4j.teacher.http.lm.LmJournal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One collection per journal file: a second open is refused while the first holds the lock. */
class LockedJournalFileTest {

    @Test
    void aSecondOpenIsRefusedUntilTheFirstReleasesTheFile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("journal.jsonl");
        LockedJournalFile first = LockedJournalFile.open(file);
        assertThatThrownBy(() -> LockedJournalFile.open(file))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("is in use by another collection");
        first.lock().release();
        first.channel().close();
        LockedJournalFile again = LockedJournalFile.open(file);
        assertThat(again.lock().isValid()).isTrue();
        again.lock().release();
        again.channel().close();
    }

    @Test
    void bothJournalsHoldTheirFileWhileOpen(@TempDir Path tmp) throws Exception {
        Map<String, Object> fingerprint = Map.of("teacher", "t", "rows", 3);
        try (CollectionJournal journal = CollectionJournal.open(tmp.resolve("labels"), fingerprint)) {
            assertThatThrownBy(() -> CollectionJournal.open(tmp.resolve("labels"), fingerprint))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("is in use by another collection");
        }
        try (CollectionJournal reopened = CollectionJournal.open(tmp.resolve("labels"), fingerprint)) {
            assertThat(reopened).isNotNull();
        }
        Path lm = tmp.resolve("lm").resolve("journal.jsonl");
        try (LmJournal journal = LmJournal.open(lm, fingerprint, null)) {
            assertThatThrownBy(() -> LmJournal.open(lm, fingerprint, null))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("is in use by another collection");
        }
        try (LmJournal reopened = LmJournal.open(lm, fingerprint, null)) {
            assertThat(reopened).isNotNull();
        }
    }
}
