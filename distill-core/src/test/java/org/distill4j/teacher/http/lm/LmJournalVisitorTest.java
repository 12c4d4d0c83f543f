package org.distill4j.teacher.http.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal opened with a {@link LmJournal.Visitor} (what {@link HttpTopKCollector} resumes from):
 * every record line is handed over in file order and none is kept, a torn last line is cut, and
 * what is appended afterwards is read back by the next open.
 */
class LmJournalVisitorTest {

    @TempDir
    Path dir;

    @Test
    void recordsAreVisitedInOrderAndNotKept() throws Exception {
        Path file = dir.resolve("j.jsonl");
        Map<String, Object> fp = Map.of("cache_key", "k", "windows", 5);
        try (LmJournal j = LmJournal.open(file, fp)) {
            j.append("w0", CompletionsPost.JSON.createObjectNode().put("short", 1));
            j.append("w3", CompletionsPost.JSON.createObjectNode().put("short", 2));
        }
        // A record of w0 again (a first-record-wins duplicate) and a torn line, as a kill leaves it.
        Files.writeString(
                file,
                "{\"type\":\"ok\",\"key\":\"w0\",\"short\":9}\n{\"type\":\"ok\",\"key\":\"w4\",\"sh",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        List<String> seen = new ArrayList<>();
        try (LmJournal j = LmJournal.open(
                file,
                fp,
                (JsonNode r) ->
                        seen.add(r.get("key").asText() + "=" + r.path("short").asInt()))) {
            assertThat(seen).containsExactly("w0=1", "w3=2", "w0=9");
            assertThat(j.size()).isEqualTo(3);
            assertThatThrownBy(() -> j.get("w0"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("without keeping its records");
            j.append("w4", CompletionsPost.JSON.createObjectNode().put("short", 4));
        }
        assertThat(Files.readString(file)).doesNotContain("\"sh\n").endsWith("\"short\":4}\n");
        seen.clear();
        try (LmJournal j = LmJournal.open(file, fp, r -> seen.add(r.get("key").asText()))) {
            assertThat(seen).containsExactly("w0", "w3", "w0", "w4");
        }
        // The keeping journal reads the same file alike (first record of a key wins).
        try (LmJournal j = LmJournal.open(file, fp)) {
            assertThat(j.size()).isEqualTo(3);
            assertThat(j.get("w0").path("short").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aTornLineLongerThanTheNextRecordIsCutAndARefusedJournalIsNotLeftLocked() throws Exception {
        Path file = dir.resolve("torn.jsonl");
        Map<String, Object> fp = new java.util.LinkedHashMap<>();
        fp.put("cache_key", "k");
        fp.put("windows", 5);
        try (LmJournal j = LmJournal.open(file, fp)) {
            j.append("w0", CompletionsPost.JSON.createObjectNode().put("short", 1));
            assertThat(j.size()).isEqualTo(1);
        }
        String kept = Files.readString(file);
        // A kill in the middle of a long line: far longer than the short record written after it.
        Files.writeString(
                file,
                "{\"type\":\"ok\",\"key\":\"w1\",\"padding\":\"" + "x".repeat(500),
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        try (LmJournal j = LmJournal.open(file, fp)) {
            assertThat(j.size()).isEqualTo(1);
            j.append("w2", CompletionsPost.JSON.createObjectNode().put("short", 2));
            assertThat(j.size()).isEqualTo(2);
        }
        // Nothing of the torn line is left after the new record.
        assertThat(Files.readString(file)).isEqualTo(kept + "{\"type\":\"ok\",\"key\":\"w2\",\"short\":2}\n");

        // Another job's journal is refused, naming every field that differs; the refusal leaves the
        // file unlocked, so the right job opens it next.
        Map<String, Object> other = new java.util.LinkedHashMap<>();
        other.put("cache_key", "other");
        other.put("windows", 6);
        assertThatThrownBy(() -> LmJournal.open(file, other))
                .isInstanceOf(org.distill4j.teacher.http.JournalException.class)
                .hasMessageContaining("cache_key: journal \"k\" vs job \"other\", windows: journal 5 vs job 6");
        try (LmJournal j = LmJournal.open(file, fp)) {
            assertThat(j.size()).isEqualTo(2);
        }
    }
}
