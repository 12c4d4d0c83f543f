package org.distill4j.teacher.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's format, resume rules and damage handling. */
class CollectionJournalTest {

    @TempDir
    Path dir;

    private static Map<String, Object> fingerprint(String model) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("protocol", "v2");
        f.put("model", model);
        f.put("labels", List.of("a", "b"));
        return f;
    }

    private static CollectedItem item(String key, float a, float b) {
        return new CollectedItem(
                key,
                new float[] {a, b},
                ValueKind.LOGITS,
                0,
                "",
                "http-v2:x",
                "http://h/infer",
                "m",
                "1",
                1,
                0,
                0,
                "2026-01-01T00:00:00Z");
    }

    @Test
    void recordsSurviveReopeningAndALaterOkSupersedesAFailure() throws Exception {
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            j.appendOk(item("k1", 1.5f, -2f));
            j.appendFailed(new CollectionJournal.FailedItem("k2", "http_5xx", "HTTP 503", 6));
            assertThatThrownBy(() -> j.appendOk(item("k1", 0, 0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already completed");
        }
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            assertThat(j.truncatedTornLine()).isFalse();
            assertThat(j.completed("k1").values()).containsExactly(1.5f, -2f);
            assertThat(j.failed()).containsOnlyKeys("k2");
            j.appendOk(item("k2", 3, 4));
        }
        CollectionJournal.Contents c = CollectionJournal.read(dir);
        assertThat(c.completed()).containsOnlyKeys("k1", "k2");
        assertThat(c.failed()).isEmpty();
        List<String> lines = Files.readAllLines(dir.resolve(CollectionJournal.FILE));
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0))
                .startsWith(
                        "{\"type\":\"header\",\"format\":\"distill4j-collection-journal\","
                                + "\"version\":1,\"fingerprint\":{\"protocol\":\"v2\",\"model\":\"m\",\"labels\":[\"a\",\"b\"]}");
    }

    @Test
    void aTornLastLineIsCutOffAndItsItemIsNotDone() throws Exception {
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            j.appendOk(item("k1", 1, 2));
        }
        Path file = dir.resolve(CollectionJournal.FILE);
        long good = Files.size(file);
        Files.writeString(
                file,
                "{\"type\":\"ok\",\"key\":\"k2\",\"valueKind\":\"logits\",\"values\":[1.0,",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            assertThat(j.truncatedTornLine()).isTrue();
            assertThat(j.completed()).containsOnlyKeys("k1");
            assertThat(Files.size(file)).isEqualTo(good);
            j.appendOk(item("k2", 5, 6));
        }
        assertThat(CollectionJournal.read(dir).completed()).containsOnlyKeys("k1", "k2");
    }

    @Test
    void aDamagedLineBeforeTheLastIsAnErrorNotSkipped() throws Exception {
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            j.appendOk(item("k1", 1, 2));
        }
        Path file = dir.resolve(CollectionJournal.FILE);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, List.of(lines.get(0), "{\"type\":\"ok\",\"key\":", lines.get(1)));
        assertThatThrownBy(() -> CollectionJournal.open(dir, fingerprint("m")))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("line 2 is damaged")
                .hasMessageContaining(file.toString());
    }

    @Test
    void anotherJobsJournalIsRefusedNamingTheDifference() throws Exception {
        CollectionJournal.open(dir, fingerprint("m")).close();
        assertThatThrownBy(() -> CollectionJournal.open(dir, fingerprint("other")))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("model: journal \"m\" vs job \"other\"")
                .hasMessageContaining("to start fresh use a new journal directory or delete");
    }

    @Test
    void aJournalOpenForWritingIsLocked() throws Exception {
        try (CollectionJournal j = CollectionJournal.open(dir, fingerprint("m"))) {
            assertThatThrownBy(() -> CollectionJournal.open(dir, fingerprint("m")))
                    .isInstanceOf(JournalException.class)
                    .hasMessageContaining("in use");
        }
    }
}
